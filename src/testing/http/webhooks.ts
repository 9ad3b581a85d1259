/**
 * Post-call webhooks from the emulator: when an emulated session ends, it POSTs signed events to
 * the receiver's URL, as ElevenLabs does (the transcription, the recording, or the failure of a
 * call that never started). Deliveries can be told to go missing, twice or late, seeded per
 * conversation, to test a receiver's idempotency and its reconciliation against the list.
 */
import { createHmac } from "node:crypto";
import type { Conversation, PostCallWebhookEvent } from "../../types.ts";
import { unitHash } from "../data/random.ts";
import type { Session } from "../state/operations.ts";
import { Timers } from "./timers.ts";

export type WebhookEventType = "post_call_transcription" | "post_call_audio" | "call_initiation_failure";

export interface WebhookOptions {
  /** Where events are POSTed (the receiver under test, on loopback). */
  url: string;
  /** The webhook's shared secret: events are signed with it. */
  secret: string;
  /** Which kinds to send. Default all three. */
  events?: readonly WebhookEventType[];
  /** The share of events never delivered, from 0 to 1. Default 0. */
  drop?: number;
  /** The share of events delivered twice. Default 0. */
  duplicate?: number;
  /** Every delivery this much later than the event. Default 0. */
  delayMs?: number;
  /** Which events are dropped or repeated, by the order sessions were minted in and kind. Default 1. */
  seed?: number;
  /**
   * How long a delivery waits for the receiver's answer (its whole body), in ms; one that takes
   * longer is given up (status 0). Default 10 000.
   */
  timeoutMs?: number;
}

const EVENT_TYPES: readonly WebhookEventType[] = [
  "post_call_transcription",
  "post_call_audio",
  "call_initiation_failure",
];

/** One delivery, or one dropped on purpose (`dropped`, never sent). */
export interface WebhookDelivery {
  type: string;
  conversationId: string;
  /** 1, or 2 for the repeat of a duplicated event. */
  attempt: number;
  /** The receiver's HTTP status; 0 when it could not be reached, or for a dropped event. */
  status: number;
  dropped: boolean;
}

/**
 * A signature header for `body`, as ElevenLabs computes it: `t=<unix seconds>,v0=<hex HMAC-SHA256
 * of "<t>.<body>">`. For receivers' unit tests.
 *
 * @example
 * const body = JSON.stringify({ type: "post_call_transcription", event_timestamp: 1_763_700_000, data });
 * const header = signWebhook(body, "whsec_test", { timestamp: 1_763_700_000 });
 * const event = await verifyWebhook(body, header, "whsec_test", { now: 1_763_700_000 });
 */
export function signWebhook(body: string | Uint8Array, secret: string, options: { timestamp?: number } = {}): string {
  if (typeof body !== "string" && !isBytes(body)) {
    throw new TypeError(
      `signWebhook: body must be the raw body, a string or a Uint8Array, got ${body === null ? "null" : Array.isArray(body) ? "an array" : typeof body === "object" ? "an object (JSON.stringify it first)" : typeof body}`,
    );
  }
  if (typeof secret !== "string" || secret === "")
    throw new TypeError("signWebhook: secret must be a non-empty string");
  if (options === null || typeof options !== "object") {
    throw new TypeError(`signWebhook: options must be an object, got ${options === null ? "null" : typeof options}`);
  }
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError(`signWebhook: timestamp must be unix seconds, got ${timestamp}`);
  }
  const hmac = createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex");
  return `t=${timestamp},v0=${hmac}`;
}

/** A Uint8Array of any realm (an `instanceof` fails for one made by another context). */
function isBytes(value: unknown): value is Uint8Array {
  return ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === "[object Uint8Array]";
}

/** What the sender needs of the emulator: a conversation as served, and the bytes of its recording. */
export interface WebhookSource {
  conversation(id: string): Conversation | undefined;
  audio(id: string): Uint8Array | undefined;
}

/**
 * Schedules and sends the events of each session.
 *
 * @example
 * const sender = new WebhookSender(options, source);
 * api.onSession = (session) => sender.schedule(session);
 */
export class WebhookSender {
  readonly deliveries: WebhookDelivery[] = [];
  readonly #options: WebhookOptions;
  readonly #source: WebhookSource;
  readonly #timers = new Timers();
  readonly #inFlight = new Set<Promise<void>>();
  /** Aborts the deliveries in flight when the emulator closes, so none keeps the process alive. */
  readonly #closing = new AbortController();
  /** The planned deliveries of sessions whose call has not ended yet, to follow an early end. */
  readonly #planned = new Map<string, { session: Session; sequence: number; cancel: () => void }>();
  #sessions = 0;

  constructor(options: WebhookOptions, source: WebhookSource) {
    checkOptions(options);
    this.#options = options;
    this.#source = source;
  }

  /** Plans the events of a session for the moment it ends. */
  schedule(session: Session): void {
    // Drawn by the session's place in the order of minting, not its (random) id: a seed replays.
    this.#plan(session, ++this.#sessions, session.mintedAt + session.lifecycle.doneAfterMs);
  }

  /**
   * The call of `conversationId` ended at `atMs` (an `end_call`), before its schedule: its events
   * now come when its processing, started at `atMs`, is done, as the platform sends them.
   */
  ended(conversationId: string, atMs: number): void {
    const planned = this.#planned.get(conversationId);
    if (planned === undefined) return;
    planned.cancel();
    const { processingAfterMs, doneAfterMs } = planned.session.lifecycle;
    this.#plan(planned.session, planned.sequence, atMs + Math.max(0, doneAfterMs - processingAfterMs));
  }

