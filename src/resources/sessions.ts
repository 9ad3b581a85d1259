/**
 * `convai.sessions`: credentials a browser uses to start a conversation, and the conversation id
 * they were minted for, known on the server before the browser connects.
 */
import type { Call, RequestOptions } from "../http/call.ts";
import { describe, requireId } from "../core/input.ts";
import type { SignedUrlQuery, WebrtcTokenQuery } from "../types.ts";
import { readToken } from "./token.ts";

export interface WebrtcToken {
  /** The LiveKit token to hand to the browser. */
  token: string;
  /** The conversation this token starts, when it can be told (see `conversationIdSource`). */
  conversationId: string | undefined;
  /**
   * Where `conversationId` came from: `"response"`, the response's `conversation_id` (declared by
   * the official SDK, not on the reference page); `"token"`, the room name or subject inside the token
   * (how the official browser client finds it); `undefined` when neither holds one.
   */
  conversationIdSource: "response" | "token" | undefined;
  /** The token's expiry (`exp`), when it has one. */
  expiresAt: Date | undefined;
}

export interface SignedUrl {
  /** The `wss://` URL to hand to the browser. */
  signedUrl: string;
  /** The conversation this URL starts; asked for with `include_conversation_id: true`. */
  conversationId: string | undefined;
  /**
   * `"url"`: the URL's `conversation_id` query parameter (what `include_conversation_id`
   * adds); `"response"`: a `conversation_id` field of the response; `undefined`: neither.
   */
  conversationIdSource: "url" | "response" | undefined;
}

export interface Sessions {
  /**
   * Mints a WebRTC conversation token, and reads the conversation id it was minted for.
   *
   * @example
   * const { token, conversationId } = await convai.sessions.webrtcToken({ agent_id: "agent_123" });
   * // give `token` to the browser; keep `conversationId` to fetch the transcript later
   */
  webrtcToken(query: WebrtcTokenQuery, options?: RequestOptions): Promise<WebrtcToken>;
  /**
   * Gets a signed WebSocket URL; with `include_conversation_id: true` it names the conversation.
   *
   * @example
   * const { signedUrl, conversationId } = await convai.sessions.signedUrl({ agent_id, include_conversation_id: true });
   */
  signedUrl(query: SignedUrlQuery, options?: RequestOptions): Promise<SignedUrl>;
}

export function createSessions(call: Call): Sessions {
  return {
    async webrtcToken(query, options) {
      const where = "sessions.webrtcToken";
      requireAgent(where, query);
      const body = await call("getConversationToken", { params: { query } }, options, where, { token: "string" });
      const { token } = body;
      // The token is the API's to shape: whatever it holds, it is returned; what cannot be read from it is undefined.
      const fromResponse = stringField(body, "conversation_id");
      const read = readToken(token);
      const fromToken = fromResponse === undefined ? read.conversationId : undefined;
      return {
        token,
        conversationId: fromResponse ?? fromToken,
        conversationIdSource: fromResponse !== undefined ? "response" : fromToken !== undefined ? "token" : undefined,
        expiresAt: read.expiresAt,
      };
    },

    async signedUrl(query, options) {
      const where = "sessions.signedUrl";
      requireAgent(where, query);
      const body = await call("getSignedUrl", { params: { query } }, options, where, { signed_url: "string" });
      const fromUrl = conversationIdFromUrl(body.signed_url);
      const fromResponse = fromUrl === undefined ? stringField(body, "conversation_id") : undefined;
      return {
        signedUrl: body.signed_url,
        conversationId: fromUrl ?? fromResponse,
        conversationIdSource: fromUrl !== undefined ? "url" : fromResponse !== undefined ? "response" : undefined,
      };
    },
  };
}

function requireAgent(where: string, query: unknown): void {
  if (query === null || typeof query !== "object") {
    throw new TypeError(`${where}: query must be an object with agent_id, got ${describe(query)}`);
  }
  requireId(where, "agent_id", (query as { agent_id?: unknown }).agent_id);
}

function stringField(body: object, name: string): string | undefined {
  const value = (body as Record<string, unknown>)[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

function conversationIdFromUrl(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get("conversation_id") || undefined;
  } catch {
    return undefined;
  }
}
