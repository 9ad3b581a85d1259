/**
 * Receiving ElevenLabs' post-call webhooks: `verifyWebhook` checks the signature header
 * (`ElevenLabs-Signature: t=<unix seconds>,v0=<hex HMAC-SHA256 of "<t>.<raw body>">`), the
 * timestamp's age in both directions, and parses the event. Where the runtime hands out
 * node:crypto without an import (`process.getBuiltinModule`: Node ≥ 20.16, Bun, Deno) the HMAC is
 * computed there, about five times faster for small events; elsewhere (browsers, workers, edge
 * runtimes) by Web Crypto. Either way the comparison does not stop at the first differing byte.
 */
import { ConvaiWebhookError, type WebhookFailure } from "../core/errors.ts";
import { describe } from "../core/input.ts";
import { decodeBase64 } from "../core/util.ts";
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
const decoder = /* @__PURE__ */ new TextDecoder("utf-8", { fatal: true });

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
  signatureHeader: string | readonly string[] | null | undefined,
  secret: string,
  options: VerifyWebhookOptions = {},
): Promise<PostCallWebhookEvent> {
  if (typeof secret !== "string" || secret === "") throw new TypeError(`${WHERE}: secret must be a non-empty string`);
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${WHERE}: options must be an object, got ${describe(options)}`);
  }
  const { toleranceSec = 1800, now = Date.now() / 1000 } = options;
  if (typeof toleranceSec !== "number" || !(toleranceSec >= 0) || !Number.isFinite(toleranceSec)) {
    throw new RangeError(
      `${WHERE}: toleranceSec must be a non-negative number of seconds, got ${describe(toleranceSec)}`,
    );
  }
  // A `now` of NaN or "abc" would compare false both ways and let a signature of 1970 through.
  if (typeof now !== "number" || !(now >= 0) || !Number.isFinite(now)) {
    throw new RangeError(`${WHERE}: now must be a finite, non-negative number of unix seconds, got ${describe(now)}`);
  }
  const raw = rawBody(body);
  const { timestamp, stamp, signatures } = parseHeader(headerText(signatureHeader));
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
  // What was signed is "<t as sent>.<body>"; a string body is hashed as its UTF-8 bytes either way.
  const node = nodeCrypto();
  let valid = false;
  if (node !== undefined) {
    const mac = node.createHmac("sha256", secret).update(`${stamp}.`).update(raw).digest();
    for (const signature of signatures) valid = node.timingSafeEqual(mac, signature) || valid;
  } else {
    const bytes = typeof raw === "string" ? encoder.encode(raw) : raw;
    const prefix = encoder.encode(`${stamp}.`);
    const signed = new Uint8Array(prefix.length + bytes.length);
    signed.set(prefix);
    signed.set(bytes, prefix.length);
    const key = await keyFor(secret);
    for (const signature of signatures) {
      valid = (await crypto.subtle.verify("HMAC", key, signature as Uint8Array<ArrayBuffer>, signed)) || valid;
    }
  }
  if (!valid) fail("signature_mismatch", "no v0 signature matches the body and timestamp under this secret");
  let event: unknown;
  try {
    event = JSON.parse(typeof raw === "string" ? raw : decoder.decode(raw));
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

/**
 * The body as a string or bytes: a Uint8Array (a Buffer) or any other view, and an ArrayBuffer,
 * from any realm (a `vm` context or an iframe makes its own `Uint8Array`, which `instanceof` misses).
 */
function rawBody(body: unknown): string | Uint8Array {
  if (typeof body === "string") return body;
  if (ArrayBuffer.isView(body)) {
    return Object.prototype.toString.call(body) === "[object Uint8Array]"
      ? (body as Uint8Array)
      : new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  }
  if (body instanceof ArrayBuffer || Object.prototype.toString.call(body) === "[object ArrayBuffer]") {
    return new Uint8Array(body as ArrayBuffer);
  }
  return fail(
    "body_not_raw",
    `the body is ${describe(body)}, not the raw request body: a body parsed and serialized again is ` +
      "not the one that was signed; pass the string or bytes as they arrived",
  );
}

/**
 * The signature header as one string. Node hands a repeated header over as an array: one value is
 * taken, several are refused (which one was signed cannot be told); anything else but a string is
 * malformed.
 */
function headerText(header: unknown): string {
  if (Array.isArray(header)) {
    if (header.length !== 1) {
      fail("malformed_header", `${header.length} ${WEBHOOK_SIGNATURE_HEADER} headers; expected exactly one`);
    }
    header = header[0];
  }
  if (header === null || header === undefined || (typeof header === "string" && header.trim() === "")) {
    fail("missing_header", `no ${WEBHOOK_SIGNATURE_HEADER} header`);
  }
  if (typeof header !== "string") {
    fail(
      "malformed_header",
      `the ${WEBHOOK_SIGNATURE_HEADER} header is ${ArrayBuffer.isView(header) ? "bytes" : typeof header}, not a string`,
    );
  }
  return header;
}

/** The part of node:crypto used here, typed locally so the main entry's types need no @types/node. */
interface NodeCrypto {
  createHmac(algorithm: "sha256", key: string): NodeHmac;
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
}
interface NodeHmac {
  update(data: string | Uint8Array): NodeHmac;
  digest(): Uint8Array;
}

/**
 * node:crypto when the runtime offers it without an import statement, so bundles for browsers
 * and workers never see a `node:` specifier. Looked up per call (a map lookup), not cached.
 */
function nodeCrypto(): NodeCrypto | undefined {
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return typeof runtime?.getBuiltinModule === "function"
    ? (runtime.getBuiltinModule("node:crypto") as NodeCrypto | undefined)
    : undefined;
}

/** Imported keys by secret: importing one costs more than verifying a small event. A receiver has one or two. */
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
const keys = new Map<string, Promise<HmacKey>>();

function keyFor(secret: string): Promise<HmacKey> {
  let key = keys.get(secret);
  if (key === undefined) {
    if (keys.size >= 8) keys.delete(keys.keys().next().value!);
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    key.catch(() => keys.delete(secret));
    keys.set(secret, key);
  }
  return key;
}

/** `t=<digits>` once and `v0=<64 hex>` at least once, in any order, among other schemes; spaces allowed. */
function parseHeader(header: string): { timestamp: number; stamp: string; signatures: Uint8Array[] } {
  let stamp: string | undefined;
  const signatures: Uint8Array[] = [];
  for (const part of header.split(",")) {
    const at = part.indexOf("=");
    const name = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (at < 0) continue;
    if (name === "t") {
      if (stamp !== undefined || !/^\d{1,12}$/.test(value))
        fail("malformed_header", "t must appear once, as unix seconds");
      stamp = value;
    } else if (name === "v0") {
      if (!/^[0-9a-f]{64}$/i.test(value)) fail("malformed_header", "a v0 signature must be 64 hex digits");
      signatures.push(hexBytes(value));
    }
  }
  if (stamp === undefined) fail("malformed_header", "no t= timestamp");
  if (signatures.length === 0) fail("malformed_header", "no v0= signature");
  return { timestamp: Number(stamp), stamp: stamp!, signatures };
}

/** Validated hex (`[0-9a-fA-F]`) to bytes: a digit's low nibble, plus 9 for a letter (bit 6 set). */
function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) {
    const hi = hex.charCodeAt(2 * i);
    const lo = hex.charCodeAt(2 * i + 1);
    out[i] = (((hi & 0xf) + (hi >> 6) * 9) << 4) | ((lo & 0xf) + (lo >> 6) * 9);
  }
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
  try {
    return decodeBase64(text);
  } catch {
    throw new TypeError("webhookAudio: data.full_audio is not base64");
  }
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
