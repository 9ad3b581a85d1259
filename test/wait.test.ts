/** The conversation id of a session, on the server: tokens, signed URLs, and waiting for the conversation. */
import { afterEach, describe, expect, it } from "vitest";
import { ConvaiTimeoutError, conversationIdFromToken, createConvaiClient } from "../src/index.ts";
import { type Emulator, type EmulatorOptions, startEmulator } from "../src/testing/index.ts";
import { clientWith, json, rejectionOf } from "./helpers.ts";

let emulator: Emulator | undefined;
afterEach(() => emulator?.close());

async function start(options: EmulatorOptions = {}) {
  emulator = await startEmulator({ conversations: 20, ...options });
  const convai = createConvaiClient({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl });
  const agent_id = emulator.conversation(emulator.conversationIds()[0]!)!.agent_id;
  return { emulator, convai, agent_id };
}

describe("the id of a session, on the server", () => {
  it("reads the id from the token, and the same conversation is fetched once it is done", async () => {
    const { convai, agent_id } = await start({
      lifecycle: { inProgressAfterMs: 0, processingAfterMs: 50, doneAfterMs: 100 },
    });
    const { token, conversationId } = await convai.sessions.webrtcToken({ agent_id });
    expect(conversationId).toBe(conversationIdFromToken(token));
    const done = await convai.conversations.waitUntilDone(conversationId!, { pollMs: 20, totalTimeoutMs: 5_000 });
    expect(done).toMatchObject({ conversation_id: conversationId, agent_id, status: "done" });
  });

  it("prefers the response's conversation_id when the API sends one", async () => {
    const { convai, agent_id } = await start({ tokenResponseIncludesConversationId: true });
    const session = await convai.sessions.webrtcToken({ agent_id });
    expect(session.conversationIdSource).toBe("response");
    expect(session.conversationId).toBe(conversationIdFromToken(session.token));
  });

  it("reads the id from a signed URL when include_conversation_id is set", async () => {
    const { convai, agent_id } = await start();
    const { conversationId } = await convai.sessions.signedUrl({ agent_id, include_conversation_id: true });
    const done = await convai.conversations.waitUntilDone(conversationId!, { pollMs: 50, totalTimeoutMs: 5_000 });
    expect(done.conversation_id).toBe(conversationId);
  });
});

describe("conversations.waitFor", () => {
  it("finds a conversation that appears after two polls", async () => {
    const { emulator, convai, agent_id } = await start({ lifecycle: { inProgressAfterMs: 250 } });
    const startedAfter = new Date();
    const { conversationId } = await convai.sessions.webrtcToken({ agent_id });
    emulator.resetRequests();
    const found = await convai.conversations.waitFor({ agent_id, startedAfter, pollMs: 100, totalTimeoutMs: 5_000 });
    expect(found.conversation_id).toBe(conversationId);
    expect(emulator.requestCount("listConversations")).toBeGreaterThanOrEqual(3);
    for (const r of emulator.requests) expect(r.query).toContain(`agent_id=${agent_id}&call_start_after_unix=`);
  });

  it("takes only a conversation that matches", async () => {
    const { convai, agent_id } = await start({ lifecycle: { inProgressAfterMs: 0 } });
    const startedAfter = Date.now() / 1000;
    const first = await convai.sessions.webrtcToken({ agent_id });
    const second = await convai.sessions.webrtcToken({ agent_id });
    const found = await convai.conversations.waitFor({
      agent_id,
      startedAfter,
      match: (c) => c.conversation_id === first.conversationId,
      pollMs: 20,
    });
    expect(found.conversation_id).toBe(first.conversationId);
    expect(found.conversation_id).not.toBe(second.conversationId);
  });

  it("ignores conversations that started before the moment", async () => {
    const { convai, agent_id } = await start();
    const error = await rejectionOf(
      convai.conversations.waitFor({ agent_id, startedAfter: new Date(), pollMs: 30, totalTimeoutMs: 200 }),
    );
    expect(error).toBeInstanceOf(ConvaiTimeoutError);
    expect((error as Error).message).toMatch(/conversations\.waitFor: no conversation of .* within 200 ms/);
  });

  it("backs off between polls", async () => {
    const { emulator, convai, agent_id } = await start();
    emulator.resetRequests();
    await rejectionOf(
      convai.conversations.waitFor({ agent_id, startedAfter: new Date(), pollMs: 100, totalTimeoutMs: 1_000 }),
    );
    // 100, 150, 225, 337, 506 ms pauses: about 5 polls in a second, not 10.
    expect(emulator.requestCount("listConversations")).toBeLessThanOrEqual(6);
    expect(emulator.requestCount("listConversations")).toBeGreaterThanOrEqual(3);
  });

  it("refuses bad options before any request", async () => {
    const { emulator, convai, agent_id } = await start();
    emulator.resetRequests();
    const bad = [
      () => convai.conversations.waitFor({ agent_id: "", startedAfter: new Date() }),
      () => convai.conversations.waitFor({ agent_id, startedAfter: new Date("nope") }),
      () => convai.conversations.waitFor({ agent_id, startedAfter: 1, pollMs: 0 }),
      () => convai.conversations.waitUntilDone(" "),
    ];
    for (const call of bad)
      expect(await rejectionOf(call())).toMatchObject({ name: expect.stringMatching(/^(TypeError|RangeError)$/) });
    expect(emulator.requestCount()).toBe(0);
  });
});

describe("conversations.waitUntilDone", () => {
  it("returns on failed too", async () => {
    const { convai, agent_id } = await start({
      lifecycle: { processingAfterMs: 20, doneAfterMs: 60, outcome: "failed" },
    });
    const { conversationId } = await convai.sessions.webrtcToken({ agent_id });
    const failed = await convai.conversations.waitUntilDone(conversationId!, { pollMs: 20, totalTimeoutMs: 5_000 });
    expect(failed.status).toBe("failed");
  });

  it("throws ConvaiTimeoutError when processing takes too long", async () => {
    const { convai, agent_id } = await start({ lifecycle: { doneAfterMs: 60_000, processingAfterMs: 60_000 } });
    const { conversationId } = await convai.sessions.webrtcToken({ agent_id });
    const started = Date.now();
    const error = await rejectionOf(
      convai.conversations.waitUntilDone(conversationId!, { pollMs: 20, totalTimeoutMs: 150 }),
    );
    expect(error).toBeInstanceOf(ConvaiTimeoutError);
    expect((error as Error).message).toContain("did not finish processing within 150 ms");
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("rejects with the abort reason at once", async () => {
    const { convai, agent_id } = await start({ lifecycle: { doneAfterMs: 60_000, processingAfterMs: 60_000 } });
    const { conversationId } = await convai.sessions.webrtcToken({ agent_id });
    const controller = new AbortController();
    const pending = rejectionOf(convai.conversations.waitUntilDone(conversationId!, { signal: controller.signal }));
    setTimeout(() => controller.abort(new Error("shutting down")), 50);
    const started = Date.now();
    expect(await pending).toMatchObject({ message: "shutting down" });
    expect(Date.now() - started).toBeLessThan(300);
  });

  it("polls details until the status is final (injected fetch)", async () => {
    const statuses = ["in-progress", "processing", "processing", "done"];
    const { convai, calls } = clientWith((_r, n) =>
      json({ conversation_id: "conv_1", agent_id: "a", status: statuses[n - 1], transcript: [] }),
    );
    expect((await convai.conversations.waitUntilDone("conv_1", { pollMs: 5 })).status).toBe("done");
    expect(calls).toHaveLength(4);
  });
});
