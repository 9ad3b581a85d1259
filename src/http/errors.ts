/**
 * The one error family. Every error class of the package extends `ConvaiBaseError`, and each
 * subclass is a branch a caller takes:
 *
 *   ConvaiBaseError
 *   ├─ ConvaiError                the API answered with a non-2xx status
 *   │  └─ ConvaiValidationError   …422: the request's parameters were refused
 *   ├─ ConvaiConnectionError      no (complete) answer: refused, reset, DNS, a body cut short
 *   │  └─ ConvaiTimeoutError      …no answer within the time allowed
 *   ├─ PaginationError            a list's cursors went wrong (repeated, or missing with has_more)
 *   └─ UnknownVariantError        a union member no handler was given for
 *
 * A caller's own abort rejects with the signal's reason, untouched; bad arguments throw a
 * `TypeError` or `RangeError` naming the argument, before any request. None of these errors
 * carries the API key: no request headers are kept, and text that would hold the key is redacted
 * before it is stored.
 */
import type { components } from "../generated/schema.ts";
import { describe } from "./input.ts";

export type ValidationIssue = components["schemas"]["ValidationError"];

const REQUEST_ID_HEADERS = ["request-id", "x-request-id", "xi-request-id"];

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
  /** The facade method that failed, e.g. `"conversations.get"`; undefined for calls made through `convai.api`. */
  readonly operation: string | undefined;

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
  readonly detail: ValidationIssue[];

  constructor(init: ConstructorParameters<typeof ConvaiError>[0]) {
    super(init);
    const detail = (init.body as { detail?: unknown } | null)?.detail;
    this.detail = Array.isArray(detail) ? (detail as ValidationIssue[]) : [];
  }
}

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

/** Builds the error for a non-2xx response whose body has been parsed. */
export function errorFromResponse(
  response: Response,
  body: unknown,
  method: string,
  operation: string | undefined,
): ConvaiError {
  const init = {
    status: response.status,
    body,
    method,
    path: new URL(response.url || "http://invalid/").pathname,
    requestId: requestIdOf(response.headers),
    operation,
  };
  return response.status === 422 ? new ConvaiValidationError(init) : new ConvaiError(init);
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
  return code ? ` (${String(code)})` : message ? ` (${String(message)})` : "";
}

/**
 * Replaces the key wherever it appears in an error a custom fetch (or a server) produced, so
 * that nothing this package throws can print it.
 */
export function redact<T>(value: T, secret: string | undefined): T {
  if (!secret || secret.length < 4 || !mentions(value, secret)) return value;
  const scrub = (text: string) => text.split(secret).join("[redacted]");
  if (typeof value === "string") return scrub(value) as T;
  if (value instanceof Error) {
    const copy = new Error(scrub(value.message), { cause: redact(value.cause, secret) });
    copy.name = value.name;
    copy.stack = scrub(value.stack ?? "");
    return copy as T;
  }
  try {
    return JSON.parse(scrub(JSON.stringify(value))) as T;
  } catch {
    return "[redacted]" as T;
  }
}

function mentions(value: unknown, secret: string): boolean {
  if (value instanceof Error) return `${value.message}${value.stack}`.includes(secret) || mentions(value.cause, secret);
  try {
    return typeof value === "string" ? value.includes(secret) : (JSON.stringify(value) ?? "").includes(secret);
  } catch {
    return false;
  }
}
