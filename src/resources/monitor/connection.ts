/**
 * The connection behind a monitor: the handshake, the frames, the heartbeat, the reconnects, and
 * the close. It knows nothing of events (frames go to `onFrame` as text) or of the loop.
 *
 * Its life:
 * - It connects once made, a microtask later at the earliest, so a `close()` or an abort right
 *   after the monitor was made never opens a socket; nor does anything after `end()`, however long
 *   loading the WebSocket implementation took.
 * - A handshake that fails rejects `ready` with a `ConvaiMonitorError` saying what the status
 *   usually means; one cut short by `end()` rejects with the abort's reason, or a `closed` error.
 * - While open, a heartbeat (a ping where the socket can, `ws`; else the silence itself) takes a
 *   connection that stopped answering for lost: a half-open TCP connection is otherwise never noticed.
 * - A lost connection (an abnormal close, a heartbeat without answer) reconnects with backoff when
 *   asked to (`onReconnect` first, so the replay can be filtered), else ends with a
 *   `ConvaiConnectionError`. A normal close (1000) is the conversation's end.
 * - `end()` closes the socket with 1000 and, if its closing handshake does not finish within
 *   `CLOSE_GRACE_MS`, terminates it: a peer that went silent never keeps the process alive.
 */
import { setTimer, sleep } from "../../core/abort.ts";
import { ConvaiConnectionError, ConvaiMonitorError, ConvaiTimeoutError } from "../../core/errors.ts";
import { redactText, sanitizeCause } from "../../core/redact.ts";
import { type MonitorSocket, type WebSocketConstructor, refusedHeaders, runtimeAdvice } from "./runtime.ts";

export type { MonitorSocket, WebSocketConstructor };

export interface ConnectionOptions {
  /** The method name errors carry. */
  where: string;
  url: string;
  /** Sent with each handshake: the API key among them. */
  headers: Readonly<Record<string, string>>;
  /** The API key, kept out of every error. */
  secret: string;
  WebSocket: () => Promise<WebSocketConstructor>;
  timeoutMs: number;
  reconnect: { attempts: number; delayMs: number } | undefined;
  /** 0: no heartbeat. */
  heartbeatMs: number;
  /** Whether a socket that cannot ping is checked for silence (only when heartbeatMs was chosen). */
  idleCheck: boolean;
  onFrame(text: string, socket: MonitorSocket): void;
  /** A lost connection is about to be replaced: what comes next starts with a replay. */
  onReconnect(): void;
  /** The connection ended for good: undefined for a normal end. Called once. */
  onEnd(error: unknown): void;
}

const OPEN = 1;
const CLOSED = 3;
const NORMAL = 1000;
/** How long `end()` waits for the closing handshake before terminating the socket. */
export const CLOSE_GRACE_MS = 2_000;
/** The longest pause between reconnect attempts. */
const MAX_DELAY_MS = 5_000;

const MEANINGS: Record<number, string> = {
  401: "the API key was refused",
  403: "monitoring needs an enterprise workspace, a key with agents write scope and the EDITOR role, and monitoring on for the agent",
  404: "the conversation has not started yet, has already ended, or does not exist",
};

/** Close codes a lost connection is explained by (the others are shown as numbers). */
const CLOSE_CODES: Record<number, string> = {
  1006: "closed abnormally",
  1009: "closed: a frame was too large (1009)",
  1011: "closed: the server failed (1011)",
};

/** `ws`'s error codes for a frame it refused to read, which end the connection with 1009. */
const TOO_BIG = new Set(["WS_ERR_UNSUPPORTED_MESSAGE_LENGTH"]);

/** Rejections of a reconnect attempt that mean "stop trying" rather than "try again". */
class Ended extends Error {}

export class Connection {
  /** Resolves once the first connection is open; rejects with why it could not be. */
  readonly ready: Promise<void>;
  reconnects = 0;
  #socket: MonitorSocket | undefined;
  #ended = false;
  /** Why the connection ended (undefined: normally, or not yet). */
  #reason: unknown;
  /** Aborted by `end()`: the reconnect backoff stops at once. */
  readonly #stop = new AbortController();
  /** The handshake in progress, to reject when `end()` cuts it short. */
  #handshake: ((error: unknown) => void) | undefined;
  #stopHeartbeat = noop;
  #closing: Promise<void> | undefined;
  readonly #o: ConnectionOptions;

