/**
 * `convai.conversations`: list (paginated), get, delete, feedback, the recording, the searches,
 * tags and analysis. Waiting for a conversation is a function of its own (./wait.ts).
 */
import type { Call, RequestOptions } from "../http/call.ts";
import { describe, requireId } from "../core/input.ts";
import { FACADE_OPERATIONS } from "../generated/operations.ts";
import type {
  Conversation,
  ConversationSummary,
  ConversationSummaryDetails,
  ConversationSummaryQuery,
  ConversationWithTraces,
  ConversationsPage,
  FeedbackBody,
  GetConversationQuery,
  ListConversationsQuery,
  MessageSearchPage,
  MessageSearchResult,
  RunEvaluationBody,
  SearchMessagesQuery,
  SmartSearchMessagesQuery,
} from "../types.ts";
import { Paginator, nextCursorOf } from "./pagination.ts";

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
  /**
   * One conversation with its transcript, metadata and analysis. The options take the call's
   * options and the operation's query: with `format: "opentelemetry"` the conversation carries its
   * trace in OpenTelemetry's JSON form in `otlp_traces`, typed.
   *
   * @example
   * const { otlp_traces } = await convai.conversations.get(id, { format: "opentelemetry" });
   * for (const r of otlp_traces.resourceSpans ?? []) for (const s of r.scopeSpans ?? []) console.log(s.spans?.length);
   */
  get(
    conversationId: string,
    options: GetConversationOptions & { format: "opentelemetry" },
  ): Promise<ConversationWithTraces>;
  get(conversationId: string, options?: GetConversationOptions): Promise<Conversation>;
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
  /**
   * Messages across conversations that contain the words of `text_query` (full-text and fuzzy),
   * with the list's filters. Lazy, like `list`: pages are fetched as the loop reaches them.
   *
   * @example
   * for await (const hit of convai.conversations.searchMessages({ text_query: "refund", agent_id })) {
   *   console.log(hit.conversation_id, hit.transcript_index, hit.chunk_text);
   * }
   */
  searchMessages(
    query: SearchMessagesQuery,
    options?: RequestOptions,
  ): Paginator<MessageSearchPage, MessageSearchResult>;
  /** Messages across conversations close in meaning to `text_query` (semantic search). Lazy, like `list`. */
  smartSearchMessages(
    query: SmartSearchMessagesQuery,
    options?: RequestOptions,
  ): Paginator<MessageSearchPage, MessageSearchResult>;
  /** Adds tags (by id) to a conversation; adding one it has is a no-op. */
  addTags(conversationId: string, tagIds: readonly string[], options?: RequestOptions): Promise<void>;
  /** Removes one tag from a conversation. */
  removeTag(conversationId: string, tagId: string, options?: RequestOptions): Promise<void>;
  /** Runs the conversation's analysis again (evaluation criteria, data collection) and returns the conversation. Never retried. */
  runAnalysis(conversationId: string, options?: RequestOptions): Promise<Conversation>;
  /**
   * Runs one evaluation criterion again and returns the conversation. Never retried.
   *
   * @example
   * const c = await convai.conversations.runEvaluation(id, { evaluation_id: "issue_resolved" });
   */
  runEvaluation(conversationId: string, body: RunEvaluationBody, options?: RequestOptions): Promise<Conversation>;
  /** The conversation's generated title and summary, with its first messages (`max_messages`). */
  summary(
    conversationId: string,
    query?: ConversationSummaryQuery,
    options?: RequestOptions,
  ): Promise<ConversationSummaryDetails>;
}

/** The options of `conversations.get`: the call's options and the operation's query (`format`). */
export type GetConversationOptions = RequestOptions & GetConversationQuery;

