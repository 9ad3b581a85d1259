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
  const payload = jwtPayload(token);
  if (typeof payload === "object") return payload;
  if (payload === Failure.NotString) throw new TypeError(`expected a JWT string, got ${typeof token}`);
  if (payload === Failure.TooLong) {
    throw new RangeError(`not a conversation token: ${token.length} characters, more than ${MAX_TOKEN_LENGTH}`);
  }
  throw new TypeError(
    payload === Failure.Parts
      ? `not a JWT: expected 3 dot-separated parts, found ${token.split(".").length}`
      : `not a JWT: the payload is not ${payload === Failure.NotBase64 ? "base64url" : payload === Failure.NotJson ? "JSON" : "a JSON object"}`,
  );
}

/** Which check a token failed; a const enum, so the bundle holds the numbers and no table of names. */
const enum Failure {
  NotString,
  TooLong,
  Parts,
  NotBase64,
  NotJson,
  NotObject,
}

/**
 * The payload of a JWT, or which check it failed (a number, turned into a message by
 * `decodeJwtPayload` only: `readToken` needs no messages, so a bundle of the client has none).
 */
function jwtPayload(token: unknown): Record<string, unknown> | Failure {
  if (typeof token !== "string") return Failure.NotString;
  if (token.length > MAX_TOKEN_LENGTH) return Failure.TooLong;
  const parts = token.split(".");
  if (parts.length !== 3) return Failure.Parts;
  const encoded = parts[1]!;
  let json: string;
  try {
    if (!/^[A-Za-z0-9_-]+={0,2}$/.test(encoded)) return Failure.NotBase64;
    json = new TextDecoder("utf-8", { fatal: true }).decode(decodeBase64(encoded));
  } catch {
    return Failure.NotBase64;
  }
  let payload: unknown;
  try {
    payload = JSON.parse(json);
  } catch {
    return Failure.NotJson;
  }
  return payload === null || typeof payload !== "object" || Array.isArray(payload)
    ? Failure.NotObject
    : (payload as Record<string, unknown>);
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
  const payload = jwtPayload(token);
  if (typeof payload !== "object") return { conversationId: undefined, expiresAt: undefined };
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