  constructor(options: ConnectionOptions) {
    this.#o = options;
    this.ready = Promise.resolve()
      .then(() => this.#open(false))
      .catch((error: unknown) => {
        void this.end(error); // its promise (the socket closing) never rejects
        throw error;
      });
    this.ready.catch(noop); // surfaced through the monitor's ready(), loop and send()
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The open socket, if there is one. */
  get socket(): MonitorSocket | undefined {
    return this.#socket?.readyState === OPEN ? this.#socket : undefined;
  }

  /**
   * Ends the connection (`error` undefined: normally): no reconnect, a handshake in progress
   * rejects, the socket closes (terminated after a grace). Resolves once the socket is closed.
   */
  end(error?: unknown): Promise<void> {
    if (!this.#ended) {
      this.#ended = true;
      this.#reason = error;
      this.#stop.abort();
      this.#stopHeartbeat();
      const handshake = this.#handshake;
      this.#handshake = undefined;
      handshake?.(error ?? this.#closedError());
      const socket = this.#socket;
      this.#socket = undefined;
      this.#closing = socket ? closeWithGrace(socket) : Promise.resolve();
      this.#o.onEnd(error);
    }
    return this.#closing!;
  }

  #closedError(): ConvaiMonitorError {
    return new ConvaiMonitorError("closed", `${this.#o.where}: the monitor was closed before it connected`);
  }

  /** One handshake; resolves when open. `again`: a reconnect, where a 404 means the call ended. */
  async #open(again: boolean): Promise<void> {
    const { where, url, secret, timeoutMs } = this.#o;
    const path = new URL(url).pathname;
    const WebSocket = await this.#o.WebSocket();
    if (this.#ended) throw this.#reason ?? this.#closedError(); // closed or aborted while loading it
    let s: MonitorSocket;
    try {
      s = new WebSocket(url, { headers: { ...this.#o.headers } }); // a copy: an implementation may add to it
      if (typeof s?.addEventListener !== "function") throw new TypeError("the socket has no addEventListener");
    } catch (error) {
      throw this.#constructionError(error, path);
    }
    this.#socket = s;
    return new Promise<void>((resolve, reject) => {
      let opened = false;
      let settled = false;
      let failure: unknown; // what the socket's error event said, for the close that follows
      const settle = (error?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimer();
        this.#handshake = undefined;
        if (error === undefined) resolve();
        else reject(error);
      };
      this.#handshake = settle;
      const clearTimer = setTimer(timeoutMs, () => {
        if (settled) return;
        settle(new ConvaiTimeoutError({ method: "GET", path, operation: where, timeoutMs }));
        this.#drop(s);
      });
      /** The handshake failed: with its status where the runtime tells it (`ws` does). */
      const refuse = (status: number | undefined) => {
        if (settled) return;
        if (again && status === 404) {
          settle(new Ended()); // the conversation ended meanwhile: a normal end
          void this.end();
          return;
        }
        if (again && status === undefined) {
          return settle(
            new ConvaiConnectionError({
              method: "GET",
              path,
              operation: where,
              reason: "could not connect again",
              cause: failure === undefined ? undefined : sanitizeCause(failure, secret),
            }),
          );
        }
        const meaning = status === undefined ? undefined : MEANINGS[status];
        settle(
          new ConvaiMonitorError(
            "handshake_refused",
            `${where}: the monitoring socket refused the connection` +
              (status === undefined
                ? " (401, 403 or 404; this runtime does not say which)"
                : ` with ${status}${meaning ? `: ${meaning}` : ""}`),
            status,
            failure === undefined ? undefined : sanitizeCause(failure, secret),
          ),
        );
      };
      s.on?.("unexpected-response", (request: { destroy(): void }, response: { statusCode?: number }) => {
        request.destroy();
        refuse(response.statusCode);
      });
      let alive = true;
      s.addEventListener("open", () => {
        if (s !== this.#socket) return;
        opened = true;
        this.#stopHeartbeat = this.#heartbeat(
          s,
          () => alive,
          (value) => (alive = value),
          path,
        );
        settle();
      });
      const onMessage = (data: unknown) => {
        alive = true;
        if (s === this.#socket && !this.#ended) this.#o.onFrame(typeof data === "string" ? data : String(data), s);
      };
      // ws hands the frame over directly; the WHATWG interface wraps each in an event object.
      if (s.on) {
        s.on("message", onMessage);
        s.on("pong", () => (alive = true));
      } else s.addEventListener("message", (message: { data: unknown }) => onMessage(message.data));
      s.addEventListener("error", (event: { error?: unknown }) => {
        failure = event?.error ?? event; // ws passes the Error itself to on("error"), an ErrorEvent here
      });
      s.addEventListener("close", (event: { code?: number }) => {
        if (s !== this.#socket) return; // ended, or replaced after a heartbeat gave up on it
        if (!opened) return refuse(undefined);
        const tooBig = TOO_BIG.has(String((failure as { code?: unknown } | undefined)?.code));
        const code = tooBig ? 1009 : (event?.code ?? 1006);
        if (code === NORMAL) return void this.end(); // the conversation ended
        this.#lost(
          s,
          new ConvaiConnectionError({
            method: "GET",
            path,
            operation: where,
            reason: `the monitoring socket ${CLOSE_CODES[code] ?? `closed with code ${code}`}`,
            cause: failure === undefined ? undefined : sanitizeCause(failure, secret),
          }),
        );
      });
    });
  }

  /** A constructor that threw: a runtime without header support, or anything else, typed and redacted. */
  #constructionError(error: unknown, path: string): Error {
    const { where, secret } = this.#o;
    if (refusedHeaders(error)) {
      return new ConvaiMonitorError(
        "unsupported_runtime",
        `${where}: ${runtimeAdvice(globalThis)}`,
        undefined,
        sanitizeCause(error, secret),
      );
    }
    const cause = sanitizeCause(error, secret);
    return new ConvaiConnectionError({
      method: "GET",
      path,
      operation: where,
      message: redactText(`${where}: the WebSocket could not be made: ${cause.message}`, secret),
      cause,
    });
  }

  /**
   * Pings every `heartbeatMs` where the socket can; a socket that neither answered nor sent a frame
   * since the previous tick is lost. Returns the function that stops it.
   */
  #heartbeat(s: MonitorSocket, alive: () => boolean, set: (value: boolean) => void, path: string): () => void {
    const { heartbeatMs, where } = this.#o;
    const ping = typeof s.ping === "function";
    if (heartbeatMs === 0 || (!ping && !this.#o.idleCheck)) return noop;
    set(true);
    const timer = setInterval(() => {
      if (!alive()) {
        clearInterval(timer);
        const reason = `the monitoring socket did not answer for ${heartbeatMs} ms (heartbeat)`;
        this.#lost(s, new ConvaiConnectionError({ method: "GET", path, operation: where, reason }));
        return;
      }
      set(false);
      try {
        s.ping?.();
      } catch {
        // a socket closing: its close event says so
      }
    }, heartbeatMs);
    return () => clearInterval(timer);
  }

  /** The connection `s` is gone: reconnect where asked to, else end with `error`. */
  #lost(s: MonitorSocket, error: ConvaiConnectionError): void {
    if (s !== this.#socket || this.#ended) return;
    this.#stopHeartbeat();
    this.#stopHeartbeat = noop;
    this.#socket = undefined;
    this.#drop(s);
    if (this.#o.reconnect === undefined) {
      void this.end(error);
      return;
    }
    this.#reconnect(error).catch((e: unknown) => this.end(e));
  }

  /** Closes a socket given up on, at once where it can be. */
  #drop(s: MonitorSocket): void {
    try {
      if (typeof s.terminate === "function") s.terminate();
      else s.close();
    } catch {
      // already closed
    }
  }

  /** Connects again with backoff, up to `attempts` times. */
  async #reconnect(lost: ConvaiConnectionError): Promise<void> {
    const { attempts, delayMs } = this.#o.reconnect!;
    this.#o.onReconnect();
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        await sleep(Math.min(delayMs * 2 ** attempt, MAX_DELAY_MS), this.#stop.signal);
      } catch {
        return; // ended during the backoff: nothing more to do
      }
      if (this.#ended) return;
      try {
        await this.#open(true);
        this.reconnects++;
        return;
      } catch (error) {
        if (this.#ended || error instanceof Ended) return;
        if (error instanceof ConvaiMonitorError) return void this.end(error); // refused: trying again will not help
      }
    }
    void this.end(lost);
  }
}

/** Closes `s` normally; terminates it if the closing handshake has not finished after a grace. */
function closeWithGrace(s: MonitorSocket): Promise<void> {
  return new Promise((resolve) => {
    if (s.readyState === CLOSED) return resolve();
    let clear = noop;
    const done = () => {
      clear();
      resolve();
    };
    s.addEventListener("close", done);
    clear = setTimer(CLOSE_GRACE_MS, () => {
      try {
        s.terminate?.();
      } catch {
        // gone already
      }
      resolve();
    });
    try {
      s.close(NORMAL);
    } catch {
      done();
    }
  });
}

function noop(): void {}