export function createConversations(call: Call): Conversations {
  const loose = call as unknown as LooseCall;

  /**
   * Calls `operationId` on one conversation for `conversations.<name>`: the operation checked to be
   * in the spec, the id, then `more` (the method's own checks, which give its path, query or body).
   */
  const one = async (
    name: string,
    operationId: string,
    conversationId: string,
    options: RequestOptions | undefined,
    more: (where: string) => { path?: object; query?: unknown; body?: unknown } = () => ({}),
  ): Promise<never> => {
    const where = `conversations.${name}`;
    requireOperation(operationId, where);
    const conversation_id = requireId(where, "conversationId", conversationId);
    const { path, query, body } = more(where);
    return (await loose(
      operationId,
      { params: { path: { conversation_id, ...path }, query }, body },
      options,
      where,
    )) as never;
  };

  /**
   * A lazy walk of an operation that pages by cursor and lists its items in `field`: the list, and
   * the searches. Every filter is checked against the spec's parameters now, so a bad one throws
   * here and not at the first page.
   */
  const walk = <Page, Item>(
    operationId: string,
    name: string,
    query: unknown,
    options: RequestOptions | undefined,
    field: "conversations" | "results",
  ): Paginator<Page, Item> => {
    const where = `conversations.${name}`;
    requireOperation(operationId, where);
    call.checkQuery(operationId as never, query, where);
    const { cursor, ...filters } = (query ?? {}) as { cursor?: unknown };
    if (cursor !== undefined && cursor !== null && (typeof cursor !== "string" || cursor === "")) {
      throw new TypeError(`${where}: cursor must be a non-empty string, got ${describe(cursor)}`);
    }
    return new Paginator<Page, Item>(
      {
        label: where,
        fetchPage: async (next) =>
          (await loose(
            operationId,
            { params: { query: next === undefined ? filters : { ...filters, cursor: next } } },
            options,
            where,
            { [field]: "array", has_more: "boolean" },
          )) as Page,
        items: (page) => (page as Record<string, Item[]>)[field]!,
        next: (page) => nextCursorOf(where, page as { has_more: boolean; next_cursor?: string | null }),
        redact: call.redact,
      },
      cursor ?? undefined,
    );
  };

  return {
    list: (query = {}, options) => walk("listConversations", "list", query, options, "conversations"),

    get: (async (conversationId: string, options?: GetConversationOptions) => {
      const { request, query } = splitOptions("conversations.get", options);
      return one("get", "getConversation", conversationId, request, () => ({ query }));
    }) as Conversations["get"],

    searchMessages: (query, options) =>
      walk("textSearchConversationMessages", "searchMessages", query, options, "results"),
    smartSearchMessages: (query, options) =>
      walk("smartSearchConversationMessages", "smartSearchMessages", query, options, "results"),

    addTags: async (conversationId, tagIds, options) => {
      await one("addTags", "addConversationTags", conversationId, options, (where) => {
        if (!Array.isArray(tagIds) || tagIds.length === 0) {
          throw new TypeError(`${where}: tagIds must be a non-empty array of tag ids, got ${describe(tagIds)}`);
        }
        tagIds.forEach((id, i) => requireId(where, `tagIds[${i}]`, id));
        return { body: { tag_ids: [...tagIds] } };
      });
    },

    removeTag: async (conversationId, tagId, options) => {
      await one("removeTag", "removeConversationTag", conversationId, options, (where) => ({
        path: { tag_id: requireId(where, "tagId", tagId) },
      }));
    },

    runAnalysis: (conversationId, options) => one("runAnalysis", "runConversationAnalysis", conversationId, options),

    runEvaluation: (conversationId, body, options) =>
      one("runEvaluation", "runConversationEvaluations", conversationId, options, (where) => {
        if (body === null || typeof body !== "object" || Array.isArray(body)) {
          throw new TypeError(`${where}: body must be an object with evaluation_id, got ${describe(body)}`);
        }
        return { body };
      }),

    summary: (conversationId, query, options) =>
      one("summary", "getConversationSummary", conversationId, options, () => ({ query })),

    delete: async (conversationId, options) => {
      await one("delete", "deleteConversation", conversationId, options);
    },

    // The body's field is checked by the call against the spec (its enum, and whether null clears it).
    sendFeedback: async (conversationId, feedback, options) => {
      await one("sendFeedback", "sendConversationFeedback", conversationId, options, () => ({ body: { feedback } }));
    },

    async audio(conversationId, options) {
      const response: Response = await one("audio", "getConversationAudio", conversationId, options);
      const length = Number(response.headers.get("content-length") ?? NaN);
      return {
        body: response.body ?? new ReadableStream({ start: (c) => c.close() }),
        contentType: response.headers.get("content-type") ?? "application/octet-stream",
        contentLength: Number.isSafeInteger(length) && length >= 0 ? length : undefined,
      };
    },
  };
}

/** The request options (`signal`, `timeoutMs`, `maxRetries`, `headers`) apart from the operation's query. */
const REQUEST_OPTIONS = new Set(["signal", "timeoutMs", "maxRetries", "headers"]);

function splitOptions(
  where: string,
  options: object | undefined,
): { request: RequestOptions | undefined; query: Record<string, unknown> | undefined } {
  if (options === undefined) return { request: undefined, query: undefined };
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
  }
  const request: Record<string, unknown> = {};
  let query: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(options)) {
    if (REQUEST_OPTIONS.has(key)) request[key] = value;
    else (query ??= {})[key] = value;
  }
  return { request: request as RequestOptions, query };
}

/**
 * An operation a newer document has (the searches, tags, analysis re-runs, summary): a spec
 * without it still builds, and the method says so on the call, before any request.
 */
function requireOperation(operationId: string, where: string): void {
  if (!Object.hasOwn(FACADE_OPERATIONS, operationId)) {
    throw new TypeError(
      `${where}: the API document this package was generated from has no ${operationId} operation; ` +
        "regenerate it from a newer one (npm run build:spec -- --from <document>)",
    );
  }
}

/** The call seam for an operation the spec may lack (checked by `requireOperation` first). */
type LooseCall = (
  id: string,
  init: object,
  options: RequestOptions | undefined,
  where: string,
  expected?: object,
) => Promise<unknown>;
