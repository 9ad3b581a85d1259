/**
 * Reading a WebRTC conversation token on the server. The token is a LiveKit access token (a
 * JWT); its `video.room` names the room `room_agent_<agent id>_conv_<conversation id>`. The
 * official browser client takes the conversation id from that name with `conv_[a-zA-Z0-9]+`;
 * this does the same before any browser connects. No signature check: the token is the API's.
 */

import { decodeBase64 } from "../core/util.ts";

const CONVERSATION_ID = /conv_[a-zA-Z0-9]+/g;

/**
 * The longest token decoded. A conversation token is well under a kilobyte; decoding a string of
 * many megabytes would cost many times its size in memory (a 140 MB one runs the process out of it).
 */
export const MAX_TOKEN_LENGTH = 65_536;

/** The decoded payload of a JWT. Throws a TypeError naming what is wrong when `token` is not one. */
export function decodeJwtPayload(token: string): Record<string, unknown> {
  if (typeof token !== "string") throw new TypeError(`expected a JWT string, got ${typeof token}`);
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new RangeError(`not a conversation token: ${token.length} characters, more than ${MAX_TOKEN_LENGTH}`);
  }
  const parts = token.split(".");
  if (parts.length !== 3) throw new TypeError(`not a JWT: expected 3 dot-separated parts, found ${parts.length}`);
  const encoded = parts[1]!;
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(encoded)) throw new TypeError("not a JWT: the payload is not base64url");
  let json: string;
  try {
    json = new TextDecoder("utf-8", { fatal: true }).decode(decodeBase64(encoded));
  } catch {
    throw new TypeError("not a JWT: the payload is not base64url");
  }
  let payload: unknown;
  try {
    payload = JSON.parse(json);
  } catch {
    throw new TypeError("not a JWT: the payload is not JSON");
  }
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    throw new TypeError("not a JWT: the payload is not a JSON object");
  }
  return payload as Record<string, unknown>;
}

/**
 * The conversation id a WebRTC token was minted for: from the room name (`video.room`), else
 * from the subject (`sub`); `undefined` when the token holds none. Runs anywhere (no `node:`).
 *
 * @example
 * const { token } = await convai.sessions.webrtcToken({ agent_id });
 * conversationIdFromToken(token); // "conv_01jz…"
 */
export function conversationIdFromToken(token: string): string | undefined {
  return conversationIdIn(decodeJwtPayload(token));
}

/**
 * When the token stops being accepted (its `exp`), or `undefined` when it has none.
 *
 * @example
 * const msLeft = tokenExpiresAt(token)!.getTime() - Date.now();
 */
export function tokenExpiresAt(token: string): Date | undefined {
  return expiryIn(decodeJwtPayload(token));
}

/** What the server wants from a freshly minted token, read once, never throwing: its conversation id and expiry. */
export function readToken(token: string): { conversationId: string | undefined; expiresAt: Date | undefined } {
  let payload: Record<string, unknown>;
  try {
    payload = decodeJwtPayload(token);
  } catch {
    return { conversationId: undefined, expiresAt: undefined };
  }
  return { conversationId: conversationIdIn(payload), expiresAt: expiryIn(payload) };
}

function conversationIdIn(payload: Record<string, unknown>): string | undefined {
  const video = payload.video as { room?: unknown } | null | undefined;
  return lastConversationId(video?.room) ?? lastConversationId(payload.sub);
}

/** `exp` as a Date, when it is a number a Date can hold (a Date reaches ±8.64e15 ms). */
function expiryIn(payload: Record<string, unknown>): Date | undefined {
  const exp = payload.exp;
  if (typeof exp !== "number") return undefined;
  const date = new Date(exp * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The last `conv_…` in a string: the room name puts the agent first and the conversation last. */
function lastConversationId(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const matches = value.match(CONVERSATION_ID);
  return matches ? matches[matches.length - 1] : undefined;
}
