/** The requests the emulator received, in order of arrival, with the status each got. */

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
 * const log = new RequestLog();
 * const record = log.add({ method: "GET", path: "/v1/convai/conversations", query: "", operationId: "listConversations", status: 0 });
 * record.status = 200;
 */
export class RequestLog {
  readonly #records: RecordedRequest[] = [];
  #received = 0;

  add(record: RecordedRequest): RecordedRequest {
    this.#records.push(record);
    this.#received++;
    return record;
  }

  /** The requests kept, oldest first. */
  get records(): readonly RecordedRequest[] {
    return this.#records;
  }

  /** How many requests were received in all, or for one operationId. */
  count(operationId?: string): number {
    if (operationId === undefined) return this.#received;
    return this.#records.filter((r) => r.operationId === operationId).length;
  }

  clear(): void {
    this.#records.length = 0;
    this.#received = 0;
  }
}
