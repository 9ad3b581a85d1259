/** Checks of caller input, run before any request so that bad input never reaches the wire. */
import { MAX_TIMER_MS } from "./abort.ts";

/**
 * The longest id accepted. The API's ids are about 30 characters; a URL much longer than a few
 * kilobytes is refused by servers (431) with an error that would carry it back.
 */
export const MAX_ID_LENGTH = 512;

/** A UTF-16 surrogate without its pair: such a string cannot be encoded into a URL. */
export const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * An id that goes into a URL (a path segment or a query value). openapi-fetch percent-encodes
 * it, so `/`, `?` and `#` stay inside the segment; `.` and `..` are refused because URL parsers
 * resolve them (even encoded) to another path; a lone surrogate cannot be encoded at all.
 */
export function requireId(where: string, name: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new TypeError(`${where}: ${name} must be a non-empty string, got ${describe(value)}`);
  }
  if (value.length > MAX_ID_LENGTH) {
    throw new RangeError(`${where}: ${name} is ${value.length} characters long; an id is at most ${MAX_ID_LENGTH}`);
  }
  if (/^(\.|%2e){1,2}$/i.test(value)) {
    throw new TypeError(`${where}: ${name} ${JSON.stringify(value)} is not a valid id`);
  }
  if (LONE_SURROGATE.test(value)) {
    throw new TypeError(`${where}: ${name} has a lone surrogate (broken UTF-16) and cannot be sent`);
  }
  return value;
}

export function requireIntegerIn(where: string, name: string, value: unknown, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${where}: ${name} must be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
}

/** The most retries a client or a call may ask for. */
export const MAX_RETRIES = 10;

/**
 * The options every call takes (`signal`, `timeoutMs`, `maxRetries`, `headers`), checked before any
 * request by the client, each call, the wait helpers and the monitor; an absent one passes.
 */
export function checkRequestOptions(
  where: string,
  options: { signal?: unknown; timeoutMs?: unknown; maxRetries?: unknown; headers?: unknown },
): void {
  const { signal, timeoutMs, maxRetries, headers } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`${where}: signal must be an AbortSignal, got ${describe(signal)}`);
  }
  requireTimeout(where, "timeoutMs", timeoutMs);
  requireIntegerIn(where, "maxRetries", maxRetries, 0, MAX_RETRIES);
  if (headers !== undefined) requireHeaders(where, "headers", headers);
}

/** A positive number of milliseconds, at most the longest delay a timer can wait. */
export function requireTimeout(where: string, name: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`${where}: ${name} must be a positive number of milliseconds, got ${describe(value)}`);
  }
  if (value > MAX_TIMER_MS) {
    throw new RangeError(
      `${where}: ${name} must be at most ${MAX_TIMER_MS} ms (about ${Math.floor(MAX_TIMER_MS / 86_400_000)} days), got ${value}`,
    );
  }
}

/** Extra headers, as fetch takes them: an object, a `Headers`, a `Map` or an array of pairs. */
export type HeaderInput =
  Record<string, string> | Headers | ReadonlyMap<string, string> | readonly (readonly [string, string])[];

/**
 * Extra headers: a plain object, a `Headers`, a `Map` or an array of pairs (what fetch takes),
 * never silently dropped; valid names, string values a header can carry (Latin-1, no CR, LF or
 * NUL, which fetch would only refuse later, as a retried connection error), and not the API key's
 * header. Messages name the header, never show a value.
 */
export function requireHeaders(where: string, name: string, headers: unknown): void {
  headerRecord(where, name, headers);
}

/**
 * The headers checked as {@link requireHeaders} does, as a plain object with lower-case names (so
 * a call's header replaces the client's whatever its case); undefined stays undefined.
 *
 * @example
 * headerRecord("conversations.get", "headers", new Headers({ "X-Trace": "1" })); // { "x-trace": "1" }
 */
