/** The client against the local emulator over loopback: every operation and every failure rule. */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type ConvaiClient,
  ConvaiConnectionError,
  ConvaiAPIError,
  ConvaiTimeoutError,
  ConvaiValidationError,
  createConvaiClient,
} from "../../src/index.ts";
import { type Emulator, startEmulator } from "../../src/testing/index.ts";
import { requiresField } from "../../src/testing/state/conform.ts";
import { conversationIdFromToken } from "../../src/index.ts";
import { everythingIn, rejectionOf } from "../helpers.ts";

let emulator: Emulator;
let convai: ConvaiClient;

beforeAll(async () => {
  emulator = await startEmulator({ conversations: 1234, audioBytes: 300_000 });
  convai = createConvaiClient({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl });
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.clearFaults();
  emulator.resetRequests();
});

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("every operation", () => {
  it("lists 1,234 conversations at page_size 100, each exactly once and in order", async () => {
    const ids: string[] = [];
    for await (const c of convai.conversations.list({ page_size: 100 })) ids.push(c.conversation_id);
    expect(ids).toHaveLength(1234);
    expect(new Set(ids).size).toBe(1234);
    expect(ids).toEqual(emulator.conversationIds());
    expect(emulator.requestCount("listConversations")).toBe(13);
  });

  it("costs one request when the loop breaks after five items", async () => {
    let seen = 0;
    for await (const _ of convai.conversations.list()) if (++seen === 5) break;
    expect(seen).toBe(5);
    expect(emulator.requestCount()).toBe(1);
  });

  it("sends the filters on every page", async () => {
    const agent = emulator.conversation(emulator.conversationIds()[0]!)!.agent_id;
    const all = await convai.conversations.list({ agent_id: agent, call_successful: "success", page_size: 7 }).toArray({
      max: 10_000,
    });
    expect(all.length).toBeGreaterThan(7);
    expect(all.every((c) => c.agent_id === agent && c.call_successful === "success")).toBe(true);
    for (const r of emulator.requests)
      expect(r.query).toContain(`agent_id=${agent}&call_successful=success&page_size=7`);
  });

  it("gets a conversation as the emulator holds it", async () => {
    const id = emulator.conversationIds()[0]!;
    expect(await convai.conversations.get(id)).toEqual(emulator.conversation(id));
  });

  it("sends feedback, then reads it back", async () => {
    const id = emulator.conversationIds()[3]!;
    await convai.conversations.sendFeedback(id, "dislike");
    expect((await convai.conversations.get(id)).metadata.feedback?.overall_score).toBe("dislike");
  });

  it("deletes a conversation, after which it is 404 and gone from the list", async () => {
    const id = emulator.conversationIds()[10]!;
    await convai.conversations.delete(id);
    const error = await rejectionOf(convai.conversations.get(id));
    expect(error).toBeInstanceOf(ConvaiAPIError);
    expect(error).toMatchObject({ status: 404, method: "GET", path: `/v1/convai/conversations/${id}` });
    expect((error as ConvaiAPIError).requestId).toMatch(/^req_/);
    const ids = await convai.conversations.list({ page_size: 100 }).toArray({ max: 20 });
    expect(ids.map((c) => c.conversation_id)).not.toContain(id);
  });

  it("streams the recording: bytes match the emulator's in count and digest", async () => {
    const id = emulator.conversationIds()[0]!;
    const audio = await convai.conversations.audio(id);
    expect(audio.contentType).toBe("audio/mpeg");
    expect(audio.contentLength).toBe(300_000);
    const bytes = new Uint8Array(await new Response(audio.body).arrayBuffer());
    const expected = emulator.audio(id)!;
    expect(bytes.byteLength).toBe(expected.byteLength);
    expect(sha256(bytes)).toBe(sha256(expected));
  });

  it("throws before handing over a body when there is no recording", async () => {
    const id = emulator.conversationIds().find((c) => emulator.audio(c) === undefined)!;
    expect(await rejectionOf(convai.conversations.audio(id))).toMatchObject({ name: "ConvaiAPIError", status: 404 });
  });

  it("mints a WebRTC token whose conversation id is readable on the server", async () => {
    const agent = emulator.conversation(emulator.conversationIds()[0]!)!.agent_id;
    const session = await convai.sessions.webrtcToken({ agent_id: agent, participant_name: "Ada" });
    expect(session.conversationId).toMatch(/^conv_[a-zA-Z0-9]+$/);
    // From the response where the spec requires the field there (the 2026 document does), else from the token.
    expect(session.conversationIdSource).toBe(
      requiresField("getConversationToken", "conversation_id") ? "response" : "token",
    );
    expect(session.conversationId).toBe(conversationIdFromToken(session.token));
    expect(session.expiresAt!.getTime()).toBeGreaterThan(Date.now());
  });

  it("gets a signed URL, with the conversation id when asked", async () => {
    const agent = emulator.conversation(emulator.conversationIds()[0]!)!.agent_id;
    const plain = await convai.sessions.signedUrl({ agent_id: agent });
    expect(plain.signedUrl).toMatch(/^wss:\/\/.*\/v1\/convai\/conversation\?agent_id=.*&conversation_signature=/);
    expect(plain.conversationId).toBeUndefined();
    const withId = await convai.sessions.signedUrl({ agent_id: agent, include_conversation_id: true });
    expect(withId.conversationId).toMatch(/^conv_/);
    expect(withId.conversationIdSource).toBe("url");
  });

  it("gets an agent's shareable link", async () => {
    const agent = emulator.conversation(emulator.conversationIds()[0]!)!.agent_id;
    const link = await convai.agents.link(agent);
    expect(link.agent_id).toBe(agent);
    expect(link.token?.purpose).toBe("shareable_link");
  });

  it("turns a 422 into ConvaiValidationError with the API's detail", async () => {
    const error = await rejectionOf(convai.conversations.list({ evaluation_params: ["no-colon"] }).toArray({ max: 1 }));
    expect(error).toBeInstanceOf(ConvaiValidationError);
    expect((error as ConvaiValidationError).detail[0]?.loc).toEqual(["query", "evaluation_params"]);
  });
});

