/** `convai.conversations`: list (paginated), get, delete, feedback, the recording, and waiting for one. */
import type { Call, RequestOptions } from "../http/call.ts";
import { describe, requireId } from "../core/input.ts";
import type {
  Conversation,
  ConversationSummary,
  ConversationStatus,
  ConversationsPage,
  FeedbackBody,
  ListConversationsQuery,
} from "../types.ts";
import { Paginator, nextCursorOf } from "./pagination.ts";
import {
  type List,
  type ListFilters,
  type WaitForOptions,
  type WaitUntilDoneOptions,
  listFilters,
  listSince,
  refuseOldNames,
  unixSeconds,
  waitFor,
  waitUntilDone,
} from "./wait.ts";

export interface ConversationAudio {
  /** The recording's bytes, unread. Read it to the end or cancel it to free the connection. */
  body: ReadableStream<Uint8Array>;
  /** `audio/mpeg` for the API's recordings; `application/octet-stream` when the response names none. */
  contentType: string;
  /** Length in bytes from `Content-Length`, when the API sends it. */
  contentLength: number | undefined;
}

export interface Conversations {
  /**
   * Every conversation matching the filters, newest first, across all pages. Lazy: pages are
   * fetched as the loop reaches them. `.pages()` yields whole pages; `.toArray({ max })` collects.
   *
   * @example
   * for await (const c of convai.conversations.list({ agent_id, call_successful: "failure" })) {
   *   console.log(c.conversation_id, c.call_summary_title);
   * }
   */
  list(query?: ListConversationsQuery, options?: RequestOptions): Paginator<ConversationsPage, ConversationSummary>;
  /** One conversation with its transcript, metadata and analysis. */
  get(conversationId: string, options?: RequestOptions): Promise<Conversation>;
  /** Deletes a conversation (its transcript, recording and analysis). */
  delete(conversationId: string, options?: RequestOptions): Promise<void>;
  /** Sets the conversation's feedback: `"like"`, `"dislike"`, or `null` to clear it. Never retried. */
  sendFeedback(conversationId: string, feedback: FeedbackBody["feedback"], options?: RequestOptions): Promise<void>;
  /**
   * The recording as a stream, with its type and length, without reading it. Resolves once the
   * headers are in; a non-2xx status throws before any body is handed over.
   *
   * @example
   * const { body, contentLength } = await convai.conversations.audio(id);
   * await body.pipeTo(Writable.toWeb(createWriteStream("call.mp3")));
   */
  audio(conversationId: string, options?: RequestOptions): Promise<ConversationAudio>;
  /** Polls the list until a conversation of the agent that started after `startedAfter` appears. */
  waitFor(options: WaitForOptions): Promise<ConversationSummary>;
  /** Polls a conversation until its status is `done` or `failed`, and returns it. */
  waitUntilDone(conversationId: string, options?: WaitUntilDoneOptions): Promise<Conversation>;
  /**
   * The finished conversations (`done` or `failed`) that started at or after `startedAfter` and
   * are not in `seen`: the ones a webhook receiver missed. Lazy, newest first, one list request per page.
   *
   * @example
   * const missing = convai.conversations.reconcile({ query: { agent_id }, startedAfter: lastRun, seen: receivedIds });
   * for await (const missed of missing) {
   *   await handle(await convai.conversations.get(missed.conversation_id));
   * }
   */
  reconcile(options: ReconcileOptions): AsyncIterable<ConversationSummary>;
}

export interface ReconcileOptions extends RequestOptions {
  /** Which conversations to look at: the list's filters, e.g. `{ agent_id }`; every agent's by default. */
  query?: ListFilters;
  /** Conversations that started at or after this moment: a Date, or unix seconds. */
  startedAfter: Date | number;
  /** The ids already handled: a Set (or anything with `has`), or a function. */
  seen: { has(conversationId: string): boolean } | ((conversationId: string) => boolean);
  /**
   * Which statuses count as finished.
   * @default ["done", "failed"]
   */
  statuses?: readonly ConversationStatus[];
}

