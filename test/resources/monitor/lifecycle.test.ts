/**
 * The monitor's lifecycle against a WebSocket driven by hand (./fakes.ts), with fake
 * timers for everything timed: closing and aborting before and during the handshake, during a
 * reconnect's backoff, replays of any length, events that share an id, a socket that cannot pause,
 * the heartbeat, a close that gets no answer, errors of an injected WebSocket, and bad options.
 * Each case is a defect of issue 22 (items 1–9), and fails on the monitor before its fix.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { WebSocket as WS } from "ws";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ConvaiConnectionError,
  ConvaiMonitorError,
  createConvaiClient,
  monitorConversation,
  type ConversationMonitor,
  type MonitorEvent,
  type WebSocketConstructor,
} from "../../../src/index.ts";
import { KEY, everythingIn, rejectionOf } from "../../helpers.ts";
import { fakeSockets, last } from "./fakes.ts";
import { liveSession } from "./session.ts";

const convai = createConvaiClient({ apiKey: KEY, baseUrl: "https://api.test" });
const tick = () => vi.advanceTimersByTimeAsync(0);

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** Everything the loop yields until it ends (the monitor closed first). */
async function drain(monitor: ConversationMonitor): Promise<MonitorEvent[]> {
  const out: MonitorEvent[] = [];
  for await (const event of monitor) out.push(event);
  return out;
}

