/**
 * Receiving ElevenLabs' post-call webhooks: `verifyWebhook` checks the signature header
 * (`ElevenLabs-Signature: t=<unix seconds>,v0=<hex HMAC-SHA256 of "<t>.<raw body>">`), the
 * timestamp's age in both directions, and parses the event. Web Crypto only, so it runs on Node
 * ≥ 20, Deno, Bun, workers and edge runtimes; the comparison is the runtime's own HMAC verify,
 * which does not stop at the first differing byte.
 */
import { ConvaiWebhookError, type WebhookFailure } from "../http/errors.ts";
import { describe } from "../http/input.ts";
import { isBy, matchBy } from "../transcript/narrowing.ts";
import type { KnownWebhookEvent, PostCallAudioEvent, PostCallWebhookEvent, UnknownWebhookEvent } from "../types.ts";

export interface VerifyWebhookOptions {
  /**
   * How far the signature's timestamp may be from now, in seconds, either way.
   * @default 1800 (30 minutes, as ElevenLabs' own handlers allow)
   */
  toleranceSec?: number;
  /** The current time in unix seconds, for tests. @default the clock */
  now?: number;
}

/** The header's name, as ElevenLabs sends it (headers are case-insensitive). */
export const WEBHOOK_SIGNATURE_HEADER = "elevenlabs-signature";

const WHERE = "verifyWebhook";
const encoder = /* @__PURE__ */ new TextEncoder();

/**
 * Verifies a post-call webhook and returns its event, typed by `type`. Pass the body exactly as
 * it arrived (a string or bytes): a body a framework parsed and serialized again is not the one
 * that was signed. Every failure is a `ConvaiWebhookError` with a `reason`; none shows the secret
 * or the body.
 *
 * @example
 * const event = await verifyWebhook(await request.text(), request.headers.get("elevenlabs-signature"), secret);
 * matchWebhookEvent(event, {
 *   post_call_transcription: (e) => save(e.data),
 *   post_call_audio: (e) => store(e.data.conversation_id, webhookAudio(e)),
 *   call_initiation_failure: (e) => log(e.data.failure_reason),
 *   _: () => {}, // kinds added later
 * });
 */
export async function verifyWebhook(
  body: string | Uint8Array | ArrayBuffer,
  signatureHeader: string | null | undefined,
  secret: string,
  options: VerifyWebhookOptions = {},
): Promise<PostCallWebhookEvent> {
  if (typeof secret !== "string" || secret === "") throw new TypeError(`${WHERE}: secret must be a non-empty string`);
  const { toleranceSec = 1800, now = Date.now() / 1000 } = options;
  if (!(toleranceSec >= 0) || !Number.isFinite(toleranceSec)) {
    throw new RangeError(
      `${WHERE}: toleranceSec must be a non-negative number of seconds, got ${describe(toleranceSec)}`,
    );
  }
  const bytes =
    typeof body === "string"
      ? encoder.encode(body)
      : body instanceof Uint8Array
        ? body
        : body instanceof ArrayBuffer
          ? new Uint8Array(body)
          : fail(
              "body_not_raw",
              `the body is ${describe(body)}, not the raw request body: a body parsed and serialized again is ` +
                "not the one that was signed; pass the string or bytes as they arrived",
            );
  if (signatureHeader === null || signatureHeader === undefined || signatureHeader.trim() === "") {
    fail("missing_header", `no ${WEBHOOK_SIGNATURE_HEADER} header`);
  }
  const { timestamp, signatures } = parseHeader(String(signatureHeader));
  if (now - timestamp > toleranceSec) {
    fail(
      "timestamp_too_old",
      `the signature is ${Math.round(now - timestamp)} s old; at most ${toleranceSec} s is accepted`,
    );
  }
  if (timestamp - now > toleranceSec) {
    fail(
      "timestamp_in_future",
      `the signature is dated ${Math.round(timestamp - now)} s ahead; at most ${toleranceSec} s is accepted`,
    );
  }
  const prefix = encoder.encode(`${timestamp}.`);
  const signed = new Uint8Array(prefix.length + bytes.length);
  signed.set(prefix);
  signed.set(bytes, prefix.length);
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "verify",
  ]);
  let valid = false;
  for (const signature of signatures) {
    valid = (await crypto.subtle.verify("HMAC", key, signature as Uint8Array<ArrayBuffer>, signed)) || valid;
  }
  if (!valid) fail("signature_mismatch", "no v0 signature matches the body and timestamp under this secret");
  let event: unknown;
  try {
    event = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    fail("invalid_json", "the signed body is not JSON");
  }
  const e = event as { type?: unknown; event_timestamp?: unknown; data?: unknown } | null;
  if (
    e === null ||
    typeof e !== "object" ||
    typeof e.type !== "string" ||
    typeof e.data !== "object" ||
    e.data === null
  ) {
    fail("invalid_event", "the signed body is JSON but not an event ({ type, event_timestamp, data })");
  }
  return event as PostCallWebhookEvent;
}

