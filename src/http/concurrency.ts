/**
 * The client's `maxConcurrency`: one adaptive semaphore shared by every request of a client.
 * ElevenLabs limits concurrent requests per workspace and refuses the request over the limit with
 * a 429 whose detail says `too_many_concurrent_requests`; such an answer halves the limit here
 * (multiplicative decrease, at least 1), and every `limit` successes in a row at a lowered limit
 * raise it by one (additive increase) back up to `maxConcurrency`. A `system_busy` 429 lowers
 * nothing: the retry policy's backoff (and `Retry-After`) deals with it. No clock is read.
 */

/** The body detail status of a 429 that asks for fewer requests at once. */
export const TOO_MANY_CONCURRENT = "too_many_concurrent_requests";

/** What a 429's body says about why: its `detail.status` (or a `detail` string), if any. */
export function rateLimitReason(text: string): string | undefined {
  try {
    const detail = (JSON.parse(text) as { detail?: unknown } | null)?.detail;
    if (typeof detail === "string") return detail;
    const status = (detail as { status?: unknown } | null | undefined)?.status;
    return typeof status === "string" ? status : undefined;
  } catch {
    return undefined;
  }
}

/** A held slot: `release` once the request's answer has been read (idempotent). */
export interface Slot {
  /** The limiter's epoch when the slot was taken: a 429 lowers the limit once per epoch. */
  readonly epoch: number;
  release(): void;
}

/** The semaphore of one client (made by `concurrencyLimiter`). */
export interface ConcurrencyLimiter {
  readonly max: number;
  /** The current limit (at most `max`). */
  readonly limit: number;
  /** Requests in flight. */
  readonly active: number;
  /** Waits for a slot; an abort while waiting rejects with the signal's reason and takes none. */
  acquire(signal?: AbortSignal): Promise<Slot>;
  /** The workspace said too many at once: halve the limit (once per epoch), at least 1. */
  tooMany(slot: Slot): void;
  /** A request succeeded: after `limit` successes in a row, one more slot (up to `max`). */
  succeeded(): void;
}

/** A limiter of at most `max` requests at once (a closure rather than a class: its state minifies to single letters). */
export function concurrencyLimiter(max: number): ConcurrencyLimiter {
  let limit = max;
  let active = 0;
  let epoch = 0;
  let successes = 0;
  const waiting: (() => void)[] = [];
  const drain = () => {
    while (active < limit && waiting.length > 0) waiting.shift()!();
  };
  const take = (): Slot => {
    active++;
    let released = false;
    return {
      epoch,
      release: () => {
        if (released) return;
        released = true;
        active--;
        drain();
      },
    };
  };
  return {
    max,
    get limit() {
      return limit;
    },
    get active() {
      return active;
    },
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (active < limit && waiting.length === 0) return Promise.resolve(take());
      return new Promise<Slot>((resolve, reject) => {
        const grant = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve(take());
        };
        const onAbort = () => {
          const i = waiting.indexOf(grant);
          if (i >= 0) waiting.splice(i, 1);
          reject(signal!.reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        waiting.push(grant);
      });
    },
    tooMany(slot) {
      successes = 0;
      if (slot.epoch !== epoch) return; // already lowered since this request was let through
      epoch++;
      limit = Math.max(1, Math.floor(limit / 2));
    },
    succeeded() {
      if (limit >= max) return;
      if (++successes >= limit) {
        successes = 0;
        limit++;
        epoch++;
        drain();
      }
    },
  };
}
