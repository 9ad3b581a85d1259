/**
 * Scripted failures: queued per operation (or for any request with "*"), each for the next
 * `times` matching requests, taken in order.
 */

/** A scripted failure for the next `times` (default 1) matching requests. */
export type Fault = { times?: number } & (
  | { kind: "status"; status: number; retryAfter?: number | string; body?: unknown }
  | { kind: "delay"; ms: number }
  | { kind: "reset" }
  | { kind: "truncate"; bytes?: number }
);

/**
 * The queues of scripted faults.
 *
 * @example
 * const faults = new FaultQueue(OPERATION_IDS);
 * faults.add("getConversation", { kind: "status", status: 503, times: 2 });
 * faults.take("getConversation"); // the 503, twice
 */
export class FaultQueue {
  readonly #queues = new Map<string, { fault: Fault; left: number }[]>();
  readonly #operations: readonly string[];

  constructor(operations: readonly string[]) {
    this.#operations = operations;
  }

  add(operationId: string, fault: Fault): void {
    if (operationId !== "*" && !this.#operations.includes(operationId)) {
      throw new TypeError(
        `fault: unknown operationId ${JSON.stringify(operationId)}; use one of ${this.#operations.join(", ")} or "*"`,
      );
    }
    checkFault(fault);
    const queue = this.#queues.get(operationId) ?? [];
    queue.push({ fault: { ...fault }, left: fault.times ?? 1 });
    this.#queues.set(operationId, queue);
  }

  /** The fault for a request to `operation` (its own queue first, then "*"), or undefined. */
  take(operation: string | undefined): Fault | undefined {
    for (const key of operation ? [operation, "*"] : ["*"]) {
      const queue = this.#queues.get(key);
      const head = queue?.[0];
      if (!queue || !head) continue;
      if (--head.left === 0) queue.shift();
      return head.fault;
    }
    return undefined;
  }

  clear(): void {
    this.#queues.clear();
  }
}

function checkFault(fault: Fault): void {
  const times = fault.times ?? 1;
  if (!Number.isSafeInteger(times) || times < 1) throw new RangeError(`fault: times must be a positive integer`);
  switch (fault.kind) {
    case "status":
      if (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599) {
        throw new RangeError(`fault: status must be an HTTP status, got ${fault.status}`);
      }
      return;
    case "delay":
      if (!(fault.ms >= 0)) throw new RangeError(`fault: delay ms must be non-negative, got ${fault.ms}`);
      return;
    case "truncate":
      if (fault.bytes !== undefined && !(Number.isSafeInteger(fault.bytes) && fault.bytes >= 0)) {
        throw new RangeError(`fault: truncate bytes must be a non-negative integer, got ${fault.bytes}`);
      }
      return;
    case "reset":
      return;
    default:
      throw new TypeError(`fault: unknown kind ${JSON.stringify((fault as { kind: unknown }).kind)}`);
  }
}
