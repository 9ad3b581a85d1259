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

export class ConcurrencyLimiter {
  readonly max: number;
  #limit: number;
  #active = 0;
  #epoch = 0;
  #successes = 0;
  readonly #waiting: { grant: () => void }[] = [];

  constructor(max: number) {
    this.max = max;
    this.#limit = max;
  }

  /** The current limit (at most `max`). */
  get limit(): number {
    return this.#limit;
  }

  /** Requests in flight. */
  get active(): number {
    return this.#active;
  }

  /** Waits for a slot; an abort while waiting rejects with the signal's reason and takes none. */
  acquire(signal?: AbortSignal): Promise<Slot> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#active < this.#limit && this.#waiting.length === 0) return Promise.resolve(this.#take());
    return new Promise<Slot>((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve(this.#take());
        },
      };
      const onAbort = () => {
        const i = this.#waiting.indexOf(waiter);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  /** The workspace said too many at once: halve the limit (once per epoch), at least 1. */
  tooMany(slot: Slot): void {
    this.#successes = 0;
    if (slot.epoch !== this.#epoch) return; // already lowered since this request was let through
    this.#epoch++;
    this.#limit = Math.max(1, Math.floor(this.#limit / 2));
  }

  /** A request succeeded: after `limit` successes in a row, one more slot (up to `max`). */
  succeeded(): void {
    if (this.#limit >= this.max) return;
    if (++this.#successes >= this.#limit) {
      this.#successes = 0;
      this.#limit++;
      this.#epoch++;
      this.#drain();
    }
  }

  #take(): Slot {
    this.#active++;
    let released = false;
    return {
      epoch: this.#epoch,
      release: () => {
        if (released) return;
        released = true;
        this.#active--;
        this.#drain();
      },
    };
  }

  #drain(): void {
    while (this.#active < this.#limit && this.#waiting.length > 0) this.#waiting.shift()!.grant();
  }
}
