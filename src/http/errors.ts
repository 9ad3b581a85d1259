/**
 * The one error family. Every error class of the package extends `ConvaiBaseError`, and each
 * subclass is a branch a caller takes:
 *
 *   ConvaiBaseError
 *   ├─ ConvaiError                the API answered with a non-2xx status
 *   │  ├─ ConvaiValidationError   …422: the request's parameters were refused
 *   │  └─ ConvaiResponseError     …or a 2xx whose body is not what the spec says (not JSON, empty)
 *   ├─ ConvaiConnectionError      no (complete) answer: refused, reset, DNS, a body cut short
 *   │  └─ ConvaiTimeoutError      …no answer within the time allowed
 *   ├─ PaginationError            a list's cursors went wrong (repeated, or missing with has_more)
 *   ├─ UnknownVariantError        a union member no handler was given for
 *   ├─ ConvaiWebhookError         a webhook that is not ElevenLabs' (signature, timestamp, body)
 *   └─ ConvaiMonitorError         the monitoring socket refused, closed, or not available here
 *
 * A caller's own abort rejects with the signal's reason, untouched; bad arguments throw a
 * `TypeError` or `RangeError` naming the argument, before any request.
 *
 * None of these errors carries the API key: no request headers are kept; every string they hold
 * (message, path, request id, body, cursor) is redacted before it is stored; and an error from a
 * custom fetch is never kept as it is: its cause is a `SanitizedCause`, a new Error holding only
 * its name, code, message and stack, redacted (and the same of its own causes).
 */
import type { ValidationIssue } from "../types.ts";
import { describe } from "./input.ts";

export type { ValidationIssue };

const REQUEST_ID_HEADERS = ["request-id", "x-request-id", "xi-request-id"];

/** Shared through the global symbol registry, so the ESM and CJS builds of this package agree on it. */
const BRAND: unique symbol = /* @__PURE__ */ Symbol.for("elevenlabs-convai/error") as never;

/**
 * What every error of this package extends: `err instanceof ConvaiBaseError` tells the package's
 * errors from everything else.
 *
 * @example
 * try {
 *   await convai.conversations.get(id);
 * } catch (err) {
 *   if (!(err instanceof ConvaiBaseError)) throw err; // an abort, or a bug of ours
 *   log.warn(err.name, err.message);
 * }
 */
export class ConvaiBaseError extends Error {
  override name = "ConvaiBaseError";
  /** Marks the prototypes of this package's errors, whichever copy of the package made them. */
  get [BRAND](): true {
    return true;
  }
  /**
   * The class's identity across copies of this package (its ESM and its CJS build, which a
   * program can load both of): `instanceof` and `is` compare it where plain `instanceof` cannot.
   */
  static readonly brand: string = "ConvaiBaseError";

  /**
   * `instanceof` that also holds between the ESM and the CJS builds: a value is an instance when
   * its prototype chain has a class of the same brand from any copy of this package.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (!Object.hasOwn(this, "brand") || typeof value !== "object" || value === null) return false;
    const brand = (this as { brand?: unknown }).brand;
    for (let proto = Object.getPrototypeOf(value); proto !== null; proto = Object.getPrototypeOf(proto)) {
      const owner = Object.hasOwn(proto, "constructor") ? (proto.constructor as { brand?: unknown }) : undefined;
      if (owner !== undefined && Object.hasOwn(owner, "brand") && owner.brand === brand && BRAND in proto) return true;
    }
    return false;
  }

  /**
   * Whether `value` is an error of this class, from this copy of the package or another.
   *
   * @example
   * if (ConvaiError.is(err) && err.status === 404) return undefined;
   */
  static is<T>(this: abstract new (...args: never[]) => T, value: unknown): value is T {
    return value instanceof this;
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
 *   if (err instanceof ConvaiError && err.status === 404) return undefined;
 *   throw err;
 * }
 */
export class ConvaiError extends ConvaiBaseError {
  override name = "ConvaiError";
  static override readonly brand: string = "ConvaiError";
  /** HTTP status of the response. */
  readonly status: number;
  /** The response body, parsed as JSON when it is JSON. */
  readonly body: unknown;
  /** The request id the API sent back, for support tickets. */
  readonly requestId: string | undefined;
  readonly method: string;
  /** Path of the request, without origin or query. */
  readonly path: string;

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
export class ConvaiValidationError extends ConvaiError {
  override name = "ConvaiValidationError";
  static override readonly brand: string = "ConvaiValidationError";
  readonly detail: ValidationIssue[];

