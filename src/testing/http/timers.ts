/**
 * The emulator's scheduled work (webhook deliveries, scripted monitor events, the close of a
 * monitored call): timers that forget themselves when they fire, so a long-lived emulator holds
 * only those still pending, and that are all cleared when it closes.
 */
export class Timers {
  readonly #pending = new Set<ReturnType<typeof setTimeout>>();
  #closed = false;

  /** How many have not fired yet. */
  get size(): number {
    return this.#pending.size;
  }

  /** Runs `run` after `ms`, unless closed by then. */
  later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#pending.delete(timer);
      if (!this.#closed) run();
    }, ms);
    this.#pending.add(timer);
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#pending) clearTimeout(timer);
    this.#pending.clear();
  }
}
