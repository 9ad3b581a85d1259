/**
 * `monitorConversation(convai, id)`: the real-time monitoring socket of a live conversation as an
 * async iterable of typed events, with its control commands. A function of its own rather than a
 * method of the client, so a program that never watches a live call does not bundle it.
 *
 * Three parts, each with its own tests:
 * - ./connection.ts: the handshake, heartbeat, reconnects and close;
 * - ./replay.ts: after a reconnect, drops the replayed events already received (and only those);
 * - ./queue.ts: holds events for a loop that fell behind, within a bound.
 * This file checks the options, turns frames into events, and hands them to the loop.
 */
import { onAbort } from "../../core/abort.ts";
import { ConvaiConnectionError, ConvaiMonitorError } from "../../core/errors.ts";
import { sanitizeCause } from "../../core/redact.ts";
import { checkRequestOptions, describe, requireId } from "../../core/input.ts";
import type { MonitorCommand, MonitorEvent } from "../../types.ts";
import { type ConvaiClientLike, contextOf } from "../context.ts";
import { Connection, type MonitorSocket, type WebSocketConstructor } from "./connection.ts";
import { EventQueue } from "./queue.ts";
import { ReplayFilter } from "./replay.ts";
import { defaultWebSocket } from "./runtime.ts";

export type { MonitorSocket, WebSocketConstructor };
export { isMonitorEvent, matchMonitorEvent } from "./events.ts";

export interface MonitorOptions {
  /** Closes the monitor; the loop rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * After an abnormal close, connect again (with backoff: `delayMs`, doubled each attempt, at most
   * 5 s) while the conversation is live, and drop the replayed events already received.
   * `true` is `{ attempts: 5, delayMs: 250 }`.
   * @default false
   */
  reconnect?: boolean | { attempts?: number; delayMs?: number };
  /**
   * Events held for a loop that fell behind. At this many, reading pauses where the socket can
   * pause (`ws`; what it had already read still arrives, about one socket read, 64 KB); where it
   * cannot, the oldest are dropped and counted in `dropped`. Memory stays bounded either way.
   * @default 1000
   */
  bufferLimit?: number;
  /**
   * The heartbeat: where the socket can ping (`ws`), a ping this often, and a connection that
   * answered nothing for a whole interval is lost (then reconnected, or the loop fails). Where it
   * cannot ping, a connection silent that long is lost, but only when this option is given (a quiet
   * call is silent too). 0 turns it off.
   * @default 30000
   */
  heartbeatMs?: number;
  /** The WebSocket implementation to use; by default the runtime's own where it can send headers, else `ws`. */
  WebSocket?: WebSocketConstructor;
  /** `"opentelemetry"`: frames are OTLP JSON span batches (they arrive as untyped events). */
  eventsFormat?: "opentelemetry";
  /** Time allowed for each handshake. @default the client's `timeoutMs` */
  timeoutMs?: number;
}

/**
 * `Symbol.asyncDispose`'s type where the program's `lib` declares it (esnext, es2025 or
 * @types/node), else nothing: the monitor then has no such key in its type, and a browser or worker
 * project without those libs type-checks with `skipLibCheck: false` (no TS2550).
 */
type AsyncDisposeKey = SymbolConstructor extends { readonly asyncDispose: infer S extends symbol } ? S : never;

/** `await using monitor = …` where the runtime and `lib` support it. */
export type AsyncDisposableMonitor = { [K in AsyncDisposeKey]: () => Promise<void> };

/** A live conversation's monitor: `for await` its events, send commands, close it. */
export interface ConversationMonitor extends AsyncIterable<MonitorEvent>, AsyncDisposableMonitor {
  [Symbol.asyncIterator](): AsyncIterator<MonitorEvent, undefined>;
  readonly conversationId: string;
  /** Resolves once connected; rejects with the handshake's error, or the abort's reason. */
  ready(): Promise<void>;
  send(command: MonitorCommand): Promise<void>;
  endCall(): Promise<void>;
  transferToNumber(phoneNumber: string): Promise<void>;
  contextualUpdate(text: string): Promise<void>;
  enableHumanTakeover(): Promise<void>;
  disableHumanTakeover(): Promise<void>;
  sendHumanMessage(text: string): Promise<void>;
  /**
   * Ends the monitor; the loop ends normally. Resolves once the socket is closed (terminated if
   * its closing handshake takes more than 2 s). Calling it again does nothing more.
   */
  close(): Promise<void>;
  /** Events dropped because the loop fell more than `bufferLimit` behind a socket that cannot pause. */
  readonly dropped: number;
  /** Replayed events recognised, after a reconnect, as received before. */
  readonly duplicates: number;
  readonly reconnects: number;
  /** The most events ever waiting for the loop at once. */
  readonly peakBuffered: number;
}