/** What the list's iterator reads from a page. */
const PAGE = { conversations: "array", has_more: "boolean" } as const;

export function createConversations(call: Call): Conversations {
  /** The path of an operation on one conversation, its id checked first. */
  const one = (where: string, conversationId: string) => ({
    params: { path: { conversation_id: requireId(where, "conversationId", conversationId) } },
  });

  const list: Conversations["list"] = (query = {}, options) => {
    const where = "conversations.list";
    // Every filter is checked against the spec's parameters now, so a bad one throws here and not at the first page.
    call.checkQuery("listConversations", query, where);
    const { cursor, ...filters } = query;
    if (cursor !== undefined && cursor !== null && (typeof cursor !== "string" || cursor === "")) {
      throw new TypeError(`${where}: cursor must be a non-empty string, got ${describe(cursor)}`);
    }
    return new Paginator<ConversationsPage, ConversationSummary>(
      {
        label: where,
        fetchPage: (next) =>
          call(
            "listConversations",
            { params: { query: next === undefined ? filters : { ...filters, cursor: next } } },
            options,
            where,
            PAGE,
          ),
        items: (page) => page.conversations,
        next: (page) => nextCursorOf(where, page),
        redact: call.redact,
      },
      cursor ?? undefined,
    );
  };

  /** The list as the helpers walk it, with its query check under the helper's name. */
  const helperList: List = Object.assign(
    (query: ListConversationsQuery, options?: RequestOptions) => list(query, options),
    {
      check: (where: string, query: unknown) => call.checkQuery("listConversations", query, where),
    },
  );

  const get: Conversations["get"] = async (conversationId, options) =>
    call("getConversation", one("conversations.get", conversationId), options, "conversations.get");

  return {
    list,
    get,

    async delete(conversationId, options) {
      await call("deleteConversation", one("conversations.delete", conversationId), options, "conversations.delete");
    },

    async sendFeedback(conversationId, feedback, options) {
      const where = "conversations.sendFeedback";
      // The body's field is checked by the call against the spec (its enum, and whether null clears it).
      await call("sendConversationFeedback", { ...one(where, conversationId), body: { feedback } }, options, where);
    },

    async audio(conversationId, options) {
      const where = "conversations.audio";
      const response = await call("getConversationAudio", one(where, conversationId), options, where);
      const length = Number(response.headers.get("content-length") ?? NaN);
      return {
        body: response.body ?? new ReadableStream({ start: (c) => c.close() }),
        contentType: response.headers.get("content-type") ?? "application/octet-stream",
        contentLength: Number.isSafeInteger(length) && length >= 0 ? length : undefined,
      };
    },

    waitFor: (options) => waitFor(helperList, options),
    reconcile: (options) => reconcile(helperList, options),
    waitUntilDone: (conversationId, options) => waitUntilDone(get, conversationId, options),
  };
}

/** The lazy walk behind `reconcile`: its options are checked on the call, its pages fetched as the loop asks. */
function reconcile(list: List, options: ReconcileOptions): AsyncIterable<ConversationSummary> {
  const where = "conversations.reconcile";
  if (options === null || typeof options !== "object") throw new TypeError(`${where}: options are required`);
  refuseOldNames(where, options);
  const { query: filters, startedAfter, seen, statuses = ["done", "failed"], ...callOptions } = options;
  const query = listFilters(list, where, filters, false);
  const since = unixSeconds(where, "startedAfter", startedAfter);
  const has =
    typeof seen === "function" ? seen : typeof seen?.has === "function" ? (id: string) => seen.has(id) : undefined;
  if (has === undefined)
    throw new TypeError(`${where}: seen must be a Set of conversation ids or a function, got ${describe(seen)}`);
  if (!Array.isArray(statuses)) throw new TypeError(`${where}: statuses must be an array`);
  const pages = listSince(list, since, query, callOptions);
  return {
    async *[Symbol.asyncIterator]() {
      for await (const summary of pages) {
        if (summary.start_time_unix_secs < since) return; // newest first: nothing older can count
        if (statuses.includes(summary.status) && !has(summary.conversation_id)) yield summary;
      }
    },
  };
}
