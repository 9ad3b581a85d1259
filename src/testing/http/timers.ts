/**
 * The emulator's scheduled work (webhook deliveries, scripted monitor events, the close of a
 * monitored call, delay faults): timers that forget themselves when they fire, so a long-lived
 * emulator holds only those still pending, and that are all cleared when it closes. A delay longer
 * than `setTimeout` honours waits in chunks (the emulator may not import the client's core/, which
 * caps its timers the same way).
 */

/** The longest delay `setTimeout` honours (2³¹ − 1 ms, about 24.8 days); Node turns a longer one into 1 ms. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * Calls `run` after `ms`, however long (waiting in chunks of at most {@link MAX_TIMEOUT_MS});
 * returns the function that cancels it.
 *
 * @example
 * const cancel = longTimeout(2 ** 32, () => console.log("49.7 days later"));
 */
export function longTimeout(ms: number, run: () => void): () => void {
  let timer: ReturnType<typeof setTimeout>;
  const wait = (left: number) => {
    const step = Math.min(Math.max(0, left), MAX_TIMEOUT_MS);
    timer = setTimeout(() => (left > step ? wait(left - step) : run()), step);
  };
  wait(ms);
  return () => clearTimeout(timer);
}

export class Timers {
  readonly #pending = new Set<() => void>();
  #closed = false;

  /** How many have not fired yet. */
  get size(): number {
    return this.#pending.size;
  }

  /** Runs `run` after `ms`, unless closed or cancelled by then; returns the function that cancels it. */
  later(ms: number, run: () => void): () => void {
    const cancel = (): void => {
      clear();
      this.#pending.delete(cancel);
    };
    const clear = longTimeout(ms, () => {
      this.#pending.delete(cancel);
      if (!this.#closed) run();
    });
    if (this.#closed) clear();
    else this.#pending.add(cancel);
    return cancel;
  }

  close(): void {
    this.#closed = true;
    for (const cancel of [...this.#pending]) cancel();
    this.#pending.clear();
  }
}
