/** The conversation id of a session, on the server: tokens, signed URLs, and waiting for the conversation. */
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ConvaiTimeoutError,
  conversationIdFromToken,
  createConvaiClient,
  reconcileConversations,
  waitForConversation,
  waitUntilDone,
} from "../../src/index.ts";
import { type Emulator, type EmulatorOptions, startEmulator } from "../../src/testing/index.ts";
import { clientWith, json, rejectionOf, tracked, withFakeTimers } from "../helpers.ts";

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
    const done = await waitUntilDone(convai, conversationId!, { pollMs: 20, totalTimeoutMs: 5_000 });
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
    const done = await waitUntilDone(convai, conversationId!, { pollMs: 50, totalTimeoutMs: 5_000 });
    expect(done.conversation_id).toBe(conversationId);
  });
});

describe("waitForConversation", () => {
  it("finds a conversation that appears after two polls", async () => {
    // The emulator's conversations follow Date; only Date is fake here, and it moves past the
    // moment the conversation appears once the second poll has been answered, never on its own.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const { emulator, agent_id } = await start({ lifecycle: { inProgressAfterMs: 250 } });
      let polls = 0;
      const convai = createConvaiClient({
        apiKey: emulator.apiKey,
        baseUrl: emulator.baseUrl,
        fetch: async (request: Request) => {
          const response = await fetch(request);
          if (new URL(request.url).pathname.endsWith("/conversations") && ++polls === 2) {
            vi.setSystemTime(Date.now() + 250);
          }
          return response;
        },
      });
      const startedAfter = new Date();
      const { conversationId } = await convai.sessions.webrtcToken({ agent_id });
      emulator.resetRequests();
      const found = await waitForConversation(convai, {
        query: { agent_id },
        startedAfter,
        pollMs: 10,
        totalTimeoutMs: 60_000,
      });
      expect(found.conversation_id).toBe(conversationId);
      expect(emulator.requestCount("listConversations")).toBe(3);
      for (const r of emulator.requests) expect(r.query).toContain(`agent_id=${agent_id}&call_start_after_unix=`);
    } finally {
      vi.useRealTimers();
    }
  });

  it("takes only a conversation that matches", async () => {
    const { convai, agent_id } = await start({ lifecycle: { inProgressAfterMs: 0 } });
    const startedAfter = Date.now() / 1000;
    const first = await convai.sessions.webrtcToken({ agent_id });
    const second = await convai.sessions.webrtcToken({ agent_id });
    const found = await waitForConversation(convai, {
      query: { agent_id },
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
      waitForConversation(convai, { query: { agent_id }, startedAfter: new Date(), pollMs: 30, totalTimeoutMs: 200 }),
    );
    expect(error).toBeInstanceOf(ConvaiTimeoutError);
    expect((error as Error).message).toMatch(/waitForConversation: no conversation of .* within 200 ms/);
  });

  it("backs off between polls", async () => {
    await withFakeTimers(async () => {
      const { convai, calls } = clientWith(() => json({ conversations: [], has_more: false }));
      const wait = tracked(
        waitForConversation(convai, {
          query: { agent_id: "a" },
          startedAfter: new Date(),
          pollMs: 100,
          totalTimeoutMs: 1_000,
        }),
      );
      // Polls at 0, 100, 250, 475 and 812.5 ms (pauses of 100, 150, 225, 337.5 ms): 5 in a second, not 10.
      const at = async (ms: number, expected: number) => {
        await vi.advanceTimersByTimeAsync(ms);
        expect(calls, `${expected} polls`).toHaveLength(expected);
      };
      await at(0, 1);
      await at(99, 1);
      await at(1, 2);
      await at(149, 2);
      await at(1, 3);
      await at(225, 4);
      await at(338, 5);
      expect(wait.settled()).toBe(false);
      await at(188, 5);
      expect(wait.settled()).toBe(true);
      expect(await wait.result).toBeInstanceOf(ConvaiTimeoutError);
    });
  });

  it("refuses bad options before any request", async () => {
    const { emulator, convai, agent_id } = await start();
    emulator.resetRequests();
    const bad = [
      () => waitForConversation(convai, { query: { agent_id: "" }, startedAfter: new Date() }),
      () => waitForConversation(convai, { query: { agent_id }, startedAfter: new Date("nope") }),
      () => waitForConversation(convai, { query: { agent_id }, startedAfter: 1, pollMs: 0 }),
      () => waitUntilDone(convai, " "),
    ];
    for (const call of bad)
      expect(await rejectionOf(call())).toMatchObject({ name: expect.stringMatching(/^(TypeError|RangeError)$/) });
    expect(emulator.requestCount()).toBe(0);
  });

  it("keeps the list's filters in query and its own options beside it, naming what is misplaced", async () => {
    const { emulator, convai, agent_id } = await start();
    emulator.resetRequests();
    const misplaced: [() => Promise<unknown>, RegExp][] = [
      [
        () => waitForConversation(convai, { agent_id, startedAfter: 1 } as never),
        /waitForConversation: agent_id goes in query/,
      ],
      [() => waitForConversation(convai, { startedAfter: 1 } as never), /waitForConversation: query must be an object/],
      [
        () => waitForConversation(convai, { query: { agent_id, cursor: "c" } as never, startedAfter: 1 }),
        /waitForConversation: query\.cursor is set by the helper/,
      ],
      [
        () => waitForConversation(convai, { query: { agent_id, page_size: "ten" as never }, startedAfter: 1 }),
        /waitForConversation: .*page_size/,
      ],
    ];
    for (const [call, message] of misplaced) {
      const error = await rejectionOf(call());
      expect(error).toBeInstanceOf(TypeError);
      expect(String(error)).toMatch(message);
    }
    expect(emulator.requestCount()).toBe(0);
    // Any other filter of the list goes with the polls.
    await rejectionOf(
      waitForConversation(convai, {
        query: { agent_id, user_id: "u 1" },
        startedAfter: new Date(),
        pollMs: 30,
        totalTimeoutMs: 60,
      }),
    );
    expect(emulator.requests[0]!.query).toContain("user_id=u%201");
  });
});

