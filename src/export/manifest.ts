/**
 * `DIR/manifest.jsonl`: one line per file of the mirror, `{ path, bytes, sha256, conversation_id,
 * kind }`, `path` relative to DIR. Appended as each file lands (after its rename). A run that
 * follows an abrupt end rebuilds it from the folder: rows of files that are gone are dropped,
 * duplicates and a torn last line removed, files without a row hashed and added.
 */
import { opendir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { BufferedAppend, hashFile, writeAtomic } from "./files.ts";

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

/** Rebuilds the manifest from the folder; returns how many rows were added and dropped. */
export async function repairManifest(dir: string): Promise<{ added: number; dropped: number }> {
  const file = path.join(dir, MANIFEST_FILE);
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return "";
    throw error;
  });
  const rows = new Map<string, ManifestRow>();
  let dropped = 0;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    try {
      const row = JSON.parse(line) as ManifestRow;
      if (typeof row.path !== "string") throw new Error("no path");
      if (rows.has(row.path)) dropped++;
      rows.set(row.path, row);
    } catch {
      dropped++; // a line torn by a crash
    }
  }
  const kept: ManifestRow[] = [];
  const onDisk = new Set<string>();
  let added = 0;
  for (const { folder, kind, ext } of MIRRORED) {
    const entries = await opendir(path.join(dir, folder)).catch(() => undefined);
    if (entries === undefined) continue;
    for await (const entry of entries) {
      if (!entry.isFile() || entry.name.startsWith(".") || !entry.name.endsWith(ext)) continue;
      const relative = `${folder}/${entry.name}`;
      onDisk.add(relative);
      const row = rows.get(relative);
      const size = row === undefined ? -1 : (await stat(path.join(dir, relative))).size;
      if (row !== undefined && row.bytes === size) kept.push(row);
      else {
        const { bytes, sha256 } = await hashFile(path.join(dir, relative));
        kept.push({ path: relative, bytes, sha256, conversation_id: entry.name.slice(0, -ext.length), kind });
        added++;
      }
    }
  }
  for (const relative of rows.keys()) if (!onDisk.has(relative)) dropped++;
  if (added > 0 || dropped > 0 || kept.length !== rows.size) {
    kept.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    await writeAtomic(file, kept.map((row) => `${JSON.stringify(row)}\n`).join(""));
  }
  return { added, dropped };
}
