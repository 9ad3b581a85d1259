/**
 * When and how long to wait before trying a request again. Defaults in one place: up to
 * `maxRetries` (2) more attempts, for methods that are safe to repeat, on statuses that say "try
 * later", after `Retry-After` when the API sends it, else 0.5 s · 2ⁿ (at most 8 s) with jitter.
 */

/** Statuses worth another attempt: timeout, too many requests, transient server failures. */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Repeating these changes nothing on the server; POST (feedback) is never repeated. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "DELETE"]);

const INITIAL_DELAY_MS = 500;
const MAX_BACKOFF_MS = 8_000;
/** A longer `Retry-After` is cut to this: a caller waits at most a minute per attempt. */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Errors raised before the request left the machine (refused, DNS): nothing reached the server,
 * so even a POST may be sent again.
 */
const NEVER_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"]);

export function neverSent(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 4; e = e.cause as never, i++) {
    if (typeof e.code === "string" && NEVER_SENT_CODES.has(e.code)) return true;
  }
  return false;
}

/**
 * Milliseconds to wait before attempt `attempt + 1`. `retry-after-ms`, then `Retry-After`
 * (seconds or an HTTP date), each capped at a minute; otherwise exponential backoff, jittered
 * down by up to a quarter so that clients that failed together do not retry together.
 */
export function retryDelay(attempt: number, headers?: Headers, random: () => number = Math.random): number {
  const fromServer = retryAfterMs(headers);
  if (fromServer !== undefined) return Math.min(fromServer, MAX_RETRY_AFTER_MS);
  const backoff = Math.min(INITIAL_DELAY_MS * 2 ** attempt, MAX_BACKOFF_MS);
  return Math.round(backoff * (1 - 0.25 * random()));
}

export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = headers?.get("retry-after-ms")?.trim();
  if (ms && SECONDS.test(ms)) return Number(ms);
  const value = headers?.get("retry-after")?.trim();
  if (!value) return undefined;
  if (SECONDS.test(value)) return Number(value) * 1000;
  // Only the three date forms HTTP defines: Date.parse alone also reads "-1", "Jan 5" or "abc 2"
  // as dates (long past ones), which would turn a garbled header into an immediate retry.
  if (!HTTP_DATE.test(value)) return undefined;
  const date = Date.parse(value.endsWith("GMT") ? value : `${value} GMT`); // asctime names no zone: it is GMT
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A non-negative number of seconds (or milliseconds, for retry-after-ms). */
const SECONDS = /^\d+(\.\d+)?$/;

const DAY = "(Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const MONTH = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const TIME = "\\d\\d:\\d\\d:\\d\\d";
/** IMF-fixdate, RFC 850 and asctime, as RFC 9110 §5.6.7 lists them. */
const HTTP_DATE = /* @__PURE__ */ (() =>
  new RegExp(
    `^(${DAY}, \\d\\d ${MONTH} \\d{4} ${TIME} GMT|(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, \\d\\d-${MONTH}-\\d\\d ${TIME} GMT|${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4})$`,
  ))();
