/**
 * Waiting on the server for a conversation: to appear in the list after a session starts
 * (`waitForConversation`), and to finish processing (`waitUntilDone`: transcript, analysis and
 * audio arrive after the call ends); and the finished conversations a webhook receiver missed
 * (`reconcileConversations`). Functions that take the client first, as `monitorConversation`
 * does, rather than methods of the client: a program that does not import them does not bundle
 * them. The waits are bounded by `totalTimeoutMs`, end at once on abort, and poll gently:
 * `pollMs`, growing by half each time up to 10 s. Each poll is an ordinary call of the client
 * (`conversations.list`, `conversations.get`), with the call options given.
 */
import { FACADE_OPERATIONS } from "../generated/operations.ts";
import { linkSignals, setTimer, sleep } from "../core/abort.ts";
import type { RequestOptions } from "../http/call.ts";
import { ConvaiTimeoutError } from "../core/errors.ts";
import {
  checkRequestOptions,
  describe,
  requireId,
  requireOptions,
  requireTimeout,
  requireUnixSeconds,
} from "../core/input.ts";
import { checkValues } from "../core/params.ts";
import type { Conversation, ConversationStatus, ConversationSummary, ListConversationsQuery } from "../types.ts";
import { type ConvaiClientLike, contextOf } from "./context.ts";

export interface WaitOptions extends RequestOptions {
  /**
   * Give up after this many milliseconds in all, whatever the polls are doing.
   * @default 60000
   */
  totalTimeoutMs?: number;
  /**
   * First pause between polls; later pauses grow by half up to 10 s.
   * @default 1000
   */
  pollMs?: number;
}

/**
 * The list's filters, as `conversations.list` takes them (the API's names), for a helper that
 * walks the list itself: the cursor and the start bound are the helper's to set.
 */
export type ListFilters = Omit<ListConversationsQuery, "cursor" | "call_start_after_unix">;

/** The options of `waitForConversation`. */
export interface WaitForOptions extends WaitOptions {
  /** Which conversations to look at: the list's filters; `agent_id` is required. */
  query: ListFilters & { agent_id: string };
  /** The conversation started at or after this moment: a Date, or unix seconds. */
  startedAfter: Date | number;
  /** Which conversation to wait for; the newest one that started after `startedAfter` by default. */
  match?: (conversation: ConversationSummary) => boolean;
}

export type WaitUntilDoneOptions = WaitOptions;

/** The options of `reconcileConversations`. */
export interface ReconcileOptions extends RequestOptions {
  /** Which conversations to look at: the list's filters, e.g. `{ agent_id }`; every agent's by default. */
  query?: ListFilters;
  /** Conversations that started at or after this moment: a Date, or unix seconds. */
  startedAfter: Date | number;
  /** The ids already handled: a Set (or anything with `has`), or a function. */
  seen: { has(conversationId: string): boolean } | ((conversationId: string) => boolean);
  /**
   * Which statuses count as finished.
   * @default every status but `initiated`, `in-progress` and `processing` (see `isFinished`)
   */
  statuses?: readonly ConversationStatus[];
}

/** The client's `conversations`, once `contextOf` has said it is a client made by `createConvaiClient`. */
function conversationsOf(where: string, convai: unknown): ConvaiClientLike["conversations"] {
  contextOf(where, convai);
  return (convai as ConvaiClientLike).conversations;
}

/**
 * What the helpers that walk the list check first: the client, then that `options` is an object
 * without the names renamed before 1.0. Returns the client's `conversations`.
 */
function listHelper(where: string, convai: unknown, options: unknown): ConvaiClientLike["conversations"] {
  const conversations = conversationsOf(where, convai);
  if (options === null || typeof options !== "object") throw new TypeError(`${where}: options are required`);
  refuseOldNames(where, options);
  return conversations;
}

const MAX_POLL_MS = 10_000;
const DEFAULT_TOTAL_TIMEOUT_MS = 60_000;
const DEFAULT_POLL_MS = 1_000;

