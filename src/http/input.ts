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

/** A positive number of milliseconds, at most `max` (by default the longest delay a timer can wait). */
export function requireTimeout(where: string, name: string, value: unknown, max = MAX_TIMER_MS): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`${where}: ${name} must be a positive number of milliseconds, got ${describe(value)}`);
  }
  if (value > max) {
    throw new RangeError(
      `${where}: ${name} must be at most ${max} ms (about ${Math.floor(max / 86_400_000)} days), got ${value}`,
    );
  }
}

/** A value for a message: strings quoted and cut to 100 characters, objects by their kind. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
  if (value === null || value === undefined || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}
