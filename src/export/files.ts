/**
 * The mirror's writes: every file goes to a temporary name in its own folder (`.NAME.UUID.part`),
 * is flushed to disk, then renamed into place, so no file is ever visible half-written; the folder
 * is flushed after the rename. The SHA-256 and size are computed on the way, for the manifest.
 */
import { createHash, randomUUID } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import { access, open, opendir, rename, rm } from "node:fs/promises";
import path from "node:path";

export interface Written {
  bytes: number;
  sha256: string;
}

const PART = /^\..+\.[0-9a-f-]{36}\.part$/;

export function temporaryFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${randomUUID()}.part`);
}

/** Writes `data` to `target` atomically (temporary file, fsync, rename, fsync of the folder). */
export async function writeAtomic(target: string, data: string | Uint8Array): Promise<Written> {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  return writeStreamAtomic(target, [bytes]);
}

/**
 * Streams chunks to `target` atomically. On any failure (the source's, an abort, a size that
 * differs from `expectedBytes`) the temporary file is removed and nothing appears at `target`.
 */
export async function writeStreamAtomic(
  target: string,
  source: ReadableStream<Uint8Array> | Iterable<Uint8Array>,
  expectedBytes?: number,
): Promise<Written> {
  // A recording's body ends on the run's abort by itself (the client's transport errors it).
  const chunks = source instanceof ReadableStream ? chunksOf(source) : source;
  const temporary = temporaryFor(target);
  const hash = createHash("sha256");
  let bytes = 0;
  const file = await open(temporary, "wx");
  try {
    for await (const chunk of chunks) {
      hash.update(chunk);
      bytes += chunk.byteLength;
      await file.write(chunk);
    }
    if (expectedBytes !== undefined && bytes !== expectedBytes) {
      throw new RangeError(`the body was cut short: ${bytes} of ${expectedBytes} bytes arrived`);
    }
    await file.sync();
    await file.close();
  } catch (error) {
    await file.close().catch(() => {});
    await rm(temporary, { force: true });
    throw error;
  }
  try {
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return { bytes, sha256: hash.digest("hex") };
}

/** A stream's chunks; the stream is cancelled when the loop stops early. */
async function* chunksOf(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** Flushes a folder's entries (the renames into it) to disk; a no-op where folders cannot be opened. */
export async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch {
    // Windows cannot fsync a folder; the rename is as durable as it gets there.
  } finally {
    await handle?.close().catch(() => {});
  }
}

export async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Removes what a killed run left: temporary `.part` files of this module's naming, in `dir` only. */
export async function removeTemporaries(dir: string): Promise<number> {
  let removed = 0;
  const entries = await opendir(dir).catch(() => undefined);
  if (entries === undefined) return 0;
  for await (const entry of entries) {
    if (entry.isFile() && PART.test(entry.name)) {
      await rm(path.join(dir, entry.name), { force: true });
      removed++;
    }
  }
  return removed;
}

/** SHA-256 and size of a file on disk, read as a stream. */
export async function hashFile(file: string): Promise<Written> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { bytes, sha256: hash.digest("hex") };
}
