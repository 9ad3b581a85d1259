/**
 * The one error family. Every error class of the package extends `ConvaiError`, and each
 * subclass is a branch a caller takes:
 *
 *   ConvaiError
 *   ├─ ConvaiAPIError              the API answered with a non-2xx status
 *   │  ├─ ConvaiValidationError    …422: the request's parameters were refused
 *   │  └─ ConvaiResponseError      …or a 2xx whose body is not what the spec says (not JSON, empty)
 *   ├─ ConvaiConnectionError       no (complete) answer: refused, reset, DNS, a body cut short
 *   │  └─ ConvaiTimeoutError       …no answer within the time allowed
 *   ├─ ConvaiPaginationError       a list's cursors went wrong (repeated, or missing with has_more)
 *   ├─ ConvaiUnknownVariantError   a union member no handler was given for
 *   ├─ ConvaiWebhookError          a webhook that is not ElevenLabs' (signature, timestamp, body)
 *   └─ ConvaiMonitorError          the monitoring socket refused, closed, or not available here
 *
 * A caller's own abort rejects with the signal's reason, untouched; bad arguments throw a
 * `TypeError` or `RangeError` naming the argument, before any request.
 *
 * None of these errors carries the API key: no request headers are kept, and every string they
 * hold is redacted (./redact.ts) before it is stored, a foreign error's too.
 */
import type { ValidationIssue } from "../types.ts";
import { describe } from "./input.ts";
import { safeString } from "./redact.ts";

export type { ValidationIssue };

/** Shared through the global symbol registry, so the ESM and CJS builds of this package agree on it. */
const BRAND: unique symbol = /* @__PURE__ */ Symbol.for("elevenlabs-convai/error") as never;

/**
 * What every error of this package extends: `err instanceof ConvaiError` tells the package's
 * errors from everything else.
 *
 * @example
 * try {
 *   await convai.conversations.get(id);
 * } catch (err) {
 *   if (!(err instanceof ConvaiError)) throw err; // an abort, or a bug of ours
 *   log.warn(err.name, err.message);
 * }
 */
export class ConvaiError extends Error {
  /** The class's identity across copies of this package, which `is` compares; also its `name`. */
  static readonly brand: string = "ConvaiError";

  /**
   * Whether `value` is an error of this class (or a subclass), made by this copy of the package or
   * by another: the ESM and the CJS builds of this package are two copies, and a program can load
   * both (an ESM app whose dependency `require`s the package), where `instanceof` is false across
   * them. `is` compares the classes' brands along the prototype chain instead.
   *
   * @example
   * if (ConvaiAPIError.is(err) && err.status === 404) return undefined;
   */
  static is<T>(this: abstract new (...args: never[]) => T, value: unknown): value is T {
    if (value instanceof this) return true;
    const brand = (this as unknown as { brand?: unknown }).brand;
    if (!Object.hasOwn(this, "brand") || typeof value !== "object" || value === null || !(BRAND in value)) return false;
    for (let proto = value; (proto = Object.getPrototypeOf(proto)) !== null;) {
      const owner = Object.hasOwn(proto, "constructor") ? (proto.constructor as { brand?: unknown }) : undefined;
      if (owner !== undefined && Object.hasOwn(owner, "brand") && owner.brand === brand) return true;
    }
    return false;
  }
  /** The facade method that failed, e.g. `"conversations.get"`; undefined for calls made through `convai.api`. */
  readonly operation: string | undefined;
  /**
   * Set when the error ended a walk through a paginated list (`list()`, `.pages()`, `.toArray()`):
   * the cursor of the page that failed (undefined: the first page). Resume without losing or
   * repeating an item with `list({ ...query, cursor: err.cursor })`.
   */
  readonly cursor?: string | undefined;

  constructor(message: string, init: { operation?: string | undefined; cause?: unknown } = {}) {
    super(message, "cause" in init ? { cause: init.cause } : undefined);
    // Marks the errors of this package, whichever copy made them. Set here rather than as a getter
    // with a computed key in the class body, which bundlers treat as a side effect: that kept the
    // class in every bundle, even in one importing only conversationIdFromToken.
    Object.defineProperty(this, BRAND, { value: true });
    // Each class's name is its brand (a subclass of a user's, without a brand, takes its parent's).
    this.name = (new.target as unknown as { brand: string }).brand;
    this.operation = init.operation;
  }
}

/** What a request error says about its request. */
interface RequestFacts {
  method: string;
  /** Path of the request, without origin or query. */
  path: string;
  operation?: string | undefined;
}

