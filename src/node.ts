/**
 * `elevenlabs-convai/node`: helpers that need Node's file system. The main entry stays free of
 * `node:` imports so it runs in browsers and edge workers.
 */
import { createWriteStream } from "node:fs";
import { lstat, rename, rm } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { ConvaiClient } from "./client.ts";
import { OPERATIONS } from "./generated/operations.ts";
import type { RequestOptions } from "./http/call.ts";
import { ConvaiConnectionError } from "./core/errors.ts";
import { describe as describeValue } from "./core/input.ts";
import { temporaryFor } from "./export/files.ts";

export {
  checkMirrorDir,
  exportConversations,
  type ExportEvent,
  type ExportOptions,
  type ExportProgress,
  type ExportResult,
  type MirrorClient,
  type MirrorFilters,
} from "./export/mirror.ts";
export { TABLE_SCHEMA_VERSION, TABLES, type TableName } from "./export/tables.ts";
export type { ManifestRow } from "./export/manifest.ts";
export {
  PURGE_MANIFEST_FILE,
  purgeConversations,
  type PurgeEvent,
  type PurgeOptions,
  type PurgeProgress,
  type PurgeResult,
  type PurgeRow,
} from "./export/purge.ts";

export interface SaveAudioProgress {
  /** Bytes written so far. */
  bytes: number;
  /** Bytes expected (`Content-Length`), when known. */
  total: number | undefined;
}

/** The call's options (`signal` also aborts the download, leaving no file), and a progress callback. */
export interface SaveAudioOptions extends RequestOptions {
  /** Called after each chunk is written. */
  onProgress?: (progress: SaveAudioProgress) => void;
}

export interface SavedAudio {
  path: string;
  bytes: number;
  contentType: string;
}

/**
 * Streams a conversation's recording to `file`. The bytes go to a temporary file next to it,
 * renamed into place only when the count matches `Content-Length`; on an error, an abort or a
 * short body no file is left, and the error says how many bytes arrived of how many.
 *
 * @example
 * await saveConversationAudio(convai, id, `./out/${id}.mp3`, {
 *   onProgress: ({ bytes, total }) => process.stdout.write(`\r${bytes} / ${total ?? "?"} bytes`),
 * });
 */
export async function saveConversationAudio(
  convai: ConvaiClient,
  conversationId: string,
  file: string,
  options: SaveAudioOptions = {},
): Promise<SavedAudio> {
  const where = "saveConversationAudio";
  const conversations = (convai as Partial<ConvaiClient> | null | undefined)?.conversations;
  if (typeof conversations?.audio !== "function") {
    throw new TypeError(`${where}: convai must be a client from createConvaiClient, got ${describeValue(convai)}`);
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${where}: options must be an object, got ${describeValue(options)}`);
  }
  if (typeof file !== "string" || file.trim() === "") {
    throw new TypeError(`${where}: file must be a non-empty path`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== "function") {
    throw new TypeError(`${where}: onProgress must be a function`);
  }
  const { onProgress, ...callOptions } = options;
  const { signal } = options;
  const target = path.resolve(file);
  await requireRegularFile(where, target); // before the request: nothing is downloaded to be refused
  const audio = await convai.conversations.audio(conversationId, callOptions);
  const temporary = temporaryFor(target);
  const total = audio.contentLength;
  let bytes = 0;
  // Only a failure to read the body means it was cut short; the file's own errors (no folder, no
  // permission, disk full) and the caller's callback pass through as they are.
  let cutShort = false;
  const reader = audio.body.getReader();
  async function* arriving() {
    try {
      for (;;) {
        let next: Awaited<ReturnType<typeof reader.read>>;
        try {
          next = await reader.read();
        } catch (error) {
          cutShort = true;
          throw error;
        }
        if (next.done) return;
        bytes += next.value.byteLength;
        yield next.value;
        onProgress?.({ bytes, total });
      }
    } finally {
      reader.cancel().catch(() => {}); // frees the connection when the file side stopped first
    }
  }
  try {
    await pipeline(arriving, createWriteStream(temporary, { flags: "wx" }), signal ? { signal } : {});
    if (total !== undefined && bytes !== total) {
      cutShort = true;
      throw new RangeError(`Content-Length was ${total}, the body had ${bytes} bytes`);
    }
    await requireRegularFile(where, target); // again: the target may have been replaced meanwhile
    await rename(temporary, target);
    return { path: target, bytes, contentType: audio.contentType };
  } catch (error) {
    await rm(temporary, { force: true });
    if (signal?.aborted) throw signal.reason;
    if (!cutShort) throw error;
    throw new ConvaiConnectionError({
      operation: where,
      method: AUDIO.method,
      path: AUDIO.path.replace("{conversation_id}", encodeURIComponent(conversationId)),
      cause: error,
      reason: `the recording was cut short: ${bytes} of ${total ?? "an unknown number of"} bytes arrived; nothing was saved`,
    });
  }
}

const AUDIO = OPERATIONS.getConversationAudio;

/**
 * A target that exists must be a regular file: renaming over a symlink, a FIFO or a device would
 * replace it with the recording (or, for a symlink, silently not write where it points).
 */
async function requireRegularFile(where: string, target: string): Promise<void> {
  const stats = await lstat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (stats !== undefined && !stats.isFile()) {
    const kind = stats.isSymbolicLink()
      ? "a symbolic link"
      : stats.isDirectory()
        ? "a directory"
        : stats.isFIFO()
          ? "a FIFO"
          : stats.isCharacterDevice() || stats.isBlockDevice()
            ? "a device"
            : stats.isSocket()
              ? "a socket"
              : "not a regular file";
    throw new TypeError(
      `${where}: file ${JSON.stringify(target)} exists and is ${kind}; only a regular file is replaced`,
    );
  }
}
