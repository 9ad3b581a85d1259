/**
 * `convai.conversations.monitor(id)`: the real-time monitoring socket of a live conversation as an
 * async iterable of typed events, with its control commands. The socket replays about the last 100
 * events on every connect; after a reconnect the replayed ones already yielded are dropped, so a
 * loop sees each event once. The key goes in a header, so the socket comes from a WebSocket that
 * can send one: an injected constructor, the runtime's own (Deno, Bun, Node ≥ 22), or the `ws`
 * package, loaded only when needed and never part of this entry's bundle.
 */
import { onAbort, setTimer, sleep } from "../core/abort.ts";
import { ConvaiConnectionError, ConvaiMonitorError, ConvaiTimeoutError } from "../core/errors.ts";
import { checkRequestOptions, requireId } from "../core/input.ts";
import type { ClientConfig } from "../http/transport.ts";
import { isBy, matchBy } from "../transcript/narrowing.ts";
import type { KnownMonitorEvent, MonitorCommand, MonitorEvent, UnknownMonitorEvent } from "../types.ts";

/** The part of a WebSocket this uses: the WHATWG interface, which `ws` implements too. */
export interface MonitorSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: never) => void): void;
  /**
   * `ws` only: `"unexpected-response"` reports the status of a refused handshake, `"message"`
   * hands frames over without wrapping each in an event object.
   */
  on?(event: "unexpected-response" | "message", listener: (a: never, b: never) => void): void;
  /** `ws` only: stop and resume reading, for backpressure. */
  pause?(): void;
  resume?(): void;
}

/** A WebSocket constructor that accepts `{ headers }` as its second argument (ws, Deno, Bun, undici). */
export type WebSocketConstructor = new (url: string, options: { headers: Record<string, string> }) => MonitorSocket;

export interface MonitorOptions {
  /** Closes the monitor; the loop rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * After an abnormal close, connect again (with backoff) while the conversation is live, and drop
   * the replayed events already yielded.
   * @default false
   */
  reconnect?: boolean | { attempts?: number; delayMs?: number };
  /**
   * Events held for a loop that fell behind. At this many, reading pauses where the socket can
   * pause (`ws`; what it had already read still arrives, about one socket read, 64 KB), else the
   * oldest are dropped and counted in `dropped`.
   * @default 1000
   */
  bufferLimit?: number;
  /** The WebSocket implementation to use; by default the runtime's own where it can send headers, else `ws`. */
  WebSocket?: WebSocketConstructor;
  /** `"opentelemetry"`: frames are OTLP JSON span batches (they arrive as untyped events). */
  eventsFormat?: "opentelemetry";
  /** Time allowed for each handshake. @default the client's `timeoutMs` */
  timeoutMs?: number;
}

/** A live conversation's monitor: `for await` its events, send commands, close it. */
export interface ConversationMonitor extends AsyncIterable<MonitorEvent> {
  [Symbol.asyncIterator](): AsyncIterator<MonitorEvent, undefined>;
  readonly conversationId: string;
  /** Resolves once connected; rejects with the handshake's error. */
  ready(): Promise<void>;
  send(command: MonitorCommand): Promise<void>;
  endCall(): Promise<void>;
  transferToNumber(phoneNumber: string): Promise<void>;
  contextualUpdate(text: string): Promise<void>;
  enableHumanTakeover(): Promise<void>;
  disableHumanTakeover(): Promise<void>;
  sendHumanMessage(text: string): Promise<void>;
  /** Ends the monitor; the loop ends normally. Calling it again does nothing more. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
  /** Events dropped because the loop fell more than `bufferLimit` behind (0 where the socket pauses). */
  readonly dropped: number;
  /** Replayed events recognised, after a reconnect, as yielded before. */
  readonly duplicates: number;
  readonly reconnects: number;
  /** The most events ever waiting for the loop at once. */
  readonly peakBuffered: number;
}

/** What a monitor needs of its client: where, how long a handshake may take, and its headers (the key among them). */
export type SocketContext = Pick<ClientConfig, "baseUrl" | "timeoutMs" | "headers">;

const WHERE = "conversations.monitor";
const OPEN = 1;
const NORMAL = 1000;
/** How many events a connect replays, as documented ("about 100"): the window checked for repeats. */
const REPLAY = 100;

