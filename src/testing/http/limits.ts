/**
 * A workspace's limits as the emulator models them: at most `maxConcurrentRequests` requests in
 * flight (the one over it is answered 429 `too_many_concurrent_requests`, as ElevenLabs answers),
 * and `latencyMs` before every answer, so tests and benchmarks can reproduce a real workspace.
 * A request counts as in flight from its arrival until its answer has been sent (or its
 * connection closed).
 */
import type { ServerResponse } from "node:http";
import { type Reply, detail } from "../state/operations.ts";

export interface LimitOptions {
  /** Requests served at once; the one over is refused with 429. Default: no limit. */
  maxConcurrentRequests?: number;
  /** Milliseconds every answer waits before it is sent. Default 0. */
  latencyMs?: number;
}

export class WorkspaceLimits {
  readonly #max: number;
  readonly latencyMs: number;
  #inFlight = 0;
  /** The most requests that were in flight at once. */
  peak = 0;
  /** How many were refused for the concurrency limit. */
  refused = 0;

  constructor(options: LimitOptions, check: (name: string, value: number) => number) {
    this.#max =
      options.maxConcurrentRequests === undefined
        ? Infinity
        : check("maxConcurrentRequests", options.maxConcurrentRequests);
    if (this.#max === 0) throw new RangeError("startEmulator: maxConcurrentRequests must be at least 1");
    this.latencyMs = check("latencyMs", options.latencyMs ?? 0);
  }

  /** Requests in flight now (refused ones included, until their answer is sent). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Counts the request in until its answer is done; a 429 when it is one too many. */
  admit(res: ServerResponse): Reply | undefined {
    this.#inFlight++;
    res.once("close", () => this.#inFlight--);
    this.peak = Math.max(this.peak, this.#inFlight);
    if (this.#inFlight <= this.#max) return undefined;
    this.refused++;
    return detail(
      429,
      "too_many_concurrent_requests",
      `Too many concurrent requests: this workspace allows ${this.#max} at once`,
    );
  }
}