/** `t=<digits>` once and `v0=<64 hex>` at least once, in any order, among other schemes; spaces allowed. */
function parseHeader(header: string): { timestamp: number; signatures: Uint8Array[] } {
  let timestamp: number | undefined;
  const signatures: Uint8Array[] = [];
  for (const part of header.split(",")) {
    const at = part.indexOf("=");
    const name = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (at < 0) continue;
    if (name === "t") {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value))
        fail("malformed_header", "t must appear once, as unix seconds");
      timestamp = Number(value);
    } else if (name === "v0") {
      if (!/^[0-9a-f]{64}$/i.test(value)) fail("malformed_header", "a v0 signature must be 64 hex digits");
      signatures.push(hexBytes(value));
    }
  }
  if (timestamp === undefined) fail("malformed_header", "no t= timestamp");
  if (signatures.length === 0) fail("malformed_header", "no v0= signature");
  return { timestamp: timestamp!, signatures };
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function fail(reason: WebhookFailure, detail: string): never {
  throw new ConvaiWebhookError(reason, `${WHERE}: ${detail}`);
}

/**
 * The recording of a `post_call_audio` event as bytes (its `full_audio` is base64 MP3), decoded
 * without Node's Buffer, so it runs anywhere.
 *
 * @example
 * if (isWebhookEvent("post_call_audio", event)) await writeFile(`${event.data.conversation_id}.mp3`, webhookAudio(event));
 */
export function webhookAudio(event: PostCallAudioEvent): Uint8Array {
  const text = event?.data?.full_audio;
  if (typeof text !== "string")
    throw new TypeError("webhookAudio: event must be a post_call_audio event with data.full_audio");
  let binary: string;
  try {
    // atob runs everywhere fetch does; base64url is read too.
    binary = atob(text.replace(/-/g, "+").replace(/_/g, "/").replace(/\s/g, ""));
  } catch {
    throw new TypeError("webhookAudio: data.full_audio is not base64");
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * Matches a webhook event by `type`: `post_call_transcription`, `post_call_audio`,
 * `call_initiation_failure`; `_` takes the rest, including kinds added after this package.
 *
 * @example
 * const id = matchWebhookEvent(event, { post_call_audio: (e) => e.data.conversation_id, _: (e) => e.type });
 */
export const matchWebhookEvent = /* @__PURE__ */ matchBy<KnownWebhookEvent, "type", UnknownWebhookEvent>(
  "type",
  "matchWebhookEvent",
);

/**
 * Whether a webhook event has the given `type` (or one of them).
 *
 * @example
 * if (isWebhookEvent("post_call_transcription", event)) console.log(event.data.transcript.length);
 */
export const isWebhookEvent = /* @__PURE__ */ isBy<KnownWebhookEvent, "type", UnknownWebhookEvent>("type");