export function headerRecord(where: string, name: string, headers: unknown): Record<string, string> | undefined {
  if (headers === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [key, value] of headerPairs(where, name, headers)) {
    const label = `${where}: ${name}[${JSON.stringify(String(key).slice(0, 100))}]`;
    if (typeof key !== "string" || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) {
      throw new TypeError(`${label} is not a valid header name`);
    }
    if (key.toLowerCase() === "xi-api-key") {
      throw new TypeError(`${where}: ${name} may not set xi-api-key; pass apiKey to createConvaiClient`);
    }
    if (typeof value !== "string") throw new TypeError(`${label} must be a string, got ${describe(value)}`);
    if (/[\r\n\0]/.test(value)) throw new TypeError(`${label} has a line break or NUL, which a header cannot carry`);
    if ([...value].some((c) => c.codePointAt(0)! > 0xff)) {
      throw new TypeError(
        `${label} has a character outside Latin-1, which a header cannot carry; percent-encode it (encodeURIComponent)`,
      );
    }
    out[key.toLowerCase()] = value;
  }
  return out;
}

/** The [name, value] pairs of a plain object, a `Headers` or `Map` (of any realm), or an array of pairs. */
function headerPairs(where: string, name: string, headers: unknown): Iterable<readonly [unknown, unknown]> {
  const refuse = () =>
    new TypeError(
      `${where}: ${name} must be an object of header names and string values, a Headers or a Map, got ${describe(headers)}`,
    );
  if (headers === null || typeof headers !== "object") throw refuse();
  const tag = Object.prototype.toString.call(headers);
  if (tag === "[object Headers]" || tag === "[object Map]") {
    return [...(headers as Iterable<readonly [unknown, unknown]>)];
  }
  if (Array.isArray(headers)) {
    if (!headers.every((pair) => Array.isArray(pair) && pair.length === 2)) throw refuse();
    return headers as [unknown, unknown][];
  }
  if (Symbol.iterator in headers) throw refuse(); // a Set, a URLSearchParams…: not headers
  return Object.entries(headers);
}

/**
 * An API key: it is sent as a header, so it must be printable ASCII without spaces (no line
 * break, NUL or other character a header cannot carry). Its length is the API's business: a key
 * as short as a test's `"test"` is accepted. The message never shows the key.
 */
export function requireApiKey(where: string, apiKey: unknown): string {
  if (typeof apiKey !== "string" || apiKey.trim() === "") {
    throw new TypeError(`${where}: apiKey is required: pass { apiKey } or set ELEVENLABS_API_KEY`);
  }
  if (!/^[\x21-\x7e]+$/.test(apiKey)) {
    throw new TypeError(
      `${where}: apiKey must be printable ASCII, without spaces, line breaks or NUL (it is sent as a header); ` +
        "check where it was read from",
    );
  }
  return apiKey;
}

/**
 * The options object of a call: undefined is `{}`; anything else but an object (`null`, a number)
 * is refused here rather than failing as a raw TypeError when it is read.
 */
export function requireOptions<T extends object>(where: string, options: T | undefined): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
  }
  return options;
}

/** The latest moment a `Date` can hold, in milliseconds (±8.64 × 10¹⁵: 100 million days from 1970). */
const MAX_DATE_MS = 8.64e15;

/**
 * A moment given as a `Date` or unix seconds, as whole unix seconds. NaN, an invalid Date, a
 * moment before 1970 or past what a Date can hold (`1e300`) are refused here, under the caller's
 * name, rather than later by the list's own check of its filter.
 */
export function requireUnixSeconds(where: string, name: string, value: unknown): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === "number" ? value * 1000 : NaN;
  if (Number.isNaN(ms) || (typeof value !== "number" && !(value instanceof Date))) {
    throw new TypeError(`${where}: ${name} must be a Date or unix seconds, got ${describe(value)}`);
  }
  if (!(ms >= 0 && ms <= MAX_DATE_MS)) {
    throw new RangeError(
      `${where}: ${name} must be a moment from 1970 to the year 275760 (a Date or unix seconds), got ${describe(value)}`,
    );
  }
  return Math.floor(ms / 1000);
}

/** A value for a message: strings quoted and cut to 100 characters, objects by their kind. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
  if (value === null || value === undefined || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}
