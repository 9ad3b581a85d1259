/** The emulator's workspace limits: concurrent requests over the limit get ElevenLabs' 429, latency delays answers. */
import { afterEach, describe, expect, it } from "vitest";
import { createConvaiClient } from "../../src/index.ts";
import { type Emulator, startEmulator } from "../../src/testing/index.ts";
import { ConvaiAPIError } from "../../src/core/errors.ts";

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

describe("startEmulator({ maxConcurrentRequests, latencyMs })", () => {
  it("answers the request over the limit with 429 too_many_concurrent_requests", async () => {
    emulator = await startEmulator({ conversations: 5, maxConcurrentRequests: 2, latencyMs: 30 });
    const { baseUrl, apiKey } = emulator;
    const responses = await Promise.all(
      Array.from({ length: 6 }, () =>
        fetch(`${baseUrl}/v1/convai/conversations`, { headers: { "xi-api-key": apiKey } }),
      ),
    );
    const refused = responses.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(responses.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    const body = (await refused[0]!.json()) as { detail: { status: string; message: string } };
    expect(body.detail.status).toBe("too_many_concurrent_requests");
    expect(emulator.concurrency.refused).toBe(refused.length);
    await Promise.all(responses.filter((r) => !r.bodyUsed).map(async (r) => r.body?.cancel()));
  });

  it("a client under the same maxConcurrency is never refused; one above it adapts and succeeds", async () => {
    // 40 ms per answer: the three requests a client sends in one tick all arrive before the first is
    // answered, even when a loaded machine delays the server's reads (at 5 ms the peak read 2 once).
    emulator = await startEmulator({ conversations: 5, maxConcurrentRequests: 3, latencyMs: 40 });
    const ids = emulator.conversationIds();
    const polite = createConvaiClient({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, maxConcurrency: 3 });
    await Promise.all(Array.from({ length: 30 }, (_, i) => polite.conversations.get(ids[i % ids.length]!)));
    expect(emulator.concurrency.refused).toBe(0);
    expect(emulator.concurrency.peak).toBe(3);

    const eager = createConvaiClient({
      apiKey: emulator.apiKey,
      baseUrl: emulator.baseUrl,
      maxConcurrency: 12,
      maxRetries: 8,
    });
    await Promise.all(Array.from({ length: 30 }, (_, i) => eager.conversations.get(ids[i % ids.length]!)));
    expect(emulator.concurrency.refused).toBeGreaterThan(0);
  });

  it("the client's error names the refusal; system_busy is injected as a fault with its body", async () => {
    emulator = await startEmulator({ conversations: 2 });
    emulator.fault("getConversation", {
      kind: "status",
      status: 429,
      retryAfter: 0,
      body: { detail: { status: "system_busy", message: "The system is busy" } },
      times: 3,
    });
    const convai = createConvaiClient({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, maxRetries: 1 });
    const error = await convai.conversations.get(emulator.conversationIds()[0]!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConvaiAPIError);
    expect((error as ConvaiAPIError).status).toBe(429);
    expect(String((error as Error).message)).toContain("busy");
    await expect(convai.conversations.get(emulator.conversationIds()[0]!)).resolves.toBeTruthy(); // 3rd refusal, then served
  });

  it("refuses a bad limit", async () => {
    await expect(startEmulator({ maxConcurrentRequests: 0 })).rejects.toThrow(/maxConcurrentRequests/);
    await expect(startEmulator({ latencyMs: -1 })).rejects.toThrow(/latencyMs/);
  });
});