describe("failures", () => {
  it("succeeds after 429 twice, honouring Retry-After", async () => {
    // How long the client waits for a given Retry-After is test/http/retry.test.ts's, on a fake clock;
    // here the emulator's header reaches the client, which retries when it says "now".
    const id = emulator.conversationIds()[0]!;
    emulator.fault("getConversation", { kind: "status", status: 429, retryAfter: 0, times: 2 });
    expect((await convai.conversations.get(id)).conversation_id).toBe(id);
    expect(emulator.requests.map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it("does not retry a POST that got 503", async () => {
    emulator.fault("sendConversationFeedback", { kind: "status", status: 503, retryAfter: 0 });
    const error = await rejectionOf(convai.conversations.sendFeedback(emulator.conversationIds()[0]!, "like"));
    expect(error).toMatchObject({ name: "ConvaiAPIError", status: 503, method: "POST" });
    expect(emulator.requestCount("sendConversationFeedback")).toBe(1);
  });

  it("retries a GET whose connection was reset, or whose body was cut short", async () => {
    const id = emulator.conversationIds()[0]!;
    emulator.fault("getConversation", { kind: "reset" });
    emulator.fault("getConversation", { kind: "truncate" });
    expect((await convai.conversations.get(id)).conversation_id).toBe(id);
    expect(emulator.requestCount("getConversation")).toBe(3);
  });

  it("reports a reset connection as ConvaiConnectionError when no retry is left", async () => {
    const strict = createConvaiClient({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, maxRetries: 0 });
    emulator.fault("getConversation", { kind: "reset" });
    const error = await rejectionOf(strict.conversations.get(emulator.conversationIds()[0]!));
    expect(error).toBeInstanceOf(ConvaiConnectionError);
    expect((error as Error).cause).toBeDefined();
  });

  it("ends a slow attempt at its timeout", async () => {
    // The emulator holds the answer for a minute; the attempt's 150 ms timeout ends the call long
    // before (when exactly is test/client.test.ts's, on a fake clock).
    const strict = createConvaiClient({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, maxRetries: 0 });
    emulator.fault("getConversation", { kind: "delay", ms: 60_000 });
    const error = await rejectionOf(strict.conversations.get(emulator.conversationIds()[0]!, { timeoutMs: 150 }));
    expect(error).toBeInstanceOf(ConvaiTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 150 });
    emulator.clearFaults();
  });

  it("ends when the caller aborts during the backoff wait, without another attempt", async () => {
    emulator.fault("getConversation", { kind: "status", status: 503, times: 3 });
    const controller = new AbortController();
    const pending = rejectionOf(
      convai.conversations.get(emulator.conversationIds()[0]!, { signal: controller.signal }),
    );
    // Abort once the first 503 is answered, while the client waits ≥ 375 ms before trying again.
    await vi.waitUntil(() => emulator.requests.some((r) => r.status === 503), { timeout: 60_000 });
    controller.abort(new Error("caller gave up"));
    expect(await pending).toMatchObject({ message: "caller gave up" });
    expect(emulator.requestCount("getConversation")).toBe(1);
  });

  it("answers a wrong key with 401", async () => {
    const wrong = createConvaiClient({ apiKey: "xi-wrong-key-0c9b8a77", baseUrl: emulator.baseUrl });
    const error = await rejectionOf(wrong.conversations.get(emulator.conversationIds()[0]!));
    expect(error).toMatchObject({ name: "ConvaiAPIError", status: 401 });
    expect(everythingIn(error)).not.toContain("xi-wrong-key-0c9b8a77");
  });

  it("sends nothing for bad input", async () => {
    const attempts = [
      () => convai.conversations.get(""),
      () => convai.conversations.get(".."),
      () => convai.conversations.list({ page_size: 101 }),
      () => convai.conversations.list({ page_size: 0 }),
      () => convai.conversations.sendFeedback(" ", "like"),
      () => convai.conversations.audio(""),
      () => convai.sessions.webrtcToken({ agent_id: "" }),
      () => convai.agents.link(""),
    ];
    for (const attempt of attempts) expect(await rejectionOf((async () => attempt())())).toBeInstanceOf(Error);
    expect(emulator.requestCount()).toBe(0);
  });

  it("never puts the key in an error, whatever fails", async () => {
    const strict = createConvaiClient({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, maxRetries: 0 });
    const id = emulator.conversationIds()[0]!;
    const errors: unknown[] = [];
    errors.push(await rejectionOf(strict.conversations.get("conv_does_not_exist")));
    errors.push(await rejectionOf(strict.conversations.list({ data_collection_params: ["x"] }).toArray({ max: 1 })));
    emulator.fault("getConversation", { kind: "reset" });
    errors.push(await rejectionOf(strict.conversations.get(id)));
    emulator.fault("getConversation", { kind: "truncate" });
    errors.push(await rejectionOf(strict.conversations.get(id)));
    emulator.fault("getConversation", { kind: "status", status: 500 });
    errors.push(await rejectionOf(strict.conversations.get(id)));
    emulator.fault("getConversation", { kind: "delay", ms: 1_000 });
    errors.push(await rejectionOf(strict.conversations.get(id, { timeoutMs: 50 })));
    errors.push(await rejectionOf(strict.conversations.get("")));
    expect(errors.map((e) => (e as Error).name)).toEqual([
      "ConvaiAPIError",
      "ConvaiValidationError",
      "ConvaiConnectionError",
      "ConvaiConnectionError",
      "ConvaiAPIError",
      "ConvaiTimeoutError",
      "TypeError",
    ]);
    for (const error of errors) expect(everythingIn(error)).not.toContain(emulator.apiKey);
  });
});
