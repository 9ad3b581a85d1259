/** `convai.conversations`: list (paginated), get, delete, feedback, audio, and waiting for one. */
import type {
  Conversation,
  ConversationSummary,
  ConversationsPage,
  FeedbackScore,
  ListConversationsQuery,
} from "../types.ts";
import { type ConversationAudio, getAudio } from "./audio.ts";
import type { Context, RequestOptions } from "../http/call.ts";
import { describe, requireId, requireIntegerIn } from "../http/input.ts";
import { Paginator, nextCursorOf } from "./pagination.ts";
import { type WaitForOptions, type WaitUntilDoneOptions, waitFor, waitUntilDone } from "./wait.ts";

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
  sendFeedback(conversationId: string, feedback: FeedbackScore | null, options?: RequestOptions): Promise<void>;
  /** The recording as a stream, with its type and length, without reading it. */
  audio(conversationId: string, options?: RequestOptions): Promise<ConversationAudio>;
  /** Polls the list until a conversation of the agent that started after `startedAfter` appears. */
  waitFor(options: WaitForOptions): Promise<ConversationSummary>;
  /** Polls a conversation until its status is `done` or `failed`, and returns it. */
  waitUntilDone(conversationId: string, options?: WaitUntilDoneOptions): Promise<Conversation>;
}

const INTEGER_FILTERS = [
  "call_start_before_unix",
  "call_start_after_unix",
  "call_duration_min_secs",
  "call_duration_max_secs",
  "rating_min",
  "rating_max",
] as const;

export function createConversations(ctx: Context): Conversations {
  const self: Conversations = {
    list(query = {}, options) {
      const where = "conversations.list";
      if (query === null || typeof query !== "object" || Array.isArray(query)) {
        throw new TypeError(`${where}: query must be an object, got ${describe(query)}`);
      }
      requireIntegerIn(where, "page_size", query.page_size, 1, 100);
      for (const name of INTEGER_FILTERS) {
        const value = query[name];
        if (value !== undefined && value !== null) requireIntegerIn(where, name, value, -(2 ** 53), 2 ** 53);
      }
      const { cursor, ...filters } = query;
      if (cursor !== undefined && cursor !== null && (typeof cursor !== "string" || cursor === "")) {
        throw new TypeError(`${where}: cursor must be a non-empty string, got ${describe(cursor)}`);
      }
      const init = ctx.init(where, options);
      return new Paginator<ConversationsPage, ConversationSummary>(
        {
          label: where,
          async fetchPage(next) {
            const result = await ctx.api.GET("/v1/convai/conversations", {
              params: { query: next === undefined ? filters : { ...filters, cursor: next } },
              ...init,
            });
            return ctx.unwrap("GET", result);
          },
          items: (page) => page.conversations,
          next: (page) => nextCursorOf(where, page),
        },
        cursor ?? undefined,
      );
    },

    async get(conversationId, options) {
      const where = "conversations.get";
      const conversation_id = requireId(where, "conversationId", conversationId);
      const result = await ctx.api.GET("/v1/convai/conversations/{conversation_id}", {
        params: { path: { conversation_id } },
        ...ctx.init(where, options),
      });
      return ctx.unwrap("GET", result);
    },

    async delete(conversationId, options) {
      const where = "conversations.delete";
      const conversation_id = requireId(where, "conversationId", conversationId);
      const result = await ctx.api.DELETE("/v1/convai/conversations/{conversation_id}", {
        params: { path: { conversation_id } },
        ...ctx.init(where, options),
      });
      ctx.unwrap("DELETE", result);
    },

    async sendFeedback(conversationId, feedback, options) {
      const where = "conversations.sendFeedback";
      const conversation_id = requireId(where, "conversationId", conversationId);
      if (feedback !== null && feedback !== "like" && feedback !== "dislike") {
        throw new TypeError(`${where}: feedback must be "like", "dislike" or null, got ${describe(feedback)}`);
      }
      const result = await ctx.api.POST("/v1/convai/conversations/{conversation_id}/feedback", {
        params: { path: { conversation_id } },
        body: { feedback },
        ...ctx.init(where, options),
      });
      ctx.unwrap("POST", result);
    },

    audio: (conversationId, options) => getAudio(ctx, conversationId, options),
    waitFor: (options) => waitFor(self, options),
    waitUntilDone: (conversationId, options) => waitUntilDone(self, conversationId, options),
  };
  return self;
}