  #plan(session: Session, sequence: number, doneAtMs: number): void {
    const id = session.conversationId;
    const cancel = this.#timers.later(Math.max(0, doneAtMs - Date.now()) + (this.#options.delayMs ?? 0), () => {
      this.#planned.delete(id);
      for (const event of this.#events(session)) this.#deliver(event, id, sequence);
    });
    this.#planned.set(id, { session, sequence, cancel });
  }

  /** Resolves once every scheduled delivery was made (or dropped). */
  async settled(): Promise<void> {
    while (this.#timers.size > 0 || this.#inFlight.size > 0) {
      await Promise.all([...this.#inFlight, new Promise((resolve) => setTimeout(resolve, 5))]);
    }
  }

  close(): void {
    this.#timers.close();
    this.#planned.clear();
    this.#closing.abort();
  }

  #events(session: Session): PostCallWebhookEvent[] {
    const wanted = new Set(this.#options.events ?? EVENT_TYPES);
    const { conversationId: conversation_id, agentId: agent_id, outcome } = session;
    const event_timestamp = Math.floor(Date.now() / 1000);
    const out: PostCallWebhookEvent[] = [];
    if (typeof outcome === "object") {
      if (wanted.has("call_initiation_failure")) {
        const via = outcome.via ?? "twilio";
        out.push({
          type: "call_initiation_failure",
          event_timestamp,
          data: {
            agent_id,
            conversation_id,
            failure_reason: outcome.initiationFailure,
            metadata: {
              type: via,
              body:
                via === "twilio"
                  ? { CallStatus: outcome.initiationFailure, CallSid: `CA${conversation_id.slice(5, 37)}` }
                  : { sip_status_code: outcome.initiationFailure === "busy" ? 486 : 408, call_id: conversation_id },
            },
          },
        });
      }
      return out;
    }
    const conversation = wanted.has("post_call_transcription") ? this.#source.conversation(conversation_id) : undefined;
    if (conversation !== undefined) {
      out.push({ type: "post_call_transcription", event_timestamp, data: conversation as never });
    }
    const audio = wanted.has("post_call_audio") ? this.#source.audio(conversation_id) : undefined;
    if (audio !== undefined) {
      const full_audio = Buffer.from(audio).toString("base64");
      out.push({ type: "post_call_audio", event_timestamp, data: { agent_id, conversation_id, full_audio } });
    }
    return out;
  }

  #deliver(event: PostCallWebhookEvent, conversationId: string, sequence: number): void {
    const { drop = 0, duplicate = 0, seed = 1 } = this.#options;
    const roll = (what: string) => unitHash(`${seed}\n${sequence}\n${event.type}\n${what}`);
    if (roll("drop") < drop) {
      this.deliveries.push({ type: event.type, conversationId, attempt: 1, status: 0, dropped: true });
      return;
    }
    const body = JSON.stringify(event);
    const times = roll("duplicate") < duplicate ? 2 : 1;
    for (let attempt = 1; attempt <= times; attempt++) {
      const sending = this.#post(body).then((status) => {
        this.deliveries.push({ type: event.type, conversationId, attempt, status, dropped: false });
      });
      this.#inFlight.add(sending);
      void sending.finally(() => this.#inFlight.delete(sending));
    }
  }

  /** The receiver's status, or 0 when it could not be reached, did not answer in time, or the emulator closed. */
  async #post(body: string): Promise<number> {
    if (this.#closing.signal.aborted) return 0;
    const attempt = new AbortController();
    const stop = () => attempt.abort();
    this.#closing.signal.addEventListener("abort", stop, { once: true });
    const timer = setTimeout(stop, this.#options.timeoutMs ?? 10_000);
    try {
      const response = await fetch(this.#options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "elevenlabs-signature": signWebhook(body, this.#options.secret),
        },
        body,
        signal: attempt.signal,
      });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return 0;
    } finally {
      clearTimeout(timer);
      this.#closing.signal.removeEventListener("abort", stop);
    }
  }
}

function checkOptions(options: WebhookOptions): void {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`startEmulator: webhook must be an object of { url, secret }, got ${options}`);
  }
  let url: URL | undefined;
  try {
    url = new URL(options.url);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new TypeError("startEmulator: webhook.url must be an http(s) URL");
  }
  if (typeof options.secret !== "string" || options.secret === "") {
    throw new TypeError("startEmulator: webhook.secret must be a non-empty string");
  }
  for (const share of ["drop", "duplicate"] as const) {
    const value = options[share];
    if (value !== undefined && !(value >= 0 && value <= 1)) {
      throw new RangeError(`startEmulator: webhook.${share} must be from 0 to 1, got ${value}`);
    }
  }
  const { delayMs, timeoutMs, seed, events } = options;
  if (delayMs !== undefined && !(typeof delayMs === "number" && delayMs >= 0 && Number.isFinite(delayMs))) {
    throw new RangeError(`startEmulator: webhook.delayMs must be a non-negative number of ms, got ${String(delayMs)}`);
  }
  if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && timeoutMs > 0 && timeoutMs <= 2_147_483_647)) {
    throw new RangeError(
      `startEmulator: webhook.timeoutMs must be a positive number of ms up to 2147483647, got ${String(timeoutMs)}`,
    );
  }
  if (seed !== undefined && !Number.isSafeInteger(seed)) {
    throw new RangeError(`startEmulator: webhook.seed must be an integer, got ${String(seed)}`);
  }
  if (events !== undefined) {
    if (!Array.isArray(events)) throw new TypeError("startEmulator: webhook.events must be an array of event types");
    for (const type of events as unknown[]) {
      if (!EVENT_TYPES.includes(type as WebhookEventType)) {
        throw new TypeError(
          `startEmulator: webhook.events has unknown type ${JSON.stringify(type)}; use ${EVENT_TYPES.join(", ")}`,
        );
      }
    }
  }
}
