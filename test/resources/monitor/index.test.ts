/**
 * The monitoring socket against the emulator over loopback: every command's wire JSON, every
 * event narrowed, unknown events, replays dropped across a forced reconnect, refused handshakes,
 * abort and close, and 10,000 events through one socket within a bounded buffer.
 */
import { getEventListeners } from "node:events";
import { WebSocket as WS } from "ws";
import { afterEach, describe, expect, it } from "vitest";
import {
  ConvaiConnectionError,
  ConvaiMonitorError,
  ConvaiUnknownVariantError,
  createConvaiClient,
  isMonitorEvent,
  matchMonitorEvent,
  monitorConversation,
  type ConvaiClient,
  type MonitorEvent,
  type WebSocketConstructor,
} from "../../../src/index.ts";
import type { Emulator, EmulatorOptions } from "../../../src/testing/index.ts";
import { everythingIn, rejectionOf } from "../../helpers.ts";
import { liveSession } from "./session.ts";

const open: Emulator[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});

/** An emulator with one session in progress (for a minute unless told otherwise), and a client. */
async function live(options: EmulatorOptions = {}): Promise<{ emulator: Emulator; convai: ConvaiClient; id: string }> {
  const session = await liveSession(options);
  open.push(session.emulator);
  return session;
}

const until = async (check: () => boolean, ms = 60_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

/** Reads `n` events from an iterator. */
async function take(iterator: AsyncIterator<MonitorEvent>, n: number): Promise<MonitorEvent[]> {
  const out: MonitorEvent[] = [];
  while (out.length < n) {
    const next = await iterator.next();
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

const KNOWN: MonitorEvent[] = [
  {
    type: "conversation_initiation_metadata",
    conversation_initiation_metadata_event: { conversation_id: "c", agent_output_audio_format: "pcm_16000" },
  },
  { type: "user_transcript", user_transcription_event: { user_transcript: "hello" } },
  { type: "agent_response", agent_response_event: { agent_response: "hi there" } },
  {
    type: "agent_response_correction",
    agent_response_correction_event: { original_agent_response: "hi there", corrected_agent_response: "hi" },
  },
  { type: "interruption", interruption_event: { event_id: 7 } },
  { type: "client_tool_call", client_tool_call: { tool_name: "lookup", tool_call_id: "t1", parameters: { a: 1 } } },
  { type: "contextual_update", text: "on the pricing page" },
  {
    type: "internal_tentative_agent_response",
    tentative_agent_response_internal_event: { tentative_agent_response: "h" },
  },
];

describe("the monitoring socket", () => {
  it("sends every command as the documented JSON", async () => {
    const { emulator, convai, id } = await live();
    const monitor = monitorConversation(convai, id);
    await monitor.ready();
    await monitor.contextualUpdate("VIP caller");
    await monitor.transferToNumber("+15550100");
    await monitor.enableHumanTakeover();
    await monitor.sendHumanMessage("A person here");
    await monitor.disableHumanTakeover();
    await monitor.send({ command_type: "contextual_update", parameters: { contextual_update: "raw" } });
    await monitor.endCall();
    await until(() => emulator.monitorCommands.length === 7);
    expect(emulator.monitorCommands.map((c) => c.command)).toEqual([
      { command_type: "contextual_update", parameters: { contextual_update: "VIP caller" } },
      { command_type: "transfer_to_number", parameters: { phone_number: "+15550100" } },
      { command_type: "enable_human_takeover" },
      { command_type: "send_human_message", parameters: { text: "A person here" } },
      { command_type: "disable_human_takeover" },
      { command_type: "contextual_update", parameters: { contextual_update: "raw" } },
      { command_type: "end_call" },
    ]);
    expect(emulator.monitorCommands.every((c) => c.conversationId === id)).toBe(true);
  });

  it("narrows every event type, hands unknown ones to _, and throws without _", async () => {
    const { emulator, convai, id } = await live();
    const monitor = monitorConversation(convai, id);
    await monitor.ready();
    const unknown = { type: "agent_tool_response", agent_tool_response: { tool_name: "x", is_error: true } };
    emulator.monitorEmit(id, ...KNOWN, unknown);
    const events = await take(monitor[Symbol.asyncIterator](), KNOWN.length + 1);
    const seen = events.map((event) =>
      matchMonitorEvent(event, {
        conversation_initiation_metadata: (e) => `start ${e.conversation_initiation_metadata_event?.conversation_id}`,
        user_transcript: (e) => `user ${e.user_transcription_event?.user_transcript}`,
        agent_response: (e) => `agent ${e.agent_response_event?.agent_response}`,
        agent_response_correction: (e) => `corrected ${e.agent_response_correction_event?.corrected_agent_response}`,
        interruption: (e) => `interrupted ${e.interruption_event?.event_id}`,
        client_tool_call: (e) => `tool ${e.client_tool_call?.tool_name}`,
        contextual_update: (e) => `context ${e.text}`,
        internal_tentative_agent_response: (e) =>
          `tentative ${e.tentative_agent_response_internal_event?.tentative_agent_response}`,
        _: (e) => `other ${e.type}`,
      }),
    );
    expect(seen).toEqual([
      "start c",
      "user hello",
      "agent hi there",
      "corrected hi",
      "interrupted 7",
      "tool lookup",
      "context on the pricing page",
      "tentative h",
      "other agent_tool_response",
    ]);
    expect(() => matchMonitorEvent(events.at(-1)!, { user_transcript: () => 1 } as never)).toThrow(
      ConvaiUnknownVariantError,
    );
    expect(events.filter(isMonitorEvent(["user_transcript", "agent_response"]))).toHaveLength(2);
    await monitor.close();
  });

  it("replays history on connect, and after a forced reconnect yields each event once", async () => {
    const { emulator, convai, id } = await live({ monitor: { scripted: false, shuffleReplay: true } });
    const early = Array.from({ length: 20 }, (_, i) => ({
      type: "user_transcript",
      user_transcription_event: { user_transcript: `early ${i}` },
    }));
    emulator.monitorEmit(id, ...(early as MonitorEvent[]));
    const monitor = monitorConversation(convai, id, { reconnect: { delayMs: 20 } });
    const iterator = monitor[Symbol.asyncIterator]();
    const history = await take(iterator, 20); // the replay of a first connect is history: all yielded
    expect(new Set(history.map((e) => JSON.stringify(e)))).toEqual(new Set(early.map((e) => JSON.stringify(e))));
    const middle = Array.from({ length: 30 }, (_, i) => ({
      type: "interruption",
      interruption_event: { event_id: 100 + i },
    }));
    emulator.monitorEmit(id, ...(middle as MonitorEvent[]));
    const before = await take(iterator, 30);
    expect(emulator.cutMonitors(id)).toBe(1);
    await until(() => monitor.reconnects === 1 && emulator.monitorConnections(id) === 1);
    const late = Array.from({ length: 10 }, (_, i) => ({
      type: "agent_response",
      agent_response_event: { agent_response: `late ${i}` },
    }));
    emulator.monitorEmit(id, ...(late as MonitorEvent[]));
    const after = await take(iterator, 10);
    const all = [...history, ...before, ...after].map((e) => JSON.stringify(e));
    expect(all).toHaveLength(60);
    expect(new Set(all).size).toBe(60);
    expect(after.map((e) => JSON.stringify(e))).toEqual(late.map((e) => JSON.stringify(e)));
    expect(monitor.duplicates).toBe(50); // the 50 replayed after the reconnect
    await monitor.close();
  });

  it("refuses a handshake with a typed error saying what it usually means", async () => {
    const forbidden = await live({ monitor: { entitled: false } });
    const e403 = await rejectionOf(monitorConversation(forbidden.convai, forbidden.id).ready());
    expect(e403).toBeInstanceOf(ConvaiMonitorError);
    expect(e403).toMatchObject({ status: 403, reason: "handshake_refused" });
    expect((e403 as Error).message).toMatch(/enterprise workspace/);

    const { emulator, convai, id } = await live();
    const e404 = await rejectionOf(monitorConversation(convai, "conv_not_live").ready());
    expect(e404).toMatchObject({ status: 404 });
    expect((e404 as Error).message).toMatch(/has not started yet, has already ended/);
    const wrongKey = createConvaiClient({ apiKey: "xi-wrong-key-000000", baseUrl: emulator.baseUrl });
    const e401 = await rejectionOf(monitorConversation(wrongKey, id).ready());
    expect(e401).toMatchObject({ status: 401 });
    for (const error of [e403, e404, e401]) {
      expect(everythingIn(error)).not.toContain(emulator.apiKey);
      expect(everythingIn(error)).not.toContain("xi-wrong-key-000000");
    }
    // The loop gets the same error.
    const monitor = monitorConversation(convai, "conv_not_live");
    expect(await rejectionOf(monitor[Symbol.asyncIterator]().next())).toBeInstanceOf(ConvaiMonitorError);
  });

  it("ends the loop normally when the call ends (end_call, or on schedule), and the session moves on", async () => {
    const { convai, id } = await live();
    const monitor = monitorConversation(convai, id);
    await monitor.ready();
    const loop = (async () => {
      let n = 0;
      for await (const _ of monitor) n++;
      return n;
    })();
    await monitor.endCall();
    expect(await loop).toBe(0);
    expect((await convai.conversations.get(id)).status).toBe("processing");

    const short = await live({
      lifecycle: { inProgressAfterMs: 0, processingAfterMs: 400, doneAfterMs: 800 },
      monitor: { intervalMs: 40 },
    });
    const scripted: string[] = [];
    for await (const event of monitorConversation(short.convai, short.id)) scripted.push(event.type);
    expect(scripted[0]).toBe("conversation_initiation_metadata");
    expect(scripted).toContain("agent_response");
  });

  it("throws ConvaiConnectionError on an abnormal close without reconnect", async () => {
    const { emulator, convai, id } = await live();
    const monitor = monitorConversation(convai, id);
    await monitor.ready();
    const next = monitor[Symbol.asyncIterator]().next();
    emulator.cutMonitors(id);
    const error = await rejectionOf(next);
    expect(error).toBeInstanceOf(ConvaiConnectionError);
    expect((error as Error).message).toMatch(/closed abnormally/);
  });

  it("aborts, closes twice, refuses a command after close, and leaves no listener", async () => {
    const { convai, id } = await live();
    const controller = new AbortController();
    const monitor = monitorConversation(convai, id, { signal: controller.signal });
    await monitor.ready();
    const next = monitor[Symbol.asyncIterator]().next();
    const reason = new Error("supervisor left");
    controller.abort(reason);
    expect(await rejectionOf(next)).toBe(reason);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);

    const other = monitorConversation(convai, id);
    await other.ready();
    await other.close();
    await other.close();
    await other[Symbol.asyncDispose]();
    expect(await other[Symbol.asyncIterator]().next()).toEqual({ done: true, value: undefined });
    const error = await rejectionOf(other.endCall());
    expect(error).toMatchObject({ reason: "closed" });
    expect(() => monitorConversation(convai, "")).toThrow(/conversationId must be a non-empty string/);
    await expect(other.send({} as never)).rejects.toThrow(/command_type/);
  });

  it("carries 10,000 events through one socket within its buffer bound, pausing the socket, or dropping with a count", async () => {
    const { emulator, convai, id } = await live();
    const events = Array.from({ length: 10_000 }, (_, i) => ({
      type: "interruption",
      interruption_event: { event_id: i },
    }));
    const paused = monitorConversation(convai, id, { bufferLimit: 200 });
    await paused.ready();
    emulator.monitorEmit(id, ...(events as MonitorEvent[]));
    let n = 0;
    for await (const event of paused) {
      expect(isMonitorEvent("interruption", event) && event.interruption_event?.event_id).toBe(n);
      if (++n === 10_000) break;
      if (n % 500 === 0) await new Promise((resolve) => setTimeout(resolve, 1)); // a loop slower than the socket
    }
    expect(n).toBe(10_000);
    expect(paused.dropped).toBe(0);
    // Paused at 200; what the socket had already read still arrives (one read, about 64 KB).
    expect(paused.peakBuffered).toBeLessThan(200 + 1_500);

    // A WebSocket that cannot pause: the oldest go, and the handle counts them.
    class NoPause extends WS {
      override pause = undefined as never;
    }
    const dropping = monitorConversation(convai, id, {
      bufferLimit: 100,
      WebSocket: NoPause as unknown as WebSocketConstructor,
    });
    await dropping.ready();
    emulator.monitorEmit(id, ...(events.slice(0, 1_000) as MonitorEvent[]));
    await until(() => dropping.dropped + dropping.peakBuffered >= 1_100);
    expect(dropping.peakBuffered).toBeLessThanOrEqual(100);
    expect(dropping.dropped).toBeGreaterThan(0);
    await dropping.close();
  }, 30_000);

  it("connects to the regional host of the client, wss for https, with the key as a header only", async () => {
    const seen: { url: string; headers: Record<string, string> }[] = [];
    class Recorder {
      readyState = 0;
      readonly #listeners = new Map<string, ((e: never) => void)[]>();
      constructor(url: string, options: { headers: Record<string, string> }) {
        seen.push({ url, headers: options.headers });
        setTimeout(() => this.#fire("close", { code: 1006 }), 1);
      }
      send() {}
      close() {}
      addEventListener(type: string, listener: (e: never) => void) {
        this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
      }
      #fire(type: string, event: unknown) {
        for (const l of this.#listeners.get(type) ?? []) l(event as never);
      }
    }
    const eu = createConvaiClient({ apiKey: "xi-region-key-0000", environment: "eu", headers: { "x-team": "qa" } });
    const error = await rejectionOf(
      monitorConversation(eu, "conv_1", {
        WebSocket: Recorder as unknown as WebSocketConstructor,
        eventsFormat: "opentelemetry",
      }).ready(),
    );
    expect(seen).toEqual([
      {
        url: "wss://api.eu.residency.elevenlabs.io/v1/convai/conversations/conv_1/monitor?events_format=opentelemetry",
        headers: { "x-team": "qa", "xi-api-key": "xi-region-key-0000" },
      },
    ]);
    expect(error).toBeInstanceOf(ConvaiMonitorError);
    expect(everythingIn(error)).not.toContain("xi-region-key-0000");
    const local = createConvaiClient({ apiKey: "xi-region-key-0000", baseUrl: "http://127.0.0.1:9/prefix" });
    await rejectionOf(
      monitorConversation(local, "c", { WebSocket: Recorder as unknown as WebSocketConstructor }).ready(),
    );
    expect(seen.at(-1)!.url).toBe("ws://127.0.0.1:9/prefix/v1/convai/conversations/c/monitor");
  });
});
