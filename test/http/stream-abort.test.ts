/**
 * A recording's body ends on the caller's abort by itself: the transport's stream errors with the
 * signal's reason whatever the fetch underneath does. Here the fetch is one whose body never ends
 * and which ignores its signal (as a custom fetch may; undici's own link from a signal to a body
 * is held by a Request that a stream outlives), so only the transport can end the read.
 */
import { getEventListeners } from "node:events";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createConvaiClient } from "../../src/index.ts";
import { exportConversations, saveConversationAudio } from "../../src/node.ts";
import { type Emulator, startEmulator } from "../../src/testing/index.ts";
import { KEY, rejectionOf } from "../helpers.ts";

/** A body that sends one chunk, then stalls for ever; `pulled` counts the reads that reached it. */
function stallingBody(): { stream: ReadableStream<Uint8Array>; pulls: () => number; cancelled: () => boolean } {
  let pulls = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(new Uint8Array(1_000).fill(7));
      },
      pull() {
        pulls++;
        return new Promise(() => {}); // the server stalls: no byte, no end, no error
      },
      cancel() {
        cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulls: () => pulls, cancelled: () => cancelled };
}

/** A client whose fetch answers every audio request with a stalling body and ignores its signal. */
function stallingClient() {
  const bodies: ReturnType<typeof stallingBody>[] = [];
  const fetch = async (_request: Request) => {
    const body = stallingBody();
    bodies.push(body);
    return new Response(body.stream, { headers: { "content-type": "audio/mpeg", "content-length": "100000" } });
  };
  const convai = createConvaiClient({ apiKey: KEY, baseUrl: "https://api.test", fetch, maxRetries: 0 });
  return { convai, bodies };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "convai-stream-abort-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Resolves once the source has been asked for more than its first chunk: the read is mid-wait. */
async function waiting(pulls: () => number): Promise<void> {
  while (pulls() === 0) await new Promise((resolve) => setImmediate(resolve));
}

describe("an abort ends a recording's body, whatever the fetch does", () => {
  it("a read waiting on a stalled body rejects with the signal's reason; the source is cancelled", async () => {
    const { convai, bodies } = stallingClient();
    const controller = new AbortController();
    const audio = await convai.conversations.audio("c", { signal: controller.signal });
    const reader = audio.body.getReader();
    expect((await reader.read()).value).toHaveLength(1_000);
    const pending = reader.read();
    await waiting(bodies[0]!.pulls);
    const reason = new Error("stop");
    controller.abort(reason);
    expect(await rejectionOf(pending)).toBe(reason);
    expect(await rejectionOf(reader.read())).toBe(reason);
    expect(bodies[0]!.cancelled()).toBe(true);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("a read after the abort rejects with its reason, even with bytes still queued", async () => {
    const { convai } = stallingClient();
    const controller = new AbortController();
    const audio = await convai.conversations.audio("c", { signal: controller.signal });
    controller.abort("SIGINT");
    expect(await rejectionOf(audio.body.getReader().read())).toBe("SIGINT");
  });

  it("pipeTo, Readable.fromWeb and a pipeline reject with the reason", async () => {
    const { convai, bodies } = stallingClient();
    const reason = new Error("stop");
    const sinks = [
      (body: ReadableStream<Uint8Array>) => body.pipeTo(new WritableStream()),
      async (body: ReadableStream<Uint8Array>) => {
        for await (const chunk of Readable.fromWeb(body as never)) void chunk;
      },
      (body: ReadableStream<Uint8Array>) =>
        pipeline(Readable.fromWeb(body as never), new Writable({ write: (_c, _e, done) => done() })),
    ];
    for (const sink of sinks) {
      const controller = new AbortController();
      const audio = await convai.conversations.audio("c", { signal: controller.signal });
      const reading = sink(audio.body);
      await waiting(bodies.at(-1)!.pulls);
      controller.abort(reason);
      expect(await rejectionOf(reading)).toBe(reason);
      expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    }
  });

  it("saveConversationAudio rejects with the reason and leaves no file", async () => {
    const { convai, bodies } = stallingClient();
    const controller = new AbortController();
    const saving = saveConversationAudio(convai, "c", path.join(dir, "save.mp3"), { signal: controller.signal });
    while (bodies.length === 0 || bodies[0]!.pulls() === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort("SIGINT");
    expect(await rejectionOf(saving)).toBe("SIGINT");
    expect(await readdir(dir)).toEqual([]);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("the listener on the signal goes when the body ends or is cancelled", async () => {
    const fetch = async () => new Response(new Uint8Array(10_000), { headers: { "content-type": "audio/mpeg" } });
    const convai = createConvaiClient({ apiKey: KEY, baseUrl: "https://api.test", fetch });
    const controller = new AbortController();
    const { signal } = controller;
    const ended = await convai.conversations.audio("c", { signal });
    expect(getEventListeners(signal, "abort")).toHaveLength(1); // the body's, while it is open
    expect(Buffer.from(await new Response(ended.body).arrayBuffer())).toHaveLength(10_000);
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
    await (await convai.conversations.audio("c", { signal })).body.cancel();
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
  });
});

describe("the export stops on abort while a recording stalls", () => {
  let emulator: Emulator;
  afterEach(() => emulator?.close());

  it("exportConversations rejects with the reason; no partial recording is left", async () => {
    emulator = await startEmulator({ conversations: 5 });
    const stalled: ReturnType<typeof stallingBody>[] = [];
    const fetch = async (request: Request) => {
      if (!new URL(request.url).pathname.endsWith("/audio")) return globalThis.fetch(request);
      const body = stallingBody();
      stalled.push(body);
      return new Response(body.stream, { headers: { "content-type": "audio/mpeg", "content-length": "100000" } });
    };
    const convai = createConvaiClient({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, fetch, maxRetries: 0 });
    const controller = new AbortController();
    const out = path.join(dir, "mirror");
    const running = exportConversations(convai, { out, audio: true, concurrency: 2, signal: controller.signal });
    while (stalled.length === 0 || stalled[0]!.pulls() === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    controller.abort("SIGINT");
    expect(await rejectionOf(running)).toBe("SIGINT");
    expect((await readdir(path.join(out, "audio"))).filter((name) => name.endsWith(".part"))).toEqual([]);
    await rm(out, { recursive: true, force: true });
  });
});