/** Reads `n` events. */
async function take(monitor: ConversationMonitor, n: number): Promise<MonitorEvent[]> {
  const iterator = monitor[Symbol.asyncIterator]();
  const out: MonitorEvent[] = [];
  while (out.length < n) {
    const next = await iterator.next();
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

const turn = (i: number) => ({ type: "user_transcript", user_transcription_event: { user_transcript: `turn ${i}` } });

describe("closing or aborting before the socket opened (item 1)", () => {
  it("close() right after monitorConversation() makes no socket", async () => {
    const Fake = fakeSockets();
    const monitor = monitorConversation(convai, "c", { WebSocket: Fake });
    await monitor.close();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(Fake.made).toHaveLength(0);
    expect(await monitor[Symbol.asyncIterator]().next()).toEqual({ done: true, value: undefined });
    expect(await rejectionOf(monitor.ready())).toMatchObject({ reason: "closed" });
  });

  it("an already-aborted signal makes no socket, and ready() rejects with its reason", async () => {
    const Fake = fakeSockets();
    const reason = new Error("not today");
    const monitor = monitorConversation(convai, "c", { WebSocket: Fake, signal: AbortSignal.abort(reason) });
    expect(await rejectionOf(monitor.ready())).toBe(reason);
    expect(Fake.made).toHaveLength(0);
    expect(await rejectionOf(monitor[Symbol.asyncIterator]().next())).toBe(reason);
  });
});

describe("closing during a reconnect's backoff (item 2)", () => {
  it("makes no further socket", async () => {
    vi.useFakeTimers();
    const Fake = fakeSockets();
    const monitor = monitorConversation(convai, "c", { WebSocket: Fake, reconnect: { delayMs: 1_000 } });
    await tick();
    last(Fake).open();
    await monitor.ready();
    last(Fake).drop(1006); // lost: the backoff starts
    await vi.advanceTimersByTimeAsync(500);
    await monitor.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(Fake.made).toHaveLength(1);
    expect(monitor.reconnects).toBe(0);
  });
});

/** A monitor that yielded `before`, was cut, and reconnected; the second socket is returned unopened. */
async function reconnected(before: unknown[]) {
  vi.useFakeTimers();
  const Fake = fakeSockets({ answersClose: true });
  const monitor = monitorConversation(convai, "c", { WebSocket: Fake, reconnect: { delayMs: 10 } });
  await tick();
  last(Fake).open();
  last(Fake).message(...before);
  const seen = await take(monitor, before.length);
  last(Fake).drop(1006);
  await vi.advanceTimersByTimeAsync(10);
  expect(Fake.made).toHaveLength(2);
  last(Fake).open();
  await tick();
  return { monitor, seen, socket: last(Fake) };
}

describe("the replay after a reconnect", () => {
  for (const length of [101, 120, 150, 1_000]) {
    it(`of ${length} events yields none of them again (item 3)`, async () => {
      const before = Array.from({ length }, (_, i) => turn(i));
      const { monitor, seen, socket } = await reconnected(before);
      expect(seen).toEqual(before);
      const after = Array.from({ length: 5 }, (_, i) => turn(length + i));
      socket.message(...before, ...after); // the whole history replayed, then new events
      await tick();
      await monitor.close();
      expect(await drain(monitor)).toEqual(after);
      expect(monitor.duplicates).toBe(length);
    });
  }

  it("keeps distinct events that share a type and event_id: only identical frames are replays (item 4)", async () => {
    const chunk = (i: number) => ({ type: "audio", audio_event: { event_id: 5, audio_base_64: `chunk ${i}` } });
    const before = Array.from({ length: 10 }, (_, i) => chunk(i));
    const { monitor, socket } = await reconnected(before);
    const after = Array.from({ length: 10 }, (_, i) => chunk(10 + i));
    socket.message(...before.slice(5), ...after); // the server kept only the last 5
    await tick();
    await monitor.close();
    expect(await drain(monitor)).toEqual(after);
    expect(monitor.duplicates).toBe(5);
  });

  it("yields an identical event again once the replay is over", async () => {
    const before = [turn(1), turn(2), { type: "agent_response", agent_response_event: { agent_response: "OK" } }];
    const { monitor, socket } = await reconnected(before);
    socket.message(...before);
    const fresh = Array.from({ length: 20 }, (_, i) => turn(100 + i));
    socket.message(...fresh, before[2]); // the agent says "OK" again, much later
    await tick();
    await monitor.close();
    expect(await drain(monitor)).toEqual([...fresh, before[2]]);
  });
});

/** A collector for `heapUsed`, after a full collection (Node's `gc`, reached without a flag on the command line). */
function heapAfterGc(): number {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
  return process.memoryUsage().heapUsed;
}

describe("a socket that cannot pause (item 5)", () => {
  it("keeps memory bounded by bufferLimit while the loop stalls: the oldest are dropped and counted", async () => {
    const Fake = fakeSockets();
    const monitor = monitorConversation(convai, "c", { WebSocket: Fake, bufferLimit: 1_000 });
    await new Promise((resolve) => setTimeout(resolve, 1));
    last(Fake).open();
    await monitor.ready();
    const frame = (i: number) =>
      `{"type":"agent_response","agent_response_event":{"agent_response":"a sentence of some length, number ${i}"}}`;
    const before = heapAfterGc();
    for (let i = 0; i < 100_000; i++) last(Fake).fire("message", { data: frame(i) });
    const grown = heapAfterGc() - before;
    // 1,000 events held is about 0.2 MB; the defect kept all 100,000 (+17 MB).
    expect(grown).toBeLessThan(5 * 1024 * 1024);
    expect(monitor.dropped).toBe(99_000);
    expect(monitor.peakBuffered).toBe(1_000);
    const first = await take(monitor, 1);
    expect(first[0]).toEqual(JSON.parse(frame(99_000))); // the newest 1,000 are kept
    await monitor.close();
  });
});

describe("a connection that goes silent (item 6)", () => {
  it("is found by the heartbeat (a ping where the socket can) and fails the loop", async () => {
    vi.useFakeTimers();
    const Fake = fakeSockets({ ping: true, terminate: true });
    const monitor = monitorConversation(convai, "c", { WebSocket: Fake, heartbeatMs: 1_000 });
    await tick();
    last(Fake).open();
    await monitor.ready();
    const next = monitor[Symbol.asyncIterator]().next();
    let settled = false;
    next.then(
      () => (settled = true),
      () => (settled = true),
    );
    await vi.advanceTimersByTimeAsync(1_000);
    expect(last(Fake).pings).toBe(1);
    expect(settled).toBe(false); // a ping is out; no answer is due yet
    await vi.advanceTimersByTimeAsync(1_000);
    const error = await rejectionOf(next);
    expect(error).toBeInstanceOf(ConvaiConnectionError);
    expect((error as Error).message).toMatch(/heartbeat/);
    expect(last(Fake).terminated).toBe(true);
  });

  it("where the socket cannot ping: silence is a lost connection only when heartbeatMs is given", async () => {
    vi.useFakeTimers();
    const Fake = fakeSockets({ answersClose: true });
    const quiet = monitorConversation(convai, "c", { WebSocket: Fake });
    const watched = monitorConversation(convai, "c", { WebSocket: Fake, heartbeatMs: 1_000 });
    await tick();
    for (const socket of Fake.made) socket.open();
    await Promise.all([quiet.ready(), watched.ready()]);
    const failure = rejectionOf(watched[Symbol.asyncIterator]().next());
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await failure).toBeInstanceOf(ConvaiConnectionError);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(Fake.made[0]!.readyState).toBe(1); // the default: a quiet call stays open
    await quiet.close();
  });

  it("stays open while the socket answers pings", async () => {
    vi.useFakeTimers();
    const Fake = fakeSockets({ ping: true, terminate: true, answersClose: true });
    const monitor = monitorConversation(convai, "c", { WebSocket: Fake, heartbeatMs: 1_000 });
    await tick();
    const socket = last(Fake);
    socket.open();
    await monitor.ready();
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(1_000);
      socket.message(turn(i)); // any frame counts as an answer
    }
    expect(socket.terminated).toBe(false);
    expect((await take(monitor, 10)).length).toBe(10);
    await monitor.close();
  });

  it("reconnects after a heartbeat gives up, when reconnect is on", async () => {
    vi.useFakeTimers();
    const Fake = fakeSockets({ ping: true, terminate: true, answersClose: true });
    const monitor = monitorConversation(convai, "c", { WebSocket: Fake, heartbeatMs: 1_000, reconnect: true });
    await tick();
    last(Fake).open();
    await monitor.ready();
    await vi.advanceTimersByTimeAsync(2_000 + 250);
    expect(Fake.made).toHaveLength(2);
    last(Fake).open();
    await tick();
    expect(monitor.reconnects).toBe(1);
    await monitor.close();
  });

  it("close() terminates a socket whose closing handshake gets no answer, after a short grace", async () => {
    vi.useFakeTimers();
    const Fake = fakeSockets({ terminate: true }); // close() is never answered
    const monitor = monitorConversation(convai, "c", { WebSocket: Fake });
    await tick();
    last(Fake).open();
    await monitor.ready();
    let closed = false;
    const closing = monitor.close().then(() => (closed = true));
    expect(last(Fake).closeCalls).toEqual([1000]);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    expect(last(Fake).terminated).toBe(true);
  });
});

