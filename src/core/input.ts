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

/** Extra headers: string values, no line breaks, and not the API key's header. Messages never show a value. */
export function requireHeaders(where: string, name: string, headers: unknown): void {
  if (headers === null || typeof headers !== "object" || Array.isArray(headers)) {
    throw new TypeError(
      `${where}: ${name} must be an object of header names and string values, got ${describe(headers)}`,
    );
  }
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === "xi-api-key") {
      throw new TypeError(`${where}: ${name} may not set xi-api-key; pass apiKey to createConvaiClient`);
    }
    if (typeof value !== "string" || /[\r\n\0]/.test(value) || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) {
      throw new TypeError(
        `${where}: ${name}[${JSON.stringify(key.slice(0, 100))}] must be a valid header name with a string value without line breaks`,
      );
    }
  }
}

/** A value for a message: strings quoted and cut to 100 characters, objects by their kind. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
  if (value === null || value === undefined || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}