describe("reconcileConversations", () => {
  it("names its start bound startedAfter, as waitForConversation does, and refuses the old names", async () => {
    const { convai } = await start();
    const reconcile = (options: object) => () => reconcileConversations(convai, options as never);
    expect(reconcile({ since: 1, seen: new Set() })).toThrow(/reconcileConversations: since is now startedAfter/);
    expect(reconcile({ agent_id: "a", startedAfter: 1, seen: new Set() })).toThrow(
      /reconcileConversations: agent_id goes in query/,
    );
    expect(reconcile({ query: { cursor: "c" }, startedAfter: 1, seen: new Set() })).toThrow(/query\.cursor/);
    expect(reconcile({ startedAfter: "x", seen: new Set() })).toThrow(
      /reconcileConversations: startedAfter must be a Date/,
    );
    expect(reconcile({ query: { agent_id: "a" }, startedAfter: 1, seen: new Set() })).not.toThrow();
  });
});

describe("the waits take the client first", () => {
  it("refuse anything but a client made by createConvaiClient, naming the function, before any request", async () => {
    const { emulator, convai } = await start();
    emulator.resetRequests();
    const notClient = { conversations: convai.conversations };
    const calls: [() => unknown, RegExp][] = [
      [() => waitUntilDone(notClient as never, "c"), /^TypeError: waitUntilDone: convai must be a client/],
      [
        () => waitForConversation(null as never, { query: { agent_id: "a" }, startedAfter: 1 }),
        /^TypeError: waitForConversation: convai must be a client made by createConvaiClient .*got null/,
      ],
      [
        () => reconcileConversations({} as never, { startedAfter: 1, seen: new Set() }),
        /^TypeError: reconcileConversations: convai must be a client/,
      ],
    ];
    for (const [call, message] of calls) {
      let error: unknown;
      try {
        await call();
      } catch (caught) {
        error = caught;
      }
      expect(String(error)).toMatch(message);
    }
    expect(emulator.requestCount()).toBe(0);
    // The methods they replace are gone from the client.
    expect(convai.conversations).not.toHaveProperty("waitFor");
    expect(convai.conversations).not.toHaveProperty("waitUntilDone");
    expect(convai.conversations).not.toHaveProperty("reconcile");
  });
});

describe("waitUntilDone", () => {
  it("returns on failed too", async () => {
    const { convai, agent_id } = await start({
      lifecycle: { processingAfterMs: 20, doneAfterMs: 60, outcome: "failed" },
    });
    const { conversationId } = await convai.sessions.webrtcToken({ agent_id });
    const failed = await waitUntilDone(convai, conversationId!, { pollMs: 20, totalTimeoutMs: 5_000 });
    expect(failed.status).toBe("failed");
  });

  const processing = () => json({ conversation_id: "conv_1", agent_id: "a", status: "processing", transcript: [] });

  it("throws ConvaiTimeoutError when processing takes too long, at totalTimeoutMs", async () => {
    await withFakeTimers(async () => {
      const { convai } = clientWith(processing);
      const wait = tracked(waitUntilDone(convai, "conv_1", { pollMs: 20, totalTimeoutMs: 150 }));
      await vi.advanceTimersByTimeAsync(149);
      expect(wait.settled()).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(wait.settled()).toBe(true);
      const error = await wait.result;
      expect(error).toBeInstanceOf(ConvaiTimeoutError);
      expect((error as Error).message).toContain("did not finish processing within 150 ms");
    });
  });

  it("rejects with the abort reason at once", async () => {
    await withFakeTimers(async () => {
      const { convai, calls } = clientWith(processing);
      const controller = new AbortController();
      const wait = tracked(waitUntilDone(convai, "conv_1", { signal: controller.signal }));
      await vi.advanceTimersByTimeAsync(50);
      expect(calls.length).toBeGreaterThan(0);
      controller.abort(new Error("shutting down"));
      await vi.advanceTimersByTimeAsync(0); // no time passes: the abort alone ends the wait
      expect(wait.settled()).toBe(true);
      expect(await wait.result).toMatchObject({ message: "shutting down" });
    });
  });

  it("polls details until the status is final (injected fetch)", async () => {
    const statuses = ["in-progress", "processing", "processing", "done"];
    const { convai, calls } = clientWith((_r, n) =>
      json({ conversation_id: "conv_1", agent_id: "a", status: statuses[n - 1], transcript: [] }),
    );
    expect((await waitUntilDone(convai, "conv_1", { pollMs: 5 })).status).toBe("done");
    expect(calls).toHaveLength(4);
  });
});
