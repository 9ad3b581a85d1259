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
}

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
  if (typeof secret !== "string" || secret === "")
    throw new TypeError("signWebhook: secret must be a non-empty string");
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError(`signWebhook: timestamp must be unix seconds, got ${timestamp}`);
  }
  const hmac = createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex");
  return `t=${timestamp},v0=${hmac}`;
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
  #sessions = 0;

  constructor(options: WebhookOptions, source: WebhookSource) {
    checkOptions(options);
    this.#options = options;
    this.#source = source;
  }

  /** Plans the events of a session for the moment it ends. */
  schedule(session: Session): void {
    const endsAfter = Math.max(0, session.mintedAt + session.lifecycle.doneAfterMs - Date.now());
    // Drawn by the session's place in the order of minting, not its (random) id: a seed replays.
    const sequence = ++this.#sessions;
    this.#timers.later(endsAfter + (this.#options.delayMs ?? 0), () => {
      for (const event of this.#events(session)) this.#deliver(event, session.conversationId, sequence);
    });
  }

  /** Resolves once every scheduled delivery was made (or dropped). */
  async settled(): Promise<void> {
    while (this.#timers.size > 0 || this.#inFlight.size > 0) {
      await Promise.all([...this.#inFlight, new Promise((resolve) => setTimeout(resolve, 5))]);
    }
  }

  close(): void {
    this.#timers.close();
  }

  #events(session: Session): PostCallWebhookEvent[] {
    const wanted = new Set(
      this.#options.events ?? ["post_call_transcription", "post_call_audio", "call_initiation_failure"],
    );
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

  async #post(body: string): Promise<number> {
    try {
      const response = await fetch(this.#options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "elevenlabs-signature": signWebhook(body, this.#options.secret),
        },
        body,
      });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return 0;
    }
  }
}

function checkOptions(options: WebhookOptions): void {
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
}