/**
 * The API answered with a non-2xx status.
 *
 * @example
 * try {
 *   await convai.conversations.get(id);
 * } catch (err) {
 *   if (err instanceof ConvaiAPIError && err.status === 404) return undefined;
 *   throw err;
 * }
 */
export class ConvaiAPIError extends ConvaiError {
  static override readonly brand: string = "ConvaiAPIError";
  /** HTTP status of the response. */
  declare readonly status: number;
  /** The response body, parsed as JSON when it is JSON. */
  declare readonly body: unknown;
  /** The request id the API sent back, for support tickets. */
  declare readonly requestId: string | undefined;
  declare readonly method: string;
  /** Path of the request, without origin or query. */
  declare readonly path: string;

  constructor(
    init: RequestFacts & { status: number; body: unknown; requestId?: string | undefined; message?: string },
  ) {
    super(init.message ?? `${init.method} ${init.path} failed with ${init.status}${describeBody(init.body)}`, init);
    this.status = init.status;
    this.body = init.body;
    this.requestId = init.requestId;
    this.method = init.method;
    this.path = init.path;
  }
}

/**
 * The API refused the request's parameters (422). `detail` lists each problem with its location.
 *
 * @example
 * if (err instanceof ConvaiValidationError) console.log(err.detail.map((d) => d.loc.join(".")));
 */
export class ConvaiValidationError extends ConvaiAPIError {
  static override readonly brand: string = "ConvaiValidationError";
  declare readonly detail: ValidationIssue[];

  constructor(init: ConstructorParameters<typeof ConvaiAPIError>[0]) {
    super(init);
    const detail = (init.body as { detail?: unknown } | null)?.detail;
    this.detail = Array.isArray(detail) ? (detail as ValidationIssue[]) : [];
  }
}

/**
 * The API answered 2xx with a body that is not what the spec says: not JSON, empty where a body is
 * documented, or without a field the client reads. Not retried: the answer was complete.
 *
 * @example
 * if (err instanceof ConvaiResponseError) console.error(err.status, err.contentType, err.excerpt);
 */
export class ConvaiResponseError extends ConvaiAPIError {
  static override readonly brand: string = "ConvaiResponseError";
  /** The response's `Content-Type`, or `""` when it had none. */
  declare readonly contentType: string;
  /** The body's first 200 characters, redacted (also in `body`). */
  declare readonly excerpt: string;

  constructor(
    init: RequestFacts & {
      status: number;
      requestId?: string | undefined;
      contentType: string;
      text: string;
      problem: string;
    },
  ) {
    const text = init.text ?? "";
    const excerpt = text.length > EXCERPT ? `${text.slice(0, EXCERPT)}…` : text;
    super({
      ...init,
      body: excerpt,
      message:
        `${init.method} ${init.path} answered ${init.status} with ${init.problem}` +
        ` (content-type ${init.contentType ? JSON.stringify(init.contentType) : "none"})` +
        (excerpt ? `: ${JSON.stringify(excerpt)}` : ""),
    });
    this.contentType = init.contentType;
    this.excerpt = excerpt;
  }
}

const EXCERPT = 200;

/**
 * The request got no (complete) response: refused, reset, a body cut short, DNS. `cause` is the
 * underlying error. `method` and `path` are those of the request; both are undefined for the
 * deadline of a polling helper, which spans many requests (`operation` names it).
 *
 * @example
 * if (err instanceof ConvaiConnectionError) console.log(err.cause);
 */
export class ConvaiConnectionError extends ConvaiError {
  static override readonly brand: string = "ConvaiConnectionError";
  declare readonly method: string | undefined;
  declare readonly path: string | undefined;

  constructor(init: Partial<RequestFacts> & { message?: string; cause?: unknown; reason?: string }) {
    super(
      init.message ?? `${init.method} ${init.path}: ${init.reason ?? "connection failed"}${causeText(init.cause)}`,
      init,
    );
    this.method = init.method;
    this.path = init.path;
  }
}

/**
 * An attempt got no (complete) response within `timeoutMs` and no retry was left, or a polling
 * helper's `totalTimeoutMs` passed.
 *
 * @example
 * if (err instanceof ConvaiTimeoutError) console.log(`${err.operation} gave up after ${err.timeoutMs} ms`);
 */
export class ConvaiTimeoutError extends ConvaiConnectionError {
  static override readonly brand: string = "ConvaiTimeoutError";
  declare readonly timeoutMs: number;

  constructor(init: Partial<RequestFacts> & { timeoutMs: number; message?: string }) {
    super({ ...init, message: init.message ?? `${init.method} ${init.path} timed out after ${init.timeoutMs} ms` });
    this.timeoutMs = init.timeoutMs;
  }
}