const MEANINGS: Record<number, string> = {
  401: "the API key was refused",
  403: "monitoring needs an enterprise workspace, a key with agents write scope and the EDITOR role, and monitoring on for the agent",
  404: "the conversation has not started yet, has already ended, or does not exist",
};

export function openMonitor(
  context: SocketContext,
  conversationId: string,
  options: MonitorOptions = {},
): ConversationMonitor {
  const id = requireId(WHERE, "conversationId", conversationId);
  const { signal, bufferLimit = 1000, eventsFormat, timeoutMs = context.timeoutMs } = options;
  if (!Number.isSafeInteger(bufferLimit) || bufferLimit < 1)
    throw new RangeError(`${WHERE}: bufferLimit must be a positive integer`);
  checkRequestOptions(WHERE, { signal, timeoutMs });
  const reconnect = options.reconnect === true ? {} : options.reconnect || undefined;
  const attempts = reconnect?.attempts ?? 5;
  const url = new URL(`${context.baseUrl}/v1/convai/conversations/${encodeURIComponent(id)}/monitor`);
  url.protocol = url.protocol === "http:" ? "ws:" : "wss:";
  if (eventsFormat) url.searchParams.set("events_format", eventsFormat);
  const path = url.pathname;

  const queue: MonitorEvent[] = [];
  let head = 0;
  let waiting:
    { resolve: (r: IteratorResult<MonitorEvent, undefined>) => void; reject: (e: unknown) => void } | undefined;
  let failure: unknown;
  let ended = false;
  let socket: MonitorSocket | undefined;
  let paused = false;
  const stats = { dropped: 0, duplicates: 0, reconnects: 0, peakBuffered: 0 };
  /** With reconnect, the last REPLAY events yielded (a ring), and after a reconnect the keys still expected as replays. */
  const recent: MonitorEvent[] = [];
  let recentAt = 0;
  let replays: Map<string, number> | undefined;
  let replayLeft = 0;

  const size = () => queue.length - head;
  let unlisten = () => {};
  const finish = (error?: unknown) => {
    if (ended) return;
    ended = true;
    failure = error;
    unlisten();
    socket?.close(NORMAL);
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      if (error === undefined) w.resolve({ done: true, value: undefined });
      else w.reject(error);
    }
  };
  const push = (event: MonitorEvent) => {
    if (ended) return;
    if (replays !== undefined && replayLeft > 0) {
      replayLeft--;
      const key = keyOf(event);
      const count = replays.get(key) ?? 0;
      if (count > 0) {
        replays.set(key, count - 1);
        stats.duplicates++;
        return;
      }
    }
    // The last REPLAY events, kept only to recognise a replay after a reconnect: a ring of
    // references, their keys computed only then.
    if (reconnect) {
      recent[recentAt] = event;
      recentAt = (recentAt + 1) % REPLAY;
    }
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      return w.resolve({ done: false, value: event });
    }
    queue.push(event);
    if (size() > bufferLimit) {
      if (socket?.pause && !paused) {
        socket.pause();
        paused = true;
      } else if (!socket?.pause) {
        head++;
        stats.dropped++;
      }
    }
    stats.peakBuffered = Math.max(stats.peakBuffered, size());
  };

  let implementation: WebSocketConstructor | undefined; // looked up on the first connect, kept for reconnects
  const connect = async (again: boolean): Promise<void> => {
    const WebSocket = (implementation ??= options.WebSocket ?? (await defaultWebSocket()));
    const headers = { ...context.headers }; // a copy: an implementation may add its own to it
    await new Promise<void>((resolve, reject) => {
      let opened = false;
      let refused = false;
      const s = new WebSocket(url.href, { headers });
      socket = s;
      const clearTimer = setTimer(timeoutMs, () => {
        if (opened) return;
        refused = true;
        s.close();
        reject(new ConvaiTimeoutError({ method: "GET", path, operation: WHERE, timeoutMs }));
      });
      /** The handshake failed: with its status where the runtime tells it (`ws` does). */
      const refuse = (status: number | undefined) => {
        if (opened || refused) return;
        refused = true;
        clearTimer();
        if (again && status === 404) return resolve(finish()); // the conversation ended meanwhile
        if (again && status === undefined) {
          return reject(
            new ConvaiConnectionError({ method: "GET", path, operation: WHERE, reason: "could not connect again" }),
          );
        }
        const meaning = status === undefined ? undefined : MEANINGS[status];
        reject(
          new ConvaiMonitorError(
            "handshake_refused",
            `${WHERE}: the monitoring socket refused the connection` +
              (status === undefined
                ? " (401, 403 or 404; this runtime does not say which)"
                : ` with ${status}${meaning ? `: ${meaning}` : ""}`),
            status,
          ),
        );
      };
      const unexpected = (request: { destroy(): void }, response: { statusCode?: number }) => {
        request.destroy();
        refuse(response.statusCode);
      };
      s.on?.("unexpected-response", unexpected);
      s.addEventListener("open", () => {
        opened = true;
        clearTimer();
        resolve();
      });
      const onMessage = (data: unknown) => {
        let event: unknown;
        try {
          event = JSON.parse(typeof data === "string" ? data : String(data));
        } catch {
          return; // not JSON: nothing a loop could use
        }
        if (event !== null && typeof event === "object" && !Array.isArray(event)) {
          const typed = event as { type?: unknown };
          push((typeof typed.type === "string" ? event : { ...event, type: "unknown" }) as MonitorEvent);
        }
      };
      // ws hands the frame over directly; the WHATWG interface wraps each in an event object.
      if (s.on) s.on("message", onMessage);
      else s.addEventListener("message", (message: { data: unknown }) => onMessage(message.data));
      s.addEventListener("error", () => {}); // the close that follows says what happened
      s.addEventListener("close", (event: { code: number }) => {
        clearTimer();
        if (s !== socket) return;
        if (!opened) return refuse(undefined);
        if (ended) return;
        if (event.code === NORMAL) return finish(); // the conversation ended
        const lost = new ConvaiConnectionError({
          method: "GET",
          path,
          operation: WHERE,
          reason: `the monitoring socket closed abnormally (code ${event.code})`,
        });
        if (!reconnect) return finish(lost);
        void again_(lost);
      });
    });
  };

  /** Connects again with backoff, marking the last events yielded as the replay to expect. */
  const again_ = async (lost: ConvaiConnectionError) => {
    replays = new Map();
    for (const event of recent) {
      const key = keyOf(event);
      replays.set(key, (replays.get(key) ?? 0) + 1);
    }
    for (let attempt = 0; attempt < attempts && !ended; attempt++) {
      try {
        await sleep(Math.min((reconnect?.delayMs ?? 250) * 2 ** attempt, 5_000), signal);
        replayLeft = REPLAY;
        await connect(true);
        stats.reconnects++;
        return;
      } catch (error) {
        if (signal?.aborted) return finish(signal.reason);
        if (error instanceof ConvaiMonitorError) return finish(error);
      }
    }
    finish(lost);
  };

  const opening = connect(false).catch((error: unknown) => {
    finish(error);
    throw error;
  });
  opening.catch(() => {}); // surfaced through ready(), the loop and send()
  unlisten = onAbort(signal, finish);

  const send = async (command: MonitorCommand) => {
    checkCommand(command);
    await opening;
    if (ended || socket?.readyState !== OPEN) {
      throw new ConvaiMonitorError("closed", `${WHERE}: the monitor is closed; ${command.command_type} was not sent`);
    }
    socket.send(JSON.stringify(command));
  };
  const withText = (name: string, text: unknown) => {
    if (typeof text !== "string" || text === "") throw new TypeError(`${WHERE}: ${name} must be a non-empty string`);
    return text;
  };
  const monitor: ConversationMonitor = {
    conversationId: id,
    ready: () => opening,
    send,
    endCall: () => send({ command_type: "end_call" }),
    transferToNumber: (phone) =>
      send({ command_type: "transfer_to_number", parameters: { phone_number: withText("phoneNumber", phone) } }),
    contextualUpdate: (text) =>
      send({ command_type: "contextual_update", parameters: { contextual_update: withText("text", text) } }),
    enableHumanTakeover: () => send({ command_type: "enable_human_takeover" }),
    disableHumanTakeover: () => send({ command_type: "disable_human_takeover" }),
    sendHumanMessage: (text) =>
      send({ command_type: "send_human_message", parameters: { text: withText("text", text) } }),
    async close() {
      finish();
    },
    [Symbol.asyncDispose]: async () => finish(),
    get dropped() {
      return stats.dropped;
    },
    get duplicates() {
      return stats.duplicates;
    },
    get reconnects() {
      return stats.reconnects;
    },
    get peakBuffered() {
      return stats.peakBuffered;
    },
    [Symbol.asyncIterator]() {
      return {
        next(): Promise<IteratorResult<MonitorEvent, undefined>> {
          if (size() > 0) {
            const value = queue[head++]!;
            if (head > 1024 && head * 2 > queue.length) (queue.splice(0, head), (head = 0));
            if (paused && size() <= bufferLimit / 2) ((paused = false), socket?.resume?.());
            return Promise.resolve({ done: false, value });
          }
          if (ended)
            return failure === undefined ? Promise.resolve({ done: true, value: undefined }) : Promise.reject(failure);
          return new Promise((resolve, reject) => (waiting = { resolve, reject }));
        },
        async return(): Promise<IteratorResult<MonitorEvent, undefined>> {
          finish(); // a `break` closes the monitor
          return { done: true, value: undefined };
        },
      };
    },
  };
  return monitor;
}

