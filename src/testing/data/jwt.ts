/**
 * WebRTC conversation tokens shaped like the LiveKit access tokens the API returns: an HS256
 * JWT whose `video.room` is `room_<agent id>_<conversation id>`, which is where the official
 * browser client (and this package's `conversationIdFromToken`) finds the conversation id.
 */
import { createHmac } from "node:crypto";

interface ConversationTokenClaims {
  /** The LiveKit API key that issued the token. */
  issuer: string;
  /** The participant identity (`sub`). */
  identity: string;
  /** The display name, when the caller gave `participant_name`. */
  name?: string;
  agentId: string;
  conversationId: string;
  /** Unix seconds the token becomes valid; it expires 600 s later. */
  now: number;
}

/** How long a conversation token is valid, as the API's are. */
const TOKEN_TTL_SECS = 600;

/**
 * Mints a conversation token signed with `secret`.
 *
 * @example
 * const token = mintConversationToken({ issuer: "APIemu", identity: "user_1", agentId, conversationId, now }, secret);
 */
export function mintConversationToken(claims: ConversationTokenClaims, secret: string): string {
  const payload = {
    iss: claims.issuer,
    sub: claims.identity,
    nbf: claims.now,
    exp: claims.now + TOKEN_TTL_SECS,
    ...(claims.name === undefined ? {} : { name: claims.name }),
    video: {
      room: `room_${claims.agentId}_${claims.conversationId}`,
      roomJoin: true,
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
    },
  };
  return signJwt(payload, secret);
}

/**
 * An HS256 JWT of `payload`: base64url without padding, header `{"alg":"HS256","typ":"JWT"}`.
 *
 * @example
 * signJwt({ sub: "x" }, "secret"); // "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4In0.…"
 */
function signJwt(payload: object, secret: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const unsigned = `${encode({ alg: "HS256", typ: "JWT" })}.${encode(payload)}`;
  const signature = createHmac("sha256", secret).update(unsigned).digest("base64url");
  return `${unsigned}.${signature}`;
}