const WHERE = "monitorConversation";
const DEFAULT_ATTEMPTS = 5;
const DEFAULT_DELAY_MS = 250;
const DEFAULT_HEARTBEAT_MS = 30_000;

/**
 * Watches a live conversation on the real-time monitoring socket: an async iterable of its events,
 * with control commands (`endCall()`, `transferToNumber()`, …). Needs an enterprise workspace and
 * monitoring enabled for the agent; a server feature (the key goes in a header).
 *
 * @example
 * await using monitor = monitorConversation(convai, conversationId, { reconnect: true });
 * for await (const event of monitor) {
 *   if (isMonitorEvent("user_transcript", event)) console.log(event.user_transcription_event.user_transcript);
 * }
 */
export function monitorConversation(
  convai: ConvaiClientLike,
  conversationId: string,
  options: MonitorOptions = {},
): ConversationMonitor {
  const context = contextOf(WHERE, convai);
  const id = requireId(WHERE, "conversationId", conversationId);
  const o = checkOptions(options);
  const url = new URL(`${context.baseUrl}/v1/convai/conversations/${encodeURIComponent(id)}/monitor`);
  url.protocol = url.protocol === "http:" ? "ws:" : "wss:";
  if (o.eventsFormat) url.searchParams.set("events_format", o.eventsFormat);

  const queue = new EventQueue<MonitorEvent>(o.bufferLimit);
  const replay = o.reconnect ? new ReplayFilter() : undefined;
  /** The loop's reads waiting for an event, first come first served (a loop may ask twice without waiting). */
  const waiting: { resolve: (r: IteratorResult<MonitorEvent, undefined>) => void; reject: (e: unknown) => void }[] = [];
  let failure: unknown;
  let done = false;
  let unlisten = noop;

  const onFrame = (text: string, socket: MonitorSocket) => {
    if (replay?.isReplay(text)) return;
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch {
      return; // not JSON: nothing a loop could use
    }
    if (event === null || typeof event !== "object" || Array.isArray(event)) return;
    const typed = (
      typeof (event as { type?: unknown }).type === "string" ? event : { ...event, type: "unknown" }
    ) as MonitorEvent;
    const reader = waiting.shift();
    if (reader) return reader.resolve({ done: false, value: typed });
    queue.push(typed, socket);
  };

  const connection = new Connection({
    where: WHERE,
    url: url.href,
    headers: context.headers,
    secret: context.apiKey,
    WebSocket: async () => o.WebSocket ?? (await defaultWebSocket(WHERE)),
    timeoutMs: o.timeoutMs ?? context.timeoutMs,
    reconnect: o.reconnect,
    heartbeatMs: o.heartbeatMs,
    idleCheck: options.heartbeatMs !== undefined,
    onFrame,
    onReconnect: () => replay?.expectReplay(),
    onEnd: (error) => {
      done = true;
      failure = error;
      unlisten();
      for (const reader of waiting.splice(0)) {
        if (error === undefined) reader.resolve({ done: true, value: undefined });
        else reader.reject(error);
      }
    },
  });
  // An already-aborted signal ends the connection before it starts: no socket is ever made.
  unlisten = onAbort(o.signal, (reason) => void connection.end(reason));
  const close = () => connection.end();

  const send = async (command: MonitorCommand) => {
    checkCommand(command);
    await connection.ready;
    const socket = connection.socket;
    if (connection.ended || socket === undefined) {
      const state = connection.ended ? "the monitor is closed" : "the monitor is not connected (reconnecting)";
      throw new ConvaiMonitorError("closed", `${WHERE}: ${state}; ${command.command_type} was not sent`);
    }
    try {
      socket.send(JSON.stringify(command));
    } catch (error) {
      const cause = sanitizeCause(error, context.apiKey);
      throw new ConvaiConnectionError({
        operation: WHERE,
        message: `${WHERE}: ${command.command_type} was not sent: ${cause.message}`,
        cause,
      });
    }
  };
  const withText = (name: string, text: unknown) => {
    if (typeof text !== "string" || text === "") throw new TypeError(`${WHERE}: ${name} must be a non-empty string`);
    return text;
  };
  const monitor = {
    conversationId: id,
    ready: () => connection.ready,
    send,
    endCall: () => send({ command_type: "end_call" }),
    transferToNumber: (phone: string) =>
      send({ command_type: "transfer_to_number", parameters: { phone_number: withText("phoneNumber", phone) } }),
    contextualUpdate: (text: string) =>
      send({ command_type: "contextual_update", parameters: { contextual_update: withText("text", text) } }),
    enableHumanTakeover: () => send({ command_type: "enable_human_takeover" }),
    disableHumanTakeover: () => send({ command_type: "disable_human_takeover" }),
    sendHumanMessage: (text: string) =>
      send({ command_type: "send_human_message", parameters: { text: withText("text", text) } }),
    close,
    get dropped() {
      return queue.dropped;
    },
    get duplicates() {
      return replay?.duplicates ?? 0;
    },
    get reconnects() {
      return connection.reconnects;
    },
    get peakBuffered() {
      return queue.peak;
    },
    [Symbol.asyncIterator]() {
      return {
        next(): Promise<IteratorResult<MonitorEvent, undefined>> {
          if (queue.size > 0) return Promise.resolve({ done: false, value: queue.shift()! });
          if (done)
            return failure === undefined ? Promise.resolve({ done: true, value: undefined }) : Promise.reject(failure);
          return new Promise((resolve, reject) => void waiting.push({ resolve, reject }));
        },
        async return(): Promise<IteratorResult<MonitorEvent, undefined>> {
          await close(); // a `break` closes the monitor
          return { done: true, value: undefined };
        },
      };
    },
  };
  // Only where the runtime has the symbol (Node 20 has it; older engines do not).
  const dispose = (Symbol as { asyncDispose?: symbol }).asyncDispose;
  if (dispose !== undefined) Object.defineProperty(monitor, dispose, { value: close });
  return monitor as ConversationMonitor;
}

