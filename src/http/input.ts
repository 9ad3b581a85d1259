/** Checks of caller input, run before any request so that bad input never reaches the wire. */
import { MAX_TIMER_MS } from "./abort.ts";

/**
 * An id that goes into a URL path. openapi-fetch percent-encodes it, so `/`, `?` and `#` stay
 * inside the segment; `.` and `..` are refused because URL parsers resolve them (even encoded)
 * to another path.
 */
export function requireId(where: string, name: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new TypeError(`${where}: ${name} must be a non-empty string, got ${describe(value)}`);
  }
  if (/^(\.|%2e){1,2}$/i.test(value)) {
    throw new TypeError(`${where}: ${name} ${JSON.stringify(value)} is not a valid id`);
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

export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || value === undefined || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}
