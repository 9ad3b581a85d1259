/**
 * A WebSocket the test drives by hand, for the monitor's lifecycle: it records every socket made,
 * opens, delivers frames and closes only when told to, and has `ping`, `terminate` and `pause`
 * only when asked for.
 */
import type { WebSocketConstructor } from "../../../src/index.ts";

export interface FakeOptions {
  /** Has `ping()` (recorded in `pings`), as `ws` has. */
  ping?: boolean;
  /** Has `terminate()`, as `ws` has. */
  terminate?: boolean;
  /** `close()` fires the close event at once (with 1006 before open, as `ws` does), else never. */
  answersClose?: boolean;
  /** Thrown by the constructor. */
  throws?: unknown;
}

export class FakeSocket {
  readyState = 0;
  readonly sent: string[] = [];
  readonly closeCalls: (number | undefined)[] = [];
  pings = 0;
  terminated = false;
  readonly #listeners = new Map<string, ((event: never) => void)[]>();

  constructor(
    readonly url: string,
    readonly headers: Record<string, string>,
    readonly options: FakeOptions,
  ) {}

  addEventListener(type: string, listener: (event: never) => void): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }
  send(data: string): void {
    this.sent.push(data);
  }
  close(code?: number): void {
    this.closeCalls.push(code);
    if (this.options.answersClose) this.drop(this.readyState === 1 ? (code ?? 1005) : 1006);
  }
  fire(type: string, event: unknown): void {
    for (const listener of this.#listeners.get(type) ?? []) listener(event as never);
  }
  open(): void {
    this.readyState = 1;
    this.fire("open", {});
  }
  message(...frames: unknown[]): void {
    for (const frame of frames)
      this.fire("message", { data: typeof frame === "string" ? frame : JSON.stringify(frame) });
  }
  /** The connection ends with `code` (1006: abnormally, no close frame). */
  drop(code = 1006): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.fire("close", { code });
  }
}

/** A WebSocket class whose sockets are listed in `made`. */
export function fakeSockets(options: FakeOptions = {}): WebSocketConstructor & { made: FakeSocket[] } {
  const made: FakeSocket[] = [];
  const Fake = function (url: string, init: { headers: Record<string, string> }) {
    if (options.throws !== undefined) throw options.throws;
    const socket = new FakeSocket(url, init.headers, options);
    const extra = socket as unknown as Record<string, unknown>;
    if (options.ping) extra.ping = () => void socket.pings++;
    if (options.terminate) {
      extra.terminate = () => {
        socket.terminated = true;
        socket.drop(1006);
      };
    }
    made.push(socket);
    return socket;
  } as unknown as WebSocketConstructor & { made: FakeSocket[] };
  Fake.made = made;
  return Fake;
}

/** The latest socket made, with a check that there is one. */
export function last(Fake: { made: FakeSocket[] }): FakeSocket {
  const socket = Fake.made.at(-1);
  if (socket === undefined) throw new Error("no socket was made");
  return socket;
}
