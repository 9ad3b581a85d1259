/**
 * Waiting on the server for a conversation: to appear in the list after a session starts, and
 * to finish processing (transcript, analysis and audio arrive after the call ends). Both are
 * bounded by `timeoutMs`, end at once on abort, and poll gently: `pollMs`, growing by half each
 * time up to 10 s.
 */
import type { Conversation, ConversationSummary } from "../types.ts";
import type { Conversations } from "./conversations.ts";
import { ConvaiTimeoutError } from "../http/errors.ts";
import { describe, requireId, requireTimeout } from "../http/input.ts";
import { sleep } from "../http/retry.ts";

export interface WaitOptions {
  /** Give up after this many milliseconds. Default 60 000. */
  timeoutMs?: number;
  /** First pause between polls; later pauses grow by half up to 10 s. Default 1 000. */
  pollMs?: number;
  signal?: AbortSignal;
}

export interface WaitForOptions extends WaitOptions {
  agent_id: string;
  /** The conversation started at or after this moment: a Date, or unix seconds. */
  startedAfter: Date | number;
  /** Which conversation to wait for; the newest one that started after `startedAfter` by default. */
  match?: (conversation: ConversationSummary) => boolean;
}

export type WaitUntilDoneOptions = WaitOptions;

const MAX_POLL_MS = 10_000;

/**
 * @example
 * const startedAfter = new Date();
 * const { token } = await convai.sessions.webrtcToken({ agent_id }); // browser connects with it
 * const summary = await convai.conversations.waitFor({ agent_id, startedAfter, timeoutMs: 120_000 });
 */
export async function waitFor(conversations: Conversations, options: WaitForOptions): Promise<ConversationSummary> {
  const where = "conversations.waitFor";
  if (options === null || typeof options !== "object") throw new TypeError(`${where}: options are required`);
  const agent_id = requireId(where, "agent_id", options.agent_id);
  const since = unixSeconds(where, options.startedAfter);
  if (options.match !== undefined && typeof options.match !== "function") {
    throw new TypeError(`${where}: match must be a function`);
  }
  const match = options.match ?? (() => true);
  return poll(
    where,
    options,
    `no conversation of ${agent_id} started after ${new Date(since * 1000).toISOString()}`,
    async (signal) => {
      // The filter's bound may be exclusive; ask from a second earlier and compare here.
      const list = conversations.list({ agent_id, call_start_after_unix: since - 1 }, { signal });
      for await (const summary of list) {
        if (summary.start_time_unix_secs >= since && match(summary)) return summary;
      }
      return undefined;
    },
  );
}

/**
 * @example
 * const conversation = await convai.conversations.waitUntilDone(conversationId, { timeoutMs: 300_000 });
 * if (conversation.status === "done") console.log(conversation.analysis?.transcript_summary);
 */
export async function waitUntilDone(
  conversations: Conversations,
  conversationId: string,
  options: WaitUntilDoneOptions = {},
): Promise<Conversation> {
  const where = "conversations.waitUntilDone";
  const id = requireId(where, "conversationId", conversationId);
  return poll(where, options, `${id} did not finish processing`, async (signal) => {
    const conversation = await conversations.get(id, { signal });
    return conversation.status === "done" || conversation.status === "failed" ? conversation : undefined;
  });
}

async function poll<T>(
  where: string,
  options: WaitOptions,
  what: string,
  attempt: (signal: AbortSignal) => Promise<T | undefined>,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const pollMs = options.pollMs ?? 1_000;
  requireTimeout(where, "timeoutMs", timeoutMs);
  requireTimeout(where, "pollMs", pollMs);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  const signal = options.signal ? anySignal([options.signal, deadline.signal]) : deadline.signal;
  try {
    for (let pause = pollMs; ; pause = Math.min(pause * 1.5, MAX_POLL_MS)) {
      const found = await attempt(signal);
      if (found !== undefined) return found;
      await sleep(pause, signal);
    }
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (deadline.signal.aborted) {
      throw new ConvaiTimeoutError({
        timeoutMs,
        method: "GET",
        path: where,
        message: `${where}: ${what} within ${timeoutMs} ms`,
      });
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function unixSeconds(where: string, value: unknown): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === "number" ? value * 1000 : NaN;
  if (!Number.isFinite(ms)) {
    throw new TypeError(`${where}: startedAfter must be a Date or unix seconds, got ${describe(value)}`);
  }
  return Math.floor(ms / 1000);
}

function anySignal(signals: AbortSignal[]): AbortSignal {
  if (typeof AbortSignal.any === "function") return AbortSignal.any(signals);
  const controller = new AbortController();
  for (const s of signals) {
    if (s.aborted) return AbortSignal.abort(s.reason);
    s.addEventListener("abort", () => controller.abort(s.reason), { once: true });
  }
  return controller.signal;
}