  constructor(init: ConstructorParameters<typeof ConvaiError>[0]) {
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
export class ConvaiResponseError extends ConvaiError {
  override name = "ConvaiResponseError";
  static override readonly brand: string = "ConvaiResponseError";
  /** The response's `Content-Type`, or `""` when it had none. */
  readonly contentType: string;
  /** The body's first 200 characters, redacted (also in `body`). */
  readonly excerpt: string;

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
export class ConvaiConnectionError extends ConvaiBaseError {
  override name = "ConvaiConnectionError";
  static override readonly brand: string = "ConvaiConnectionError";
  readonly method: string | undefined;
  readonly path: string | undefined;

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
  override name = "ConvaiTimeoutError";
  static override readonly brand: string = "ConvaiTimeoutError";
  readonly timeoutMs: number;

  constructor(init: Partial<RequestFacts> & { timeoutMs: number; message?: string }) {
    super({ ...init, message: init.message ?? `${init.method} ${init.path} timed out after ${init.timeoutMs} ms` });
    this.timeoutMs = init.timeoutMs;
  }
}

/**
 * A paginated list could not go on: the API repeated a cursor, or said `has_more` without one.
 *
 * @example
 * if (err instanceof PaginationError) console.warn(`${err.operation} stopped early: ${err.message}`);
 */
export class PaginationError extends ConvaiBaseError {
  override name = "PaginationError";
  static override readonly brand: string = "PaginationError";
}

/**
 * A discriminant value no handler (and no `_`) was given for: in practice a variant the API added
 * after these types were generated. Carries the key, the value and the whole input.
 *
 * @example
 * try {
 *   return matchPhoneCall(phone, { twilio: (p) => p.stream_sid, sip_trunking: (p) => p.call_sid });
 * } catch (err) {
 *   if (err instanceof UnknownVariantError) return undefined; // err.key "type", err.value e.g. "vonage"
 *   throw err;
 * }
 */
export class UnknownVariantError extends ConvaiBaseError {
  override name = "UnknownVariantError";
  static override readonly brand: string = "UnknownVariantError";
  /** The discriminant key, e.g. `"type"` or `"result_type"`. */
  readonly key: string;
  /** The discriminant value that matched no handler. */
  readonly value: unknown;
  /** The object that carried it. */
  readonly input: unknown;

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
export class ConvaiWebhookError extends ConvaiBaseError {
  override name = "ConvaiWebhookError";
  static override readonly brand: string = "ConvaiWebhookError";
  readonly reason: WebhookFailure;

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
export class ConvaiMonitorError extends ConvaiBaseError {
  override name = "ConvaiMonitorError";
  static override readonly brand: string = "ConvaiMonitorError";
  readonly reason: MonitorFailure;
  /** The handshake's HTTP status, when the runtime reports it. */
  readonly status: number | undefined;

  constructor(reason: MonitorFailure, message: string, status?: number) {
    super(message, { operation: "conversations.monitor" });
    this.reason = reason;
    this.status = status;
  }
}

/** Builds the error for a non-2xx response whose body has been parsed; everything it keeps is redacted. */
export function errorFromResponse(
  response: Response,
  body: unknown,
  method: string,
  operation: string | undefined,
  secret: string,
): ConvaiError {
  const init = { ...responseFacts(response, method, operation, secret), body: redactValue(body, secret) };
  return response.status === 422 ? new ConvaiValidationError(init) : new ConvaiError(init);
}

/** A URL's path for an error, redacted; `""` for what is not a URL. */
export function redactedPath(url: string, secret: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = "";
  }
  return redactText(path, secret);
}

/** What an error says about a response, redacted: its status, request id, method, path. */
export function responseFacts(response: Response, method: string, operation: string | undefined, secret: string) {
  const requestId = requestIdOf(response.headers);
  return {
    status: response.status,
    method,
    path: redactedPath(response.url, secret),
    requestId: requestId === undefined ? undefined : redactText(requestId, secret).slice(0, 200),
    operation,
  };
}

function requestIdOf(headers: Headers): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers.get(name);
    if (value) return value;
  }
  return undefined;
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

/** The forms a secret can take in text it leaked into: as it is, and percent-encoded. */
function forms(secret: string): string[] {
  const encoded = encodeURIComponent(secret);
  return encoded === secret ? [secret] : [secret, encoded];
}

/** `text` with every occurrence of `secret` replaced by `[redacted]`. */
export function redactText(text: string, secret: string): string {
  for (const form of forms(secret)) if (text.includes(form)) text = text.split(form).join("[redacted]");
  return text;
}

/**
 * A value to keep in an error (a parsed body): itself when it holds no trace of `secret`,
 * otherwise a copy with the secret redacted in every string (through JSON; what JSON cannot
 * carry is dropped). A value that cannot be serialized at all is replaced.
 */
export function redactValue<T>(value: T, secret: string): T {
  if (typeof value === "string") return redactText(value, secret) as T;
  if (value === null || typeof value !== "object") return value;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    return "[unserializable]" as T;
  }
  if (json === undefined || !forms(secret).some((form) => json.includes(form))) return value;
  return JSON.parse(redactText(json, secret)) as T;
}

/** What a foreign error becomes when it is kept as a cause: only these fields, each redacted. */
export interface SanitizedCause extends Error {
  /** The foreign error's `code`, as a string, when it had one (`ECONNRESET`, `UND_ERR_SOCKET`, …). */
  code?: string;
  /** The sanitized members of an `AggregateError`. */
  errors?: SanitizedCause[];
}

const MAX_CAUSE_DEPTH = 4;

/**
 * A new Error standing for `value` (an error a custom fetch or the runtime threw): its name,
 * code, message and stack, redacted, and its own cause and `errors` sanitized the same way.
 * Nothing else of the foreign object is kept: not its request, its config, its headers.
 */
export function sanitizeCause(value: unknown, secret: string, depth = 0): SanitizedCause {
  const foreign = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const text = (field: unknown, fallback = ""): string =>
    redactText(
      typeof field === "string" ? field : field === undefined || field === null ? fallback : safeString(field),
      secret,
    );
  const message = typeof value === "object" && value !== null ? text(foreign.message) : text(value);
  const cause: SanitizedCause = new Error(message);
  cause.name = text(foreign.name, "Error");
  cause.stack = typeof foreign.stack === "string" ? text(foreign.stack) : `${cause.name}: ${message}`;
  if (foreign.code !== undefined && foreign.code !== null) cause.code = text(foreign.code);
  if (depth < MAX_CAUSE_DEPTH) {
    if (foreign.cause !== undefined) cause.cause = sanitizeCause(foreign.cause, secret, depth + 1);
    if (Array.isArray(foreign.errors)) {
      cause.errors = foreign.errors.slice(0, 10).map((e: unknown) => sanitizeCause(e, secret, depth + 1));
    }
  }
  return cause;
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return "[unprintable]";
  }
}
