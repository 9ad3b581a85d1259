/** `maxConcurrency`: one adaptive semaphore per client, against an injected fetch (no clock). */
import { describe, expect, it } from "vitest";
import { concurrencyLimiter } from "../../src/http/concurrency.ts";
import { createConvaiClient } from "../../src/index.ts";
import { KEY, clientWith, json } from "../helpers.ts";

const CONVERSATION = { conversation_id: "c1", agent_id: "a", status: "done", transcript: [], metadata: {} };

/** A fetch that counts requests in flight and holds each until a turn of the event loop has passed. */
function workspace(limit: number, busyEvery = 0) {
  let inFlight = 0;
  let peak = 0;
  let served = 0;
  const rejected = { concurrent: 0, busy: 0 };
  const peaks: number[] = [];
  const handler = async () => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    peaks.push(inFlight);
    try {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      if (inFlight > limit) {
        rejected.concurrent++;
        return json(
          { detail: { status: "too_many_concurrent_requests", message: "Too many concurrent requests" } },
          { status: 429, headers: { "retry-after": "0" } },
        );
      }
      if (busyEvery > 0 && ++served % busyEvery === 0) {
        rejected.busy++;
        return json(
          { detail: { status: "system_busy", message: "busy" } },
          { status: 429, headers: { "retry-after": "0" } },
        );
      }
      return json(CONVERSATION);
    } finally {
      inFlight--;
    }
  };
  return { handler, rejected, peaks, peak: () => peak };
}

describe("maxConcurrency", () => {
  it("never has more requests in flight than the limit, across every call of the client", async () => {
    const server = workspace(100);
    const { convai } = clientWith(server.handler, { maxConcurrency: 3 });
    const gets = Array.from({ length: 30 }, () => convai.conversations.get("c1"));
    const listed = convai.conversations
      .list()
      .pages()
      .next()
      .catch(() => undefined);
    await Promise.all([...gets, listed]);
    expect(server.peak()).toBe(3);
  });

  it("without the option, nothing waits", async () => {
    const server = workspace(100);
    const { convai } = clientWith(server.handler);
    await Promise.all(Array.from({ length: 20 }, () => convai.conversations.get("c1")));
    expect(server.peak()).toBe(20);
  });

  it("a too_many_concurrent_requests 429 lowers the limit and the request is retried", async () => {
    const server = workspace(2);
    const { convai } = clientWith(server.handler, { maxConcurrency: 8, maxRetries: 6 });
    const results = await Promise.all(Array.from({ length: 40 }, () => convai.conversations.get("c1")));
    expect(results).toHaveLength(40);
    expect(server.rejected.concurrent).toBeGreaterThan(0);
    // Once lowered, the last requests stay within what the workspace allows, probing one above it.
    expect(Math.max(...server.peaks.slice(-10))).toBeLessThanOrEqual(3);
  });

  it("a system_busy 429 backs off without lowering the limit", async () => {
    const server = workspace(100, 4);
    const { convai } = clientWith(server.handler, { maxConcurrency: 4, maxRetries: 5 });
    await Promise.all(Array.from({ length: 40 }, () => convai.conversations.get("c1")));
    expect(server.rejected.busy).toBeGreaterThan(0);
    expect(Math.max(...server.peaks.slice(-8))).toBe(4);
  });

  it("an abort while waiting for a slot rejects with the signal's reason and sends nothing", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { convai, calls } = clientWith(async () => (await gate, json(CONVERSATION)), { maxConcurrency: 1 });
    const first = convai.conversations.get("c1");
    const controller = new AbortController();
    const second = convai.conversations.get("c2", { signal: controller.signal });
    await new Promise((r) => setImmediate(r));
    controller.abort(new Error("stop"));
    await expect(second).rejects.toThrow("stop");
    release();
    await first;
    expect(calls.map((c) => c.url.pathname)).toEqual(["/v1/convai/conversations/c1"]);
  });

  it("a recording holds its slot until its body is read", async () => {
    const { convai } = clientWith(
      () => new Response(new Uint8Array(10), { headers: { "content-type": "audio/mpeg" } }),
      {
        maxConcurrency: 1,
      },
    );
    const audio = await convai.conversations.audio("c1");
    let second = false;
    const next = convai.conversations.audio("c2").then((a) => ((second = true), a));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(second).toBe(false);
    await new Response(audio.body).arrayBuffer();
    await (await next).body.cancel();
    expect(second).toBe(true);
  });

  it.each([0, -1, 1.5, Number.NaN, "4", null])("refuses maxConcurrency %s", (value) => {
    expect(() => createConvaiClient({ apiKey: KEY, maxConcurrency: value as never })).toThrow(
      /createConvaiClient: maxConcurrency must be a positive integer/,
    );
  });
});

describe("concurrencyLimiter", () => {
  it("halves once per epoch, at least 1, and recovers by one per limit successes", async () => {
    const limiter = concurrencyLimiter(8);
    const slots = await Promise.all(Array.from({ length: 8 }, () => limiter.acquire()));
    limiter.tooMany(slots[0]!);
    limiter.tooMany(slots[1]!); // same epoch: not lowered again
    expect(limiter.limit).toBe(4);
    for (const s of slots) s.release();
    const again = await limiter.acquire();
    limiter.tooMany(again);
    again.release();
    expect(limiter.limit).toBe(2);
    for (let i = 0; i < 3; i++) limiter.tooMany(await limiter.acquire().then((s) => (s.release(), s)));
    expect(limiter.limit).toBe(1);
    limiter.succeeded();
    expect(limiter.limit).toBe(2);
    limiter.succeeded();
    limiter.succeeded();
    expect(limiter.limit).toBe(3);
    for (let i = 0; i < 100; i++) limiter.succeeded();
    expect(limiter.limit).toBe(8);
  });

  it("grants waiters in order as slots free up", async () => {
    const limiter = concurrencyLimiter(1);
    const first = await limiter.acquire();
    const order: number[] = [];
    const waiting = [1, 2, 3].map((n) => limiter.acquire().then((s) => (order.push(n), s.release())));
    expect(limiter.active).toBe(1);
    first.release();
    first.release(); // idempotent
    await Promise.all(waiting);
    expect(order).toEqual([1, 2, 3]);
    expect(limiter.active).toBe(0);
  });
});