/**
 * A paginated list could not go on: the API repeated a cursor, or said `has_more` without one.
 *
 * @example
 * if (err instanceof ConvaiPaginationError) console.warn(`${err.operation} stopped early: ${err.message}`);
 */
export class ConvaiPaginationError extends ConvaiError {
  static override readonly brand: string = "ConvaiPaginationError";
}

/**
 * A discriminant value no handler (and no `_`) was given for: in practice a variant the API added
 * after these types were generated. Carries the key, the value and the whole input.
 *
 * @example
 * try {
 *   return matchPhoneCall(phone, { twilio: (p) => p.stream_sid, sip_trunking: (p) => p.call_sid });
 * } catch (err) {
 *   if (err instanceof ConvaiUnknownVariantError) return undefined; // err.key "type", err.value e.g. "vonage"
 *   throw err;
 * }
 */
export class ConvaiUnknownVariantError extends ConvaiError {
  static override readonly brand: string = "ConvaiUnknownVariantError";
  /** The discriminant key, e.g. `"type"` or `"result_type"`. */
  declare readonly key: string;
  /** The discriminant value that matched no handler. */
  declare readonly value: unknown;
  /** The object that carried it. */
  declare readonly input: unknown;

  constructor(key: string, value: unknown, input: unknown) {
    super(`No handler for ${key} ${describe(value)}, and no "_" catch-all`);
    this.key = key;
    this.value = value;
    this.input = input;
  }
}

/** Why a webhook was refused. */
export type WebhookFailure =
  | "missing_header"
  | "malformed_header"
  | "timestamp_too_old"
  | "timestamp_in_future"
  | "signature_mismatch"
  | "body_not_raw"
  | "invalid_json"
  | "invalid_event";

/**
 * A webhook that cannot be trusted or read: `reason` says why. Answer it with a 4xx (a 400, or 401
 * for `signature_mismatch`) and do not act on it. Its message never shows the secret or the body.
 *
 * @example
 * catch (err) { if (err instanceof ConvaiWebhookError) return new Response(err.reason, { status: 400 }); throw err; }
 */
export class ConvaiWebhookError extends ConvaiError {
  static override readonly brand: string = "ConvaiWebhookError";
  declare readonly reason: WebhookFailure;

  constructor(reason: WebhookFailure, message: string) {
    super(message, { operation: "verifyWebhook" });
    this.reason = reason;
  }
}

/** Why a conversation monitor failed (a connection lost mid-stream is a `ConvaiConnectionError`). */
export type MonitorFailure = "handshake_refused" | "closed" | "unsupported_runtime";

/**
 * The monitoring socket could not be used: the API refused the handshake (`status` says how: 401,
 * 403, 404), the monitor was already closed, or this runtime has no WebSocket that can send the key.
 *
 * @example
 * if (err instanceof ConvaiMonitorError && err.status === 403) console.warn("monitoring is not enabled");
 */
export class ConvaiMonitorError extends ConvaiError {
  static override readonly brand: string = "ConvaiMonitorError";
  declare readonly reason: MonitorFailure;
  /** The handshake's HTTP status, when the runtime reports it. */
  declare readonly status: number | undefined;

  constructor(reason: MonitorFailure, message: string, status?: number, cause?: unknown) {
    super(
      message,
      cause === undefined ? { operation: "monitorConversation" } : { operation: "monitorConversation", cause },
    );
    this.reason = reason;
    this.status = status;
  }
}

/** The API's own words, when its body has them: `{ detail: { message } }`, `{ detail: "..." }`, 422 lists. */
function describeBody(body: unknown): string {
  const detail = (body as { detail?: unknown } | null | undefined)?.detail;
  let text: string | undefined;
  if (typeof detail === "string") text = detail;
  else if (Array.isArray(detail)) {
    text = detail
      .slice(0, 3)
      .map((d: { loc?: unknown[]; msg?: string }) => `${(d.loc ?? []).join(".")}: ${d.msg ?? "invalid"}`)
      .join("; ");
  } else if (detail && typeof detail === "object") {
    const d = detail as { message?: unknown; status?: unknown };
    text = typeof d.message === "string" ? d.message : typeof d.status === "string" ? d.status : undefined;
  } else if (typeof body === "string" && body.length > 0) text = body.slice(0, 200);
  return text ? `: ${text}` : "";
}

function causeText(cause: unknown): string {
  const c = cause as { message?: unknown; code?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
  const code = c?.cause?.code ?? c?.code;
  const message = c?.cause?.message ?? c?.message;
  return code ? ` (${safeString(code)})` : message ? ` (${safeString(message)})` : "";
}