/**
 * Polls the list until a conversation of the agent that started after `startedAfter` appears.
 *
 * @example
 * const startedAfter = new Date();
 * const { token } = await convai.sessions.webrtcToken({ agent_id }); // browser connects with it
 * const summary = await waitForConversation(convai, { query: { agent_id }, startedAfter, totalTimeoutMs: 120_000 });
 */
export async function waitForConversation(
  convai: ConvaiClientLike,
  options: WaitForOptions,
): Promise<ConversationSummary> {
  const where = "waitForConversation";
  const conversations = listHelper(where, convai, options);
  const { query: filters, startedAfter, match = () => true, ...waitOptions } = options;
  const query = listFilters(where, filters, true);
  const agent_id = requireId(where, "query.agent_id", query.agent_id);
  const since = requireUnixSeconds(where, "startedAfter", startedAfter);
  if (typeof match !== "function") throw new TypeError(`${where}: match must be a function`);
  return poll(
    where,
    waitOptions,
    `no conversation of ${agent_id} started after ${new Date(since * 1000).toISOString()}`,
    async (callOptions) => {
      for await (const summary of listSince(conversations, since, query, callOptions)) {
        // Newest first: past `startedAfter`, nothing further down can match.
        if (summary.start_time_unix_secs < since) return undefined;
        if (match(summary)) return summary;
      }
      return undefined;
    },
  );
}

/**
 * Polls a conversation until its processing is over, and returns it: until its status is one
 * other than `initiated`, `in-progress` and `processing` (`done`, `failed`, or one a newer API adds).
 *
 * @example
 * const conversation = await waitUntilDone(convai, conversationId, { totalTimeoutMs: 300_000 });
 * if (conversation.status === "done") console.log(conversation.analysis?.transcript_summary);
 */
export async function waitUntilDone(
  convai: ConvaiClientLike,
  conversationId: string,
  options: WaitUntilDoneOptions = {},
): Promise<Conversation> {
  const where = "waitUntilDone";
  const conversations = conversationsOf(where, convai);
  const id = requireId(where, "conversationId", conversationId);
  return poll(where, requireOptions(where, options), `${id} did not finish processing`, async (callOptions) => {
    const conversation = await conversations.get(id, callOptions);
    return isFinished(conversation.status) ? conversation : undefined;
  });
}

/**
 * The finished conversations (`done` or `failed`) that started at or after `startedAfter` and
 * are not in `seen`: the ones a webhook receiver missed. Lazy, newest first, one list request per
 * page; its options are checked on the call.
 *
 * @example
 * const missing = reconcileConversations(convai, { query: { agent_id }, startedAfter: lastRun, seen: receivedIds });
 * for await (const missed of missing) {
 *   await handle(await convai.conversations.get(missed.conversation_id));
 * }
 */
export function reconcileConversations(
  convai: ConvaiClientLike,
  options: ReconcileOptions,
): AsyncIterable<ConversationSummary> {
  const where = "reconcileConversations";
  const conversations = listHelper(where, convai, options);
  const { query: filters, startedAfter, seen, statuses, ...callOptions } = options;
  const query = listFilters(where, filters, false);
  const since = requireUnixSeconds(where, "startedAfter", startedAfter);
  const has =
    typeof seen === "function" ? seen : typeof seen?.has === "function" ? (id: string) => seen.has(id) : undefined;
  if (has === undefined)
    throw new TypeError(`${where}: seen must be a Set of conversation ids or a function, got ${describe(seen)}`);
  if (statuses !== undefined && !Array.isArray(statuses)) throw new TypeError(`${where}: statuses must be an array`);
  const finished =
    statuses === undefined ? isFinished : (status: string) => (statuses as readonly string[]).includes(status);
  const pages = listSince(conversations, since, query, callOptions);
  return {
    async *[Symbol.asyncIterator]() {
      for await (const summary of pages) {
        if (summary.start_time_unix_secs < since) return; // newest first: nothing older can count
        if (finished(summary.status) && !has(summary.conversation_id)) yield summary;
      }
    },
  };
}

