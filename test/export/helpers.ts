/** Helpers of the export tests: what the emulator serves, and a check of a mirror against it. */
import { createHash } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { expect } from "vitest";
import type { ManifestRow } from "../../src/node.ts";
import type { Emulator } from "../../src/testing/index.ts";

export const FINISHED = new Set(["done", "failed"]);

/** The ids of the emulator's finished conversations. */
export function finishedIds(emulator: Emulator): string[] {
  return emulator.conversationIds().filter((id) => FINISHED.has(emulator.conversation(id)!.status));
}

/** The details' bytes exactly as the emulator serves them. */
export async function served(emulator: Emulator, id: string): Promise<Buffer> {
  const response = await fetch(`${emulator.baseUrl}/v1/convai/conversations/${id}`, {
    headers: { "xi-api-key": emulator.apiKey },
  });
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Every `.part` file anywhere in the mirror. */
export async function partials(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.filter((name) => name.endsWith(".part"));
}

export async function manifestRows(dir: string): Promise<ManifestRow[]> {
  const text = await readFile(path.join(dir, "manifest.jsonl"), "utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ManifestRow);
}

/**
 * The mirror holds exactly the finished conversations of `ids` (default: all the emulator's
 * finished ones), each byte-identical to what the emulator serves, recordings too with `audio`;
 * the manifest has one true row per file and nothing else; no partial file is left.
 */
export async function expectMirror(
  dir: string,
  emulator: Emulator,
  options: { audio: boolean; ids?: readonly string[] },
): Promise<void> {
  const ids = [...(options.ids ?? finishedIds(emulator))].sort();
  const files = (await readdir(path.join(dir, "conversations"))).filter((n) => !n.startsWith(".")).sort();
  expect(files).toEqual(ids.map((id) => `${id}.json`));
  for (const id of ids) {
    expect((await readFile(path.join(dir, "conversations", `${id}.json`))).equals(await served(emulator, id))).toBe(
      true,
    );
  }
  const withAudio = options.audio ? ids.filter((id) => emulator.audio(id) !== undefined) : [];
  const audioFiles = options.audio
    ? (await readdir(path.join(dir, "audio"))).filter((n) => !n.startsWith(".")).sort()
    : [];
  expect(audioFiles).toEqual(withAudio.map((id) => `${id}.mp3`));
  for (const id of withAudio) {
    expect(Buffer.from(emulator.audio(id)!).equals(await readFile(path.join(dir, "audio", `${id}.mp3`)))).toBe(true);
  }
  const rows = await manifestRows(dir);
  const paths = rows.map((r) => r.path).sort();
  expect(paths).toEqual(
    [...ids.map((id) => `conversations/${id}.json`), ...withAudio.map((id) => `audio/${id}.mp3`)].sort(),
  );
  for (const row of rows) {
    const bytes = await readFile(path.join(dir, row.path));
    expect(row.bytes).toBe(bytes.length);
    expect(row.sha256).toBe(sha256(bytes));
    expect(row.path).toBe(
      row.kind === "audio" ? `audio/${row.conversation_id}.mp3` : `conversations/${row.conversation_id}.json`,
    );
  }
  expect(await partials(dir)).toEqual([]);
}

/** The rows of one table of the mirror. */
export async function tableRows(dir: string, name: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path.join(dir, "tables", `${name}.jsonl`), "utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The tables hold one conversations row per conversation file, and each one's turns, no more. */
export async function expectTablesMatch(dir: string): Promise<void> {
  const files = (await readdir(path.join(dir, "conversations")))
    .filter((n) => n.endsWith(".json") && !n.startsWith("."))
    .sort();
  const rows = await tableRows(dir, "conversations");
  expect(rows.map((r) => `${String(r.conversation_id)}.json`).sort()).toEqual(files);
  let turns = 0;
  for (const file of files) {
    const conversation = JSON.parse(await readFile(path.join(dir, "conversations", file), "utf8")) as {
      transcript: unknown[];
    };
    turns += conversation.transcript.length;
  }
  expect((await tableRows(dir, "turns")).length).toBe(turns);
}
