/**
 * The errors a caller branches on: the API answered with an error status (`ConvaiError`, and
 * `ConvaiValidationError` for 422), no answer in time (`ConvaiTimeoutError`), or no answer at all
 * (`ConvaiConnectionError`). A caller's own abort rejects with the signal's reason, untouched.
 * None of them carries the API key: no request headers are kept, and text that would hold the
 * key is redacted before it is stored.
 */
import type { components } from "../generated/schema.ts";

export type ValidationIssue = components["schemas"]["ValidationError"];

const REQUEST_ID_HEADERS = ["request-id", "x-request-id", "xi-request-id"];

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
export class ConvaiError extends Error {
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

  constructor(init: {
    status: number;
    body: unknown;
    requestId?: string;
    method: string;
    path: string;
    message?: string;
  }) {
    super(init.message ?? `${init.method} ${init.path} failed with ${init.status}${describeBody(init.body)}`);
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
 * An attempt got no (complete) response within `timeoutMs`, and no retry was left.
 *
 * @example
 * if (err instanceof ConvaiTimeoutError) console.log(`gave up after ${err.timeoutMs} ms`);
 */
export class ConvaiTimeoutError extends Error {
  override name = "ConvaiTimeoutError";
  readonly timeoutMs: number;
  readonly method: string;
  readonly path: string;

  constructor(init: { timeoutMs: number; method: string; path: string; message?: string }) {
    super(init.message ?? `${init.method} ${init.path} timed out after ${init.timeoutMs} ms`);
    this.timeoutMs = init.timeoutMs;
    this.method = init.method;
    this.path = init.path;
  }
}

/**
 * The request got no response: refused, reset, a body cut short, DNS. `cause` is the underlying error.
 *
 * @example
 * if (err instanceof ConvaiConnectionError) console.log(err.cause);
 */
export class ConvaiConnectionError extends Error {
  override name = "ConvaiConnectionError";
  readonly method: string;
  readonly path: string;

  constructor(init: { method: string; path: string; cause: unknown; reason?: string }) {
    super(`${init.method} ${init.path}: ${init.reason ?? "connection failed"}${causeText(init.cause)}`, {
      cause: init.cause,
    });
    this.method = init.method;
    this.path = init.path;
  }
}

/** Builds the error for a non-2xx response whose body has been parsed. */
export function errorFromResponse(response: Response, body: unknown, method: string): ConvaiError {
  const init = {
    status: response.status,
    body,
    method,
    path: new URL(response.url || "http://invalid/").pathname,
    requestId: requestIdOf(response.headers),
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
