/**
 * `purgeConversations`: erasure by policy. Deletes the finished conversations (`done`, `failed`)
 * that match a bound (started before a date, of an agent, of a user), a dry run unless
 * `dryRun: false`, under the client's `maxConcurrency`. Each decision is appended to
 * `DIR/purge-manifest.jsonl` as it is made; a 404 counts as already deleted, so a run cut short
 * is finished by running it again.
 */
import { open } from "node:fs/promises";
import path from "node:path";
import { ConvaiAPIError } from "../core/errors.ts";
import { describe, requireUnixSeconds } from "../core/input.ts";
import type { ListConversationsQuery } from "../types.ts";
import { prepareOutDir, type MirrorClient } from "./mirror.ts";

export const PURGE_MANIFEST_FILE = "purge-manifest.jsonl";

export interface PurgeOptions {
  /** The folder for the purge manifest; created when missing. */
  out: string;
  /** Conversations that started before this moment (a Date, or unix seconds). */
  before?: Date | number;
  /** Only this agent's conversations. */
  agentId?: string;
  /** Only this user's conversations. */
  userId?: string;
  /** List what would be deleted, delete nothing. Default true: pass `false` to delete. */
  dryRun?: boolean;
  /**
   * Deletions at once (the client's `maxConcurrency` bounds the requests).
   * @default 8
   */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (event: PurgeEvent) => void;
}

export interface PurgeRow {
  conversation_id: string;
  agent_id: string;
  start_time_unix_secs: number;
  status: string;
  /** `deleted`; `already_deleted` (404); `would_delete` in a dry run. */
  action: "deleted" | "already_deleted" | "would_delete";
  at: string;
}

export interface PurgeProgress {
  matched: number;
  deleted: number;
  alreadyDeleted: number;
  /** Not finished (in progress, processing): left alone. */
  skipped: number;
}

export type PurgeEvent = { type: "row"; row: PurgeRow; progress: PurgeProgress };

export interface PurgeResult extends PurgeProgress {
  dryRun: boolean;
  /** The manifest's path. */
  manifest: string;
}

const WHERE = "purgeConversations";
const FINISHED = new Set(["done", "failed"]);

/**
 * Deletes (or with the default `dryRun`, lists) the finished conversations that match.
 * Refuses to run without a bound: `before`, `agentId` or `userId`.
 *
 * @example
 * const result = await purgeConversations(convai, { out: "./purge", before: new Date("2025-01-01"), dryRun: false });
 */
export async function purgeConversations(convai: MirrorClient, options: PurgeOptions): Promise<PurgeResult> {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${WHERE}: options must be an object, got ${describe(options)}`);
  }
  const { out, agentId, userId, dryRun = true, concurrency = 8, signal, onProgress } = options;
  if (typeof out !== "string" || out.trim() === "") throw new TypeError(`${WHERE}: out must be a folder path`);
  const before = options.before === undefined ? undefined : requireUnixSeconds(WHERE, "before", options.before);
  for (const [name, value] of [
    ["agentId", agentId],
    ["userId", userId],
  ] as const) {
    if (value !== undefined && (typeof value !== "string" || value === "")) {
      throw new TypeError(`${WHERE}: ${name} must be a non-empty string`);
    }
  }
  if (before === undefined && agentId === undefined && userId === undefined) {
    throw new TypeError(`${WHERE}: refusing to purge without a bound: give before, agentId or userId`);
  }
  if (typeof dryRun !== "boolean") throw new TypeError(`${WHERE}: dryRun must be a boolean`);
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 1000) {
    throw new RangeError(`${WHERE}: concurrency must be an integer from 1 to 1000, got ${describe(concurrency)}`);
  }
  const dir = await prepareOutDir(WHERE, out, []);
  signal?.throwIfAborted();
  const query: ListConversationsQuery = {
    page_size: 100,
    ...(before === undefined ? {} : { call_start_before_unix: before }),
    ...(agentId === undefined ? {} : { agent_id: agentId }),
    ...(userId === undefined ? {} : { user_id: userId }),
  };
  const manifestPath = path.join(dir, PURGE_MANIFEST_FILE);
  const manifest = await open(manifestPath, "a");
  const progress: PurgeProgress = { matched: 0, deleted: 0, alreadyDeleted: 0, skipped: 0 };
  let writing: Promise<unknown> = Promise.resolve();
  const record = (row: PurgeRow) => {
    writing = writing.then(() => manifest.write(`${JSON.stringify(row)}\n`));
    onProgress?.({ type: "row", row, progress: { ...progress } });
    return writing;
  };
  const active = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  try {
    for await (const summary of convai.conversations.list(query, { signal })) {
      if (failure) break;
      // The list's bound is exclusive already; checked again in case a server ignores it.
      if (before !== undefined && !(summary.start_time_unix_secs < before)) continue;
      if (!FINISHED.has(summary.status)) {
        progress.skipped++;
        continue;
      }
      progress.matched++;
      const row = (action: PurgeRow["action"]): PurgeRow => ({
        conversation_id: summary.conversation_id,
        agent_id: summary.agent_id,
        start_time_unix_secs: summary.start_time_unix_secs,
        status: summary.status,
        action,
        at: new Date().toISOString(),
      });
      if (dryRun) {
        await record(row("would_delete"));
        continue;
      }
      while (active.size >= concurrency) await Promise.race(active);
      const work = convai.conversations
        .delete(summary.conversation_id, { signal })
        .then(
          () => {
            progress.deleted++;
            return record(row("deleted"));
          },
          (error: unknown) => {
            if (error instanceof ConvaiAPIError && error.status === 404) {
              progress.alreadyDeleted++;
              return record(row("already_deleted"));
            }
            failure ??= { error };
            return undefined;
          },
        )
        .then(() => undefined)
        .finally(() => active.delete(work));
      active.add(work);
    }
  } catch (error) {
    failure ??= { error };
  }
  while (active.size > 0) await Promise.allSettled([...active]);
  await writing.catch(() => {});
  await manifest.sync().catch(() => {});
  await manifest.close();
  if (failure) throw signal?.aborted ? signal.reason : failure.error;
  return { ...progress, dryRun, manifest: manifestPath };
}
