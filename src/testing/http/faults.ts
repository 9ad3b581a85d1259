/**
 * Scripted failures: queued per operation (or for any request with "*"), each for the next
 * `times` matching requests, taken in order; or drawn at random for a share of the requests.
 */
import { unitHash } from "../data/random.ts";

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
    if (operationId !== "*") requireOperation("fault", operationId, this.#operations, ' or "*"');
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

function requireOperation(where: string, id: string, operations: readonly string[], also = ""): void {
  if (!operations.includes(id)) {
    throw new TypeError(
      `${where}: unknown operationId ${JSON.stringify(id)}; use one of ${operations.join(", ")}${also}`,
    );
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

/** Faults injected at random into a share of the requests; see `Emulator.chaos`. */
export interface ChaosOptions {
  /** The share of requests that fail, from 0 to 1. */
  rate: number;
  /** The faults to draw from, each equally likely (their `times` is ignored). */
  faults: readonly Fault[];
  /**
   * Which faults hit which requests. The draw depends on the seed, the request (method, path and
   * query) and how many times that same request came before, not on arrival order, so a run with
   * concurrent clients replays exactly. Default 1.
   */
  seed?: number;
  /** Only these operations; all by default. */
  operations?: readonly string[];
}

/**
 * Draws faults for requests, deterministically per seed and request.
 *
 * @example
 * const chaos = new Chaos({ rate: 0.1, faults: [{ kind: "reset" }], seed: 7 }, OPERATION_IDS);
 * chaos.draw("listConversations", "GET /v1/convai/conversations?page_size=20"); // a fault, one time in ten
 */
export class Chaos {
  readonly #options: ChaosOptions;
  readonly #seen = new Map<string, number>();
  /** How many faults were injected, by kind. */
  readonly injected = new Map<Fault["kind"], number>();

  constructor(options: ChaosOptions, operations: readonly string[]) {
    if (!(options.rate >= 0 && options.rate <= 1))
      throw new RangeError(`chaos: rate must be from 0 to 1, got ${options.rate}`);
    if (!Array.isArray(options.faults) || options.faults.length === 0)
      throw new TypeError("chaos: faults must list at least one fault");
    options.faults.forEach(checkFault);
    for (const operation of options.operations ?? []) requireOperation("chaos", operation, operations);
    this.#options = { ...options, faults: options.faults.map((fault) => ({ ...fault })) };
  }

  draw(operation: string | undefined, request: string): Fault | undefined {
    const { rate, faults, seed = 1, operations } = this.#options;
    if (operations !== undefined && (operation === undefined || !operations.includes(operation))) return undefined;
    const n = this.#seen.get(request) ?? 0;
    this.#seen.set(request, n + 1);
    const roll = unitHash(`${seed}\n${request}\n${n}`);
    if (roll >= rate) return undefined;
    const fault = faults[Math.floor(unitHash(`${seed}\n${request}\n${n}\nkind`) * faults.length)]!;
    this.injected.set(fault.kind, (this.injected.get(fault.kind) ?? 0) + 1);
    return fault;
  }
}
