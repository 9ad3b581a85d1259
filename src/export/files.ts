/**
 * The mirror's writes: every file goes to a temporary name in its own folder (`.NAME.UUID.part`),
 * is flushed to disk, then renamed into place, so no file is ever visible half-written. The SHA-256 and size are computed on the way, for the manifest.
 */
import { createHash, randomUUID } from "node:crypto";
import fs, { constants, createReadStream } from "node:fs";
import { type FileHandle, access, open, opendir, rm } from "node:fs/promises";
import path from "node:path";

export interface Written {
  bytes: number;
  sha256: string;
}

const PART = /^\..+\.[0-9a-f-]{36}\.part$/;

export function temporaryFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${randomUUID()}.part`);
}

/** Writes `data` to `target` atomically (temporary file, fsync, rename). */
export async function writeAtomic(target: string, data: string | Uint8Array): Promise<Written> {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const temporary = temporaryFor(target);
  await writeDurably(temporary, [bytes]);
  renameInto(temporary, target);
  return { bytes: bytes.byteLength, sha256: createHash("sha256").update(bytes).digest("hex") };
}

/**
 * Streams chunks to `target` atomically. Up to `memoryBytes` are held in memory and written at
 * once when the source ends (one open, one write, one fsync: the source, a response holding a
 * connection slot, is drained at network speed); past that the chunks go to the temporary file as
 * they come. On any failure (the source's, an abort, a size that differs from `expectedBytes`)
 * the temporary file is removed and nothing appears at `target`.
 */
export async function writeStreamAtomic(
  target: string,
  source: ReadableStream<Uint8Array> | Iterable<Uint8Array>,
  expectedBytes?: number,
  memoryBytes = 0,
): Promise<Written> {
  // A recording's body ends on the run's abort by itself (the client's transport errors it).
  const chunks = source instanceof ReadableStream ? chunksOf(source) : source;
  const temporary = temporaryFor(target);
  const hash = createHash("sha256");
  let bytes = 0;
  let held: Uint8Array[] = [];
  let fd: number | undefined;
  try {
    for await (const chunk of chunks) {
      hash.update(chunk);
      bytes += chunk.byteLength;
      if (fd === undefined && bytes <= memoryBytes) {
        held.push(chunk);
        continue;
      }
      // Past the share of memory: written as it comes, each chunk before the next is read.
      fd ??= fs.openSync(temporary, "wx");
      if (held.length > 0) (writeAllNow(fd, held), (held = []));
      writeAllNow(fd, [chunk]);
    }
    if (expectedBytes !== undefined && bytes !== expectedBytes) {
      throw new RangeError(`the body was cut short: ${bytes} of ${expectedBytes} bytes arrived`);
    }
    if (fd === undefined) await writeDurably(temporary, held);
    else {
      const open = fd;
      fd = undefined;
      await finishFile(open);
    }
  } catch (error) {
    if (fd !== undefined) closeQuietly(fd);
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  renameInto(temporary, target);
  return { bytes, sha256: hash.digest("hex") };
}

/**
 * Creates `file` (it must not exist) with `chunks`, flushed to disk. Only the fsync goes to the
 * thread pool: the open, the write, the close and the rename of a small file on a local disk
 * take microseconds in this thread, where each asynchronous call costs a hand-off to another
 * thread and back (at thousands of files, most of an export's own CPU).
 */
async function writeDurably(file: string, chunks: readonly Uint8Array[]): Promise<void> {
  const fd = fs.openSync(file, "wx");
  try {
    try {
      writeAllNow(fd, chunks);
    } catch (error) {
      closeQuietly(fd);
      throw error;
    }
    await finishFile(fd);
  } catch (error) {
    fs.rmSync(file, { force: true });
    throw error;
  }
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already failing: the first error is the one reported
  }
}

/** fsync, then close (closed on a failed fsync too). */
async function finishFile(fd: number): Promise<void> {
  try {
    await call((done) => fs.fsync(fd, done));
  } catch (error) {
    closeQuietly(fd);
    throw error;
  }
  fs.closeSync(fd);
}

/** Writes every byte of `chunks` at the file's position (a short write goes on where it stopped). */
function writeAllNow(fd: number, chunks: readonly Uint8Array[]): void {
  let rest = chunks.filter((c) => c.byteLength > 0);
  while (rest.length > 0) {
    let left = fs.writevSync(fd, rest);
    const next: Uint8Array[] = [];
    for (const chunk of rest) {
      if (left >= chunk.byteLength) left -= chunk.byteLength;
      else {
        next.push(left > 0 ? chunk.subarray(left) : chunk);
        left = 0;
      }
    }
    rest = next;
  }
}

/** Renames a finished temporary file into place (removed when the rename fails). */
export function renameInto(temporary: string, target: string): void {
  try {
    fs.renameSync(temporary, target);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}

/** A callback-style fs call as a promise. */
function call<T = void>(start: (done: (error: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value as T))));
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

/**
 * Whether a path exists, asked synchronously: a local metadata lookup takes microseconds, less
 * than the thread-pool round trip and promises of the asynchronous call, and an export asks twice
 * per conversation.
 */
export function existsNow(file: string): boolean {
  return fs.existsSync(file);
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

/**
 * Text appended to a file through a buffer: written in one call per `batchBytes`, in order, one
 * write at a time. The file is opened on the first write. A failure is kept and thrown by `close`
 * (and by `flushed`), so callers need not await each line.
 */
export class BufferedAppend {
  #chunks: string[] = [];
  #size = 0;
  #queue: Promise<void> = Promise.resolve();
  #error: { cause: unknown } | undefined;
  #file: FileHandle | undefined;
  #closed = false;
  readonly #path: string;
  readonly #flags: string;
  readonly #batchBytes: number;
  lines = 0;

  /**
   * `batchBytes` stays well under V8's large-object size (128 KB): a larger joined batch is
   * allocated in the old generation, and at one per batch the heap grew with the run's length
   * (measured: peak heap 87 MB for 2,000 conversations at 256 KB batches, 60 MB at 16 KB).
   */
  constructor(file: string, flags: "a" | "wx", batchBytes = 16 * 1024) {
    this.#path = file;
    this.#flags = flags;
    this.#batchBytes = batchBytes;
  }

  get path(): string {
    return this.#path;
  }

  get failed(): boolean {
    return this.#error !== undefined;
  }

  write(text: string): void {
    if (this.#closed) throw new Error(`${this.#path} is closed`);
    this.#chunks.push(text);
    this.#size += text.length;
    this.lines++;
    if (this.#size >= this.#batchBytes) void this.#flush(); // never rejects: a failure is kept for close
  }

  #flush(): Promise<void> {
    if (this.#chunks.length > 0) {
      const text = this.#chunks.join("");
      this.#chunks = [];
      this.#size = 0;
      this.#queue = this.#queue.then(async () => {
        if (this.#error) return;
        try {
          this.#file ??= await open(this.#path, this.#flags);
          await this.#file.write(text);
        } catch (error) {
          this.#error = { cause: error };
        }
      });
    }
    return this.#queue;
  }

  /** Everything written so far is in the file (not necessarily on disk). */
  async flushed(): Promise<void> {
    await this.#flush();
    if (this.#error) throw this.#error.cause;
  }

  /**
   * Writes the rest, fsyncs and closes; throws the first failure. With `ensure`, a file nothing
   * was written to is opened (created) and flushed too.
   */
  async close(ensure = false): Promise<void> {
    if (this.#closed) {
      await this.#queue;
      if (this.#error) throw this.#error.cause;
      return;
    }
    this.#closed = true;
    await this.#flush();
    this.#queue = this.#queue.then(async () => {
      let file = this.#file;
      this.#file = undefined;
      try {
        if (!this.#error && ensure) file ??= await open(this.#path, this.#flags);
        if (!this.#error) await file?.sync();
      } catch (error) {
        this.#error ??= { cause: error };
      } finally {
        await file?.close().catch(() => {});
      }
    });
    await this.#queue;
    if (this.#error) throw this.#error.cause;
  }
}
