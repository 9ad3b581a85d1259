/**
 * The requests the emulator received, in order of arrival, with the status each got. Bounded: it
 * keeps the last `limit` requests (a ring), and counts every request, so an emulator serving
 * for hours holds a fixed amount of memory.
 */

/** One request the emulator received. `status` is 0 while unanswered and for reset connections. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** The raw query string, without "?". */
  query: string;
  operationId: string | undefined;
  status: number;
}

/**
 * The request log.
 *
 * @example
 * const log = new RequestLog(1_000);
 * const record = log.add({ method: "GET", path: "/v1/convai/conversations", query: "", operationId: "listConversations", status: 0 });
 * record.status = 200;
 */
export class RequestLog {
  readonly #limit: number;
  #ring: RecordedRequest[] = [];
  /** Where the next record goes once the ring is full. */
  #next = 0;
  #received = 0;
  readonly #byOperation = new Map<string | undefined, number>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  add(record: RecordedRequest): RecordedRequest {
    if (this.#limit > 0) {
      if (this.#ring.length < this.#limit) this.#ring.push(record);
      else {
        this.#ring[this.#next] = record;
        this.#next = (this.#next + 1) % this.#limit;
      }
    }
    this.#received++;
    this.#byOperation.set(record.operationId, (this.#byOperation.get(record.operationId) ?? 0) + 1);
    return record;
  }

  /** The requests kept (the last `limit`), oldest first. */
  get records(): readonly RecordedRequest[] {
    return this.#next === 0 ? this.#ring : [...this.#ring.slice(this.#next), ...this.#ring.slice(0, this.#next)];
  }

  /** How many requests were received in all, or for one operationId (also those no longer kept). */
  count(operationId?: string): number {
    return operationId === undefined ? this.#received : (this.#byOperation.get(operationId) ?? 0);
  }

  clear(): void {
    this.#ring = [];
    this.#next = 0;
    this.#received = 0;
    this.#byOperation.clear();
  }
}