describe("aborting or closing during the handshake (item 7)", () => {
  it("ready() rejects with the abort's reason, not handshake_refused", async () => {
    const Fake = fakeSockets({ answersClose: true });
    const controller = new AbortController();
    const monitor = monitorConversation(convai, "c", { WebSocket: Fake, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(Fake.made).toHaveLength(1); // connecting
    const reason = new Error("supervisor left");
    controller.abort(reason);
    expect(await rejectionOf(monitor.ready())).toBe(reason);
  });

  it("ready() rejects with a closed error when close() cuts the handshake short", async () => {
    const Fake = fakeSockets({ answersClose: true });
    const monitor = monitorConversation(convai, "c", { WebSocket: Fake });
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(Fake.made).toHaveLength(1);
    await monitor.close();
    const error = await rejectionOf(monitor.ready());
    expect(error).toBeInstanceOf(ConvaiMonitorError);
    expect(error).toMatchObject({ reason: "closed" });
    expect(await monitor[Symbol.asyncIterator]().next()).toEqual({ done: true, value: undefined });
  });
});

describe("errors of the WebSocket (item 8)", () => {
  it("a constructor that throws becomes a typed error without the key, its cause sanitized", async () => {
    const thrown = Object.assign(new Error(`refused header xi-api-key: ${KEY}`), { config: { headers: { key: KEY } } });
    const Fake = fakeSockets({ throws: thrown });
    const error = await rejectionOf(monitorConversation(convai, "c", { WebSocket: Fake }).ready());
    expect(error).toBeInstanceOf(ConvaiConnectionError);
    expect(everythingIn(error)).not.toContain(KEY);
    expect((error as Error).cause).not.toBe(thrown);
    expect((error as Error).message).toMatch(/monitorConversation: the WebSocket could not be made: refused header/);
  });

  it("a frame refused as too large reports close code 1009", async () => {
    const { emulator, convai: client, id: conversationId } = await liveSession({ conversations: 1 });
    try {
      class Small extends WS {
        constructor(url: string, options: { headers: Record<string, string> }) {
          super(url, { ...options, maxPayload: 1_000 });
        }
      }
      const monitor = monitorConversation(client, conversationId!, {
        WebSocket: Small as unknown as WebSocketConstructor,
      });
      await monitor.ready();
      const next = monitor[Symbol.asyncIterator]().next();
      emulator.monitorEmit(conversationId!, turn(1), {
        type: "agent_response",
        agent_response_event: { agent_response: "x".repeat(5_000) },
      } as MonitorEvent);
      expect(await next).toEqual({ done: false, value: turn(1) });
      const error = await rejectionOf(monitor[Symbol.asyncIterator]().next());
      expect(error).toBeInstanceOf(ConvaiConnectionError);
      expect((error as Error).message).toMatch(/too large \(1009\)/);
    } finally {
      await emulator.close();
    }
  });
});

describe("options, checked before any socket (item 9)", () => {
  const rows: [string, object, ErrorConstructor, RegExp][] = [
    [
      "reconnect.attempts -1",
      { reconnect: { attempts: -1 } },
      RangeError,
      /reconnect\.attempts must be a non-negative integer, got -1/,
    ],
    ["reconnect.attempts NaN", { reconnect: { attempts: NaN } }, RangeError, /reconnect\.attempts .* got NaN/],
    [
      "reconnect.attempts Infinity",
      { reconnect: { attempts: Infinity } },
      RangeError,
      /reconnect\.attempts .* got Infinity/,
    ],
    ["reconnect.attempts 1.5", { reconnect: { attempts: 1.5 } }, RangeError, /reconnect\.attempts/],
    [
      "reconnect.attempts '3'",
      { reconnect: { attempts: "3" } },
      TypeError,
      /reconnect\.attempts must be an integer, got "3"/,
    ],
    [
      "reconnect.delayMs NaN",
      { reconnect: { delayMs: NaN } },
      RangeError,
      /reconnect\.delayMs must be a number of milliseconds, got NaN/,
    ],
    ["reconnect.delayMs -1", { reconnect: { delayMs: -1 } }, RangeError, /reconnect\.delayMs/],
    [
      "reconnect 'yes'",
      { reconnect: "yes" },
      TypeError,
      /reconnect must be true, false or \{ attempts, delayMs \}, got "yes"/,
    ],
    ["reconnect null", { reconnect: null }, TypeError, /reconnect must be/],
    [
      "eventsFormat object",
      { eventsFormat: { a: 1 } },
      TypeError,
      /eventsFormat must be "opentelemetry" or left out, got an object/,
    ],
    ["eventsFormat 'json'", { eventsFormat: "json" }, TypeError, /eventsFormat/],
    ["WebSocket 'x'", { WebSocket: "x" }, TypeError, /WebSocket must be a WebSocket constructor, got "x"/],
    ["bufferLimit '5'", { bufferLimit: "5" }, TypeError, /bufferLimit must be an integer/],
    ["bufferLimit Infinity", { bufferLimit: Infinity }, RangeError, /bufferLimit must be a positive integer/],
    ["heartbeatMs -1", { heartbeatMs: -1 }, RangeError, /heartbeatMs must be a number of milliseconds/],
    ["heartbeatMs NaN", { heartbeatMs: NaN }, RangeError, /heartbeatMs/],
  ];
  for (const [name, options, type, message] of rows) {
    it(`refuses ${name}`, () => {
      const Fake = fakeSockets();
      const make = () => monitorConversation(convai, "c", { WebSocket: Fake, ...options } as never);
      expect(make).toThrow(type);
      expect(make).toThrow(/^monitorConversation: /);
      expect(make).toThrow(message);
      expect(Fake.made).toEqual([]);
    });
  }

  it("refuses null options, and what is not a client", () => {
    expect(() => monitorConversation(convai, "c", null as never)).toThrow(
      /monitorConversation: options must be an object, got null/,
    );
    expect(() => monitorConversation({} as never, "c")).toThrow(
      /monitorConversation: convai must be a client made by createConvaiClient/,
    );
    expect(() => monitorConversation(convai.conversations as never, "c")).toThrow(TypeError);
  });
});

describe("the loop and the commands, at the edges", () => {
  it("answers two reads asked for at once, in order", async () => {
    const Fake = fakeSockets({ answersClose: true });
    const monitor = monitorConversation(convai, "c", { WebSocket: Fake });
    await new Promise((resolve) => setTimeout(resolve, 1));
    last(Fake).open();
    await monitor.ready();
    const iterator = monitor[Symbol.asyncIterator]();
    const reads = [iterator.next(), iterator.next(), iterator.next()];
    last(Fake).message(turn(1), turn(2));
    await monitor.close();
    expect(await Promise.all(reads)).toEqual([
      { done: false, value: turn(1) },
      { done: false, value: turn(2) },
      { done: true, value: undefined },
    ]);
  });

  it("refuses a command while reconnecting, saying so, and types a socket's own send error without the key", async () => {
    vi.useFakeTimers();
    const Fake = fakeSockets({ answersClose: true });
    const monitor = monitorConversation(convai, "c", { WebSocket: Fake, reconnect: { delayMs: 1_000 } });
    await tick();
    last(Fake).open();
    await monitor.ready();
    last(Fake).send = () => {
      throw new Error(`send failed for ${KEY}`);
    };
    const failed = await rejectionOf(monitor.endCall());
    expect(failed).toBeInstanceOf(ConvaiConnectionError);
    expect(everythingIn(failed)).not.toContain(KEY);
    last(Fake).drop(1006);
    const error = await rejectionOf(monitor.endCall());
    expect(error).toMatchObject({ reason: "closed" });
    expect((error as Error).message).toMatch(/not connected \(reconnecting\); end_call was not sent/);
    await monitor.close();
  });
});
