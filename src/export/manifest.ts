/**
 * `DIR/manifest.jsonl`: one line per file of the mirror, `{ path, bytes, sha256, conversation_id,
 * kind }`, `path` relative to DIR. Appended as each file lands (after its rename). A run that
 * follows an abrupt end rebuilds it from the folder: rows of files that are gone are dropped,
 * duplicates and a torn last line removed, files without a row hashed and added.
 */
import { createReadStream } from "node:fs";
import { opendir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { BufferedAppend, exists, hashFile, renameInto, temporaryFor } from "./files.ts";

export const MANIFEST_FILE = "manifest.jsonl";

export interface ManifestRow {
  /** Relative to DIR, with `/`: `conversations/<id>.json` or `audio/<id>.mp3`. */
  path: string;
  bytes: number;
  sha256: string;
  conversation_id: string;
  kind: "conversation" | "audio";
}

/** The folders of the mirror whose files the manifest lists, with their kind and extension. */
export const MIRRORED = [
  { folder: "conversations", kind: "conversation", ext: ".json" },
  { folder: "audio", kind: "audio", ext: ".mp3" },
] as const;

/**
 * Appends rows in order, in batches: a row is written with the next batch (16 KB) or at `close`.
 * A row lost with a killed process is rebuilt from the folder by the next run (`repairManifest`).
 */
export class ManifestWriter {
  readonly #file: BufferedAppend;

  constructor(dir: string) {
    this.#file = new BufferedAppend(path.join(dir, MANIFEST_FILE), "a");
  }

  /** Queues the row; a failed write is thrown by `close`. */
  append(row: ManifestRow): void {
    this.#file.write(`${JSON.stringify(row)}\n`);
  }

  /** Writes what is queued, flushes it to disk and closes the file. */
  close(): Promise<void> {
    return this.#file.close();
  }
}

/**
 * Rebuilds the manifest from the folder; returns how many rows were added and dropped. The rows
 * kept are written in the folder's order.
 *
 * The manifest is read a line at a time and the new one written as it goes: a mirror of a few
 * million files has a manifest longer than the longest string V8 can hold (512 MB), which
 * `readFile` refused, so that every run after an abrupt end failed. What stays in memory is one
 * entry per row (its path and line) until the folder has been walked.
 */
export async function repairManifest(dir: string): Promise<{ added: number; dropped: number }> {
  const file = path.join(dir, MANIFEST_FILE);
  const rows = new Map<string, { line: string; bytes: number }>();
  let dropped = 0;
  if (await exists(file)) {
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      if (line === "") continue;
      try {
        const row = JSON.parse(line) as Partial<ManifestRow>;
        if (typeof row.path !== "string" || typeof row.bytes !== "number") throw new Error("not a row");
        if (rows.has(row.path)) dropped++; // a path twice: its last row is the one kept
        rows.set(row.path, { line, bytes: row.bytes });
      } catch {
        dropped++; // a line torn by a crash
      }
    }
  }
  const temporary = temporaryFor(file);
  const out = new BufferedAppend(temporary, "wx");
  let added = 0;
  try {
    for (const { folder, kind, ext } of MIRRORED) {
      const entries = await opendir(path.join(dir, folder)).catch(() => undefined);
      if (entries === undefined) continue;
      for await (const entry of entries) {
        if (!entry.isFile() || entry.name.startsWith(".") || !entry.name.endsWith(ext)) continue;
        const relative = `${folder}/${entry.name}`;
        const row = rows.get(relative);
        rows.delete(relative);
        if (row !== undefined && row.bytes === (await stat(path.join(dir, relative))).size) {
          out.write(`${row.line}\n`);
          continue;
        }
        const { bytes, sha256 } = await hashFile(path.join(dir, relative));
        const fresh: ManifestRow = {
          path: relative,
          bytes,
          sha256,
          conversation_id: entry.name.slice(0, -ext.length),
          kind,
        };
        out.write(`${JSON.stringify(fresh)}\n`);
        added++;
      }
    }
    dropped += rows.size; // files that are gone
    if (added === 0 && dropped === 0) {
      await out.close();
      await rm(temporary, { force: true });
    } else {
      await out.close(true);
      renameInto(temporary, file);
    }
  } catch (error) {
    await out.close().catch(() => {});
    await rm(temporary, { force: true });
    throw error;
  }
  return { added, dropped };
}
