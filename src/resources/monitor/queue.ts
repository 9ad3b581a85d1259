/**
 * The bounded event queue between the socket and a loop that reads more slowly than events come.
 *
 * The policy, at `limit` events waiting:
 * - a socket that can pause (`ws`) is paused, and resumed once the loop has read the queue down to
 *   half the limit. Nothing is lost; what the socket had already read when paused still arrives
 *   (about one socket read, 64 KB of frames).
 * - a socket that cannot pause (the WHATWG WebSocket of Node ≥ 22, Deno, Bun, most injected ones):
 *   the oldest waiting event is dropped for each new one, and counted in `dropped`.
 * - either way the queue never holds more than `2 × limit + 4096` events: past that (a socket that
 *   claims to pause and keeps delivering) the oldest are dropped and counted too.
 *
 * The events sit in a ring that grows by doubling up to what the policy lets it hold, so memory
 * stays bounded by the limit however long the loop stalls.
 *
 * @example
 * const queue = new EventQueue<MonitorEvent>(1000);
 * socket.onmessage = (m) => queue.push(JSON.parse(m.data), socket);
 * const next = queue.shift(); // undefined when empty
 */

/** What the queue needs of a socket to pause it (`ws` has both). */
export interface Pausable {
  pause?(): void;
  resume?(): void;
}

/** Headroom over the limit for frames a paused socket had already read. */
const PAUSED_EXTRA = 4096;

export class EventQueue<T> {
  /** Events dropped to stay within the bound. */
  dropped = 0;
  /** The most events ever waiting at once. */
  peak = 0;
  readonly limit: number;
  #items: (T | undefined)[] = new Array<T | undefined>(16);
  #head = 0;
  #size = 0;
  /** The socket paused by the queue, to resume once the loop catches up. */
  #paused: Pausable | undefined;

  constructor(limit: number) {
    this.limit = limit;
  }

  get size(): number {
    return this.#size;
  }

  /** The slots allocated: bounded by the policy, whatever was pushed. */
  get capacity(): number {
    return this.#items.length;
  }

  /** Adds an event; at the limit, pauses `source` where it can, else drops the oldest waiting. */
  push(item: T, source?: Pausable): void {
    if (this.#size >= this.limit) {
      if (typeof source?.pause === "function" && this.#size < 2 * this.limit + PAUSED_EXTRA) {
        if (this.#paused !== source) {
          this.#paused = source; // a reconnect's new socket is paused too
          source!.pause!();
        }
      } else {
        this.shift();
        this.dropped++;
      }
    }
    if (this.#size === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#size) % this.#items.length] = item;
    this.#size++;
    if (this.#size > this.peak) this.peak = this.#size;
  }

  /** The oldest event waiting, or undefined; resumes a paused socket once half the limit is left. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#items.length;
    this.#size--;
    if (this.#paused !== undefined && this.#size <= this.limit / 2) {
      const paused = this.#paused;
      this.#paused = undefined;
      paused.resume?.();
    }
    return item;
  }

  /** Empties the queue, and forgets a paused socket (it is being closed). */
  clear(): void {
    this.#items = new Array<T | undefined>(16);
    this.#head = 0;
    this.#size = 0;
    this.#paused = undefined;
  }

  #grow(): void {
    const items = new Array<T | undefined>(this.#items.length * 2);
    for (let i = 0; i < this.#size; i++) items[i] = this.#items[(this.#head + i) % this.#items.length];
    this.#items = items;
    this.#head = 0;
  }
}