/** An event's identity for recognising a replay: its `event_id` where the payload has one, else its content. */
function keyOf(event: MonitorEvent): string {
  for (const value of Object.values(event)) {
    const id = (value as { event_id?: unknown } | null)?.event_id;
    if (typeof id === "number" || typeof id === "string") return `${event.type}#${id}`;
  }
  return JSON.stringify(event);
}

function checkCommand(command: MonitorCommand): void {
  const type = (command as { command_type?: unknown } | null)?.command_type;
  if (typeof type !== "string" || type === "") {
    throw new TypeError(`${WHERE}: a command is an object with a command_type, such as { command_type: "end_call" }`);
  }
}

/**
 * The runtime's WebSocket where it can send headers (Deno, Bun, Node ≥ 22), else `ws`, imported
 * by a name bundlers do not follow, so it is never in this entry's bundle.
 */
async function defaultWebSocket(): Promise<WebSocketConstructor> {
  const g = globalThis as {
    WebSocket?: unknown;
    Deno?: unknown;
    Bun?: unknown;
    process?: { versions?: { node?: string } };
  };
  const node = Number(g.process?.versions?.node?.split(".")[0]);
  if (typeof g.WebSocket === "function" && (g.Deno || g.Bun)) return g.WebSocket as WebSocketConstructor;
  const name = "ws";
  try {
    const ws = (await import(/* @vite-ignore */ /* webpackIgnore: true */ name)) as {
      default?: unknown;
      WebSocket?: unknown;
    };
    return (ws.WebSocket ?? ws.default) as WebSocketConstructor;
  } catch (error) {
    if (typeof g.WebSocket === "function" && node >= 22) return g.WebSocket as WebSocketConstructor;
    throw new ConvaiMonitorError(
      "unsupported_runtime",
      `${WHERE}: no WebSocket here can send the key header: npm install ws, or pass options.WebSocket`,
    );
  }
}

/**
 * Matches a monitor event by `type`; `_` takes the rest, including kinds the AsyncAPI document
 * does not list (such as `agent_tool_response`).
 *
 * @example
 * matchMonitorEvent(event, { user_transcript: (e) => print("user", e.user_transcription_event.user_transcript), _: () => {} });
 */
export const matchMonitorEvent = /* @__PURE__ */ matchBy<KnownMonitorEvent, "type", UnknownMonitorEvent>(
  "type",
  "matchMonitorEvent",
);

/**
 * Whether a monitor event has the given `type` (or one of them).
 *
 * @example
 * if (isMonitorEvent("agent_response", event)) console.log(event.agent_response_event.agent_response);
 */
export const isMonitorEvent = /* @__PURE__ */ isBy<KnownMonitorEvent, "type", UnknownMonitorEvent>("type");