/** The statuses of a conversation whose processing is not over yet. */
const IN_PROGRESS: ReadonlySet<string> = new Set(["initiated", "in-progress", "processing"]);

/**
 * Whether a conversation's processing is over: its status is any but `initiated`, `in-progress`
 * and `processing`. `done` and `failed` are; so is a status a newer API adds (a `cancelled` one
 * ends a wait rather than holding it to its deadline), and the caller reads which it was.
 */
export function isFinished(status: string | undefined | null): boolean {
  return typeof status === "string" && !IN_PROGRESS.has(status);
}

async function poll<T>(
  where: string,
  options: WaitOptions,
  what: string,
  attempt: (callOptions: RequestOptions) => Promise<T | undefined>,
): Promise<T> {
  const { totalTimeoutMs = DEFAULT_TOTAL_TIMEOUT_MS, pollMs = DEFAULT_POLL_MS, signal: caller, ...call } = options;
  requireTimeout(where, "totalTimeoutMs", totalTimeoutMs);
  requireTimeout(where, "pollMs", pollMs);
  // The options of each poll, checked now under this helper's name rather than at the first poll.
  checkRequestOptions(where, { ...call, signal: caller });
  const deadline = new AbortController();
  const clearTimer = setTimer(totalTimeoutMs, () => deadline.abort());
  const { signal, dispose } = linkSignals([caller, deadline.signal]);
  try {
    for (let pause = pollMs; ; pause = Math.min(pause * 1.5, MAX_POLL_MS)) {
      const found = await attempt({ ...call, signal });
      if (found !== undefined) return found;
      await sleep(pause, signal);
    }
  } catch (error) {
    if (caller?.aborted) throw caller.reason;
    if (deadline.signal.aborted) {
      throw new ConvaiTimeoutError({
        timeoutMs: totalTimeoutMs,
        operation: where,
        message: `${where}: ${what} within ${totalTimeoutMs} ms`,
      });
    }
    throw error;
  } finally {
    clearTimer();
    dispose();
  }
}

/**
 * A helper's `query`: the list's filters, checked now under the helper's name. Options that
 * belong in it, or were renamed, are refused with the way to write them.
 */
function listFilters(where: string, query: unknown, required: boolean): ListFilters {
  if (query === undefined && !required) return {};
  if (query === null || typeof query !== "object" || Array.isArray(query)) {
    throw new TypeError(`${where}: query must be an object of the list's filters, got ${describe(query)}`);
  }
  for (const name of ["cursor", "call_start_after_unix"]) {
    if (Object.hasOwn(query, name)) {
      throw new TypeError(`${where}: query.${name} is set by the helper (the start bound is startedAfter)`);
    }
  }
  checkValues(where, "query parameter", FACADE_OPERATIONS.listConversations.query, query);
  return query as ListFilters;
}

/** Refuses the options renamed before 1.0 (the list's filters moved into `query`; `since` became `startedAfter`), saying what to write instead. */
function refuseOldNames(where: string, options: object): void {
  if (Object.hasOwn(options, "agent_id")) {
    throw new TypeError(`${where}: agent_id goes in query: { query: { agent_id } }`);
  }
  if (Object.hasOwn(options, "since")) throw new TypeError(`${where}: since is now startedAfter`);
}

/**
 * The list from the newest down, asked to start at `since` where the spec has the start-time
 * filter (its bound may be exclusive, so from a second earlier); a spec without it still works,
 * and the caller stops at the first conversation older than `since`.
 */
function listSince(
  conversations: ConvaiClientLike["conversations"],
  since: number,
  query: ListFilters,
  options: RequestOptions,
): AsyncIterable<ConversationSummary> {
  // Looked up per call, not at import: a module-level read of the table would keep it in every bundle.
  const filtered = Object.hasOwn(FACADE_OPERATIONS.listConversations.query, "call_start_after_unix");
  return conversations.list(
    (filtered ? { ...query, call_start_after_unix: since - 1 } : query) as ListConversationsQuery,
    options,
  );
}
