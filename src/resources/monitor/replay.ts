/**
 * The replay filter: after a reconnect, drops the replayed frames the loop has already had, and
 * only those.
 *
 * On every connect the monitoring socket replays the tail of the conversation's history ("about
 * the last 100 events", possibly slightly out of order), then streams new events. The tail is a
 * suffix of the history: it starts with events the monitor received before the connection was
 * lost and ends with the last of them, then come the events it missed. So:
 *
 * - Every frame let through is remembered as a fingerprint of its whole text: two frames are the
 *   same event only when they are identical, byte for byte. Events that share a type and an
 *   `event_id` but differ elsewhere (the chunks of one response) are distinct.
 * - On a reconnect, `expectReplay()` takes what is remembered as a multiset. A frame found in it is
 *   a replay (dropped, counted in `duplicates`); any other frame is new.
 * - Filtering stops once the last frame received before the reconnect has come back and `SHUFFLE`
 *   more frames have passed (the replay may be a little out of order), or once more than `SHUFFLE`
 *   new frames arrived (the history moved past what was received), or once nothing is expected.
 *   After that, a new event identical to an old one is an event again.
 *
 * The length of the replay does not matter, up to `capacity` frames remembered (65,536 by default,
 * 8 bytes each: 512 KB at most, allocated as the conversation grows). A fingerprint has 53 bits:
 * the odds of a new frame being taken for one of 65,536 remembered are below 1 in 10¹¹.
 *
 * @example
 * const filter = new ReplayFilter();
 * socket.onmessage = ({ data }) => { if (!filter.isReplay(data)) deliver(JSON.parse(data)); };
 * socket.onclose = () => { filter.expectReplay(); reconnect(); };
 */

/** How far out of order a replay may be, in frames. */
const SHUFFLE = 16;
const DEFAULT_CAPACITY = 65_536;

export class ReplayFilter {
  /** Replayed frames recognised and dropped. */
  duplicates = 0;
  readonly #capacity: number;
  /** The fingerprints of the frames let through, a ring of the last `capacity`. */
  #ring = new Float64Array(256);
  #count = 0;
  /** While filtering: the fingerprints still expected as replays, with their counts. */
  #expected: Map<number, number> | undefined;
  #last = 0;
  /** Frames since the last frame received before the reconnect came back (-1: not yet). */
  #afterLast = -1;
  #strangers = 0;

  constructor(capacity = DEFAULT_CAPACITY) {
    this.#capacity = capacity;
  }

  /** Whether the filter is still comparing frames with those received before the last reconnect. */
  get filtering(): boolean {
    return this.#expected !== undefined;
  }

  /** How many frames are remembered. */
  get remembered(): number {
    return Math.min(this.#count, this.#capacity);
  }

  /** A reconnect: what was received so far is the replay to expect. */
  expectReplay(): void {
    const n = this.remembered;
    if (n === 0) return;
    const expected = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const fp = this.#ring[i]!;
      expected.set(fp, (expected.get(fp) ?? 0) + 1);
    }
    this.#expected = expected;
    this.#last = this.#ring[(this.#count - 1) % this.#ring.length]!;
    this.#afterLast = -1;
    this.#strangers = 0;
  }

  /** Whether `frame` replays one already received (drop it); otherwise it is remembered as received. */
  isReplay(frame: string): boolean {
    const fp = fingerprint(frame);
    const expected = this.#expected;
    if (expected !== undefined) {
      const left = expected.get(fp) ?? 0;
      if (this.#afterLast >= 0) this.#afterLast++;
      if (left > 0) {
        if (left === 1) expected.delete(fp);
        else expected.set(fp, left - 1);
        if (fp === this.#last && left === 1) this.#afterLast = 0; // the last one received is back
      } else this.#strangers++;
      if (expected.size === 0 || this.#afterLast >= SHUFFLE || this.#strangers > SHUFFLE) this.#expected = undefined;
      if (left > 0) {
        this.duplicates++;
        return true;
      }
    }
    this.#remember(fp);
    return false;
  }

  #remember(fp: number): void {
    if (this.#count === this.#ring.length && this.#ring.length < this.#capacity) {
      const grown = new Float64Array(Math.min(this.#ring.length * 2, this.#capacity));
      grown.set(this.#ring);
      this.#ring = grown;
    }
    this.#ring[this.#count % this.#ring.length] = fp;
    this.#count++;
  }
}

/**
 * A 53-bit fingerprint of a string (cyrb53: two 32-bit multiply-xor hashes, mixed): equal strings
 * always have equal fingerprints; different ones almost never.
 */
export function fingerprint(text: string): number {
  let h1 = 0xdeadbeef ^ text.length;
  let h2 = 0x41c6ce57 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (h2 & 0x1fffff) + (h1 >>> 0);
}