interface Checked {
  signal: AbortSignal | undefined;
  reconnect: { attempts: number; delayMs: number } | undefined;
  bufferLimit: number;
  heartbeatMs: number;
  WebSocket: WebSocketConstructor | undefined;
  eventsFormat: "opentelemetry" | undefined;
  timeoutMs: number | undefined;
}

/** Every option checked before anything connects: a TypeError or RangeError naming it. */
function checkOptions(options: MonitorOptions): Checked {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${WHERE}: options must be an object, got ${describe(options)}`);
  }
  const {
    signal,
    bufferLimit = 1000,
    eventsFormat,
    timeoutMs,
    WebSocket,
    heartbeatMs = DEFAULT_HEARTBEAT_MS,
  } = options;
  checkRequestOptions(WHERE, { signal, timeoutMs });
  integer("bufferLimit", bufferLimit, 1);
  if (
    typeof heartbeatMs !== "number" ||
    !Number.isFinite(heartbeatMs) ||
    heartbeatMs < 0 ||
    heartbeatMs > 2_147_483_647
  ) {
    throw new RangeError(
      `${WHERE}: heartbeatMs must be a number of milliseconds (0: off), got ${describe(heartbeatMs)}`,
    );
  }
  if (WebSocket !== undefined && typeof WebSocket !== "function") {
    throw new TypeError(`${WHERE}: WebSocket must be a WebSocket constructor, got ${describe(WebSocket)}`);
  }
  if (eventsFormat !== undefined && eventsFormat !== "opentelemetry") {
    throw new TypeError(`${WHERE}: eventsFormat must be "opentelemetry" or left out, got ${describe(eventsFormat)}`);
  }
  const raw: unknown = options.reconnect;
  let reconnect: Checked["reconnect"];
  if (raw === true) reconnect = { attempts: DEFAULT_ATTEMPTS, delayMs: DEFAULT_DELAY_MS };
  else if (raw !== undefined && raw !== false) {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      throw new TypeError(`${WHERE}: reconnect must be true, false or { attempts, delayMs }, got ${describe(raw)}`);
    }
    const { attempts = DEFAULT_ATTEMPTS, delayMs = DEFAULT_DELAY_MS } = raw as {
      attempts?: unknown;
      delayMs?: unknown;
    };
    integer("reconnect.attempts", attempts, 0);
    if (typeof delayMs !== "number" || !Number.isFinite(delayMs) || delayMs < 0 || delayMs > 2_147_483_647) {
      throw new RangeError(`${WHERE}: reconnect.delayMs must be a number of milliseconds, got ${describe(delayMs)}`);
    }
    reconnect = { attempts: attempts as number, delayMs };
  }
  return {
    signal,
    reconnect,
    bufferLimit,
    heartbeatMs,
    WebSocket,
    eventsFormat,
    timeoutMs,
  };
}

/** A safe integer of at least `min`: a TypeError for what is not a number, a RangeError for what is out of range. */
function integer(name: string, value: unknown, min: number): asserts value is number {
  if (typeof value !== "number") throw new TypeError(`${WHERE}: ${name} must be an integer, got ${describe(value)}`);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `${WHERE}: ${name} must be ${min === 0 ? "a non-negative" : "a positive"} integer, got ${describe(value)}`,
    );
  }
}

function checkCommand(command: MonitorCommand): void {
  const type = (command as { command_type?: unknown } | null)?.command_type;
  if (typeof type !== "string" || type === "") {
    throw new TypeError(`${WHERE}: a command is an object with a command_type, such as { command_type: "end_call" }`);
  }
}

function noop(): void {}
