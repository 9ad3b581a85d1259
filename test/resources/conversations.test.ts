/**
 * The conversation operations of the 2026 document: every list filter it declares, `format` on
 * details, message search (lazy pages), tags, analysis re-runs, the summary; and a status the
 * package does not know ends a wait instead of holding it to its deadline.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPERATIONS } from "../../src/generated/operations.ts";
import { createConvaiClient, reconcileConversations, waitUntilDone } from "../../src/index.ts";
import { isFinished } from "../../src/resources/wait.ts";
import { type Emulator, startEmulator } from "../../src/testing/index.ts";
import type { ConversationSummary } from "../../src/types.ts";
import { clientWith, json } from "../helpers.ts";

let emulator: Emulator;
let convai: ReturnType<typeof createConvaiClient>;
beforeAll(async () => {
  emulator = await startEmulator({ conversations: 25, seed: 4 });
  convai = createConvaiClient({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl });
});
afterAll(() => emulator.close());

const first = () => emulator.conversation(emulator.conversationIds()[0]!)!;

describe("conversations.list", () => {
  it("accepts every query parameter the spec declares, and sends it as given", async () => {
    const { convai: c, calls } = clientWith(() => json({ conversations: [], has_more: false, next_cursor: null }));
    const query = OPERATIONS.listConversations.query;
    // The 2026 filters the facade refused before it followed the spec's table.
    for (const name of ["visited_agent_ids", "exclude_statuses", "tag_ids", "topic_ids", "main_languages"]) {
      expect(Object.hasOwn(query, name), name).toBe(true);
    }
    await c.conversations
      .list({ exclude_statuses: ["failed"], tag_ids: ["tag_1", "tag_2"], branch_id: "b1", text_only: true })
      .toArray({ max: 10 });
    expect(calls[0]!.url.search).toBe(
      "?exclude_statuses=failed&tag_ids=tag_1&tag_ids=tag_2&branch_id=b1&text_only=true",
    );
  });

  it("refuses a value outside a new filter's enum, and a name the spec does not have, before any request", () => {
    const { convai: c, calls } = clientWith(() => json({}));
    expect(() => c.conversations.list({ exclude_statuses: ["gone" as never] })).toThrow(/exclude_statuses\[0\]/);
    expect(() => c.conversations.list({ tag_idz: ["x"] } as never)).toThrow(/unknown query parameter "tag_idz"/);
    expect(calls).toHaveLength(0);
  });
});

describe("conversations.get with format", () => {
  it("sends format=opentelemetry and returns the trace typed in otlp_traces", async () => {
    const traces = {
      resourceSpans: [
        {
          scopeSpans: [
            { spans: [{ traceId: "ab", spanId: "cd", name: "turn", startTimeUnixNano: "1", endTimeUnixNano: "2" }] },
          ],
        },
      ],
    };
    const { convai: c, calls } = clientWith(() => json({ ...first(), otlp_traces: traces }));
    const conversation = await c.conversations.get("conv_1", { format: "opentelemetry", timeoutMs: 5_000 });
    expect(calls[0]!.url.search).toBe("?format=opentelemetry");
    const span = conversation.otlp_traces.resourceSpans?.[0]?.scopeSpans?.[0]?.spans?.[0];
    expect(span?.name).toBe("turn");
  });

  it("sends no query without one, and refuses a format the spec does not list", async () => {
    const { convai: c, calls } = clientWith(() => json(first()));
    await c.conversations.get("conv_1");
    expect(calls[0]!.url.search).toBe("");
    await expect(c.conversations.get("conv_1", { format: "xml" as never })).rejects.toThrow(/format must be one of/);
    expect(calls).toHaveLength(1);
  });
});

describe("conversations.searchMessages and smartSearchMessages", () => {
  it("walks every page lazily, each hit naming its conversation and message", async () => {
    const word = (
      first().transcript.find((t) => typeof t.message === "string" && t.message.length > 12)!.message as string
    ).split(" ")[0]!;
    const pages = [];
    for await (const page of convai.conversations.searchMessages({ text_query: word, page_size: 2 }).pages()) {
      pages.push(page);
      if (pages.length === 3) break;
    }
    expect(pages.length).toBeGreaterThan(1);
    for (const hit of pages.flatMap((p) => p.results)) {
      const turn = emulator.conversation(hit.conversation_id)!.transcript[hit.transcript_index]!;
      expect(turn.message?.toLowerCase()).toContain(word.toLowerCase());
    }
    const smart = await convai.conversations.smartSearchMessages({ text_query: `${word} zzzz` }).toArray({ max: 5 });
    expect(smart.length).toBeGreaterThan(0);
  });

  it("refuses a search without text_query before any request", () => {
    const { convai: c, calls } = clientWith(() => json({}));
    expect(() => c.conversations.searchMessages({} as never)).toThrow(/text_query is required/);
    expect(calls).toHaveLength(0);
  });
});

describe("tags, analysis and summary", () => {
  it("adds and removes tags, which the conversation then carries", async () => {
    const id = emulator.conversationIds()[1]!;
    await convai.conversations.addTags(id, ["tag_a", "tag_b"]);
    expect((await convai.conversations.get(id)).tag_ids).toEqual(["tag_a", "tag_b"]);
    await convai.conversations.removeTag(id, "tag_a");
    expect((await convai.conversations.get(id)).tag_ids).toEqual(["tag_b"]);
    await expect(convai.conversations.addTags(id, [])).rejects.toThrow(/tagIds must be a non-empty array/);
  });

  it("re-runs the analysis and one evaluation, each returning the conversation", async () => {
    const id = emulator.conversationIds()[2]!;
    expect((await convai.conversations.runAnalysis(id)).conversation_id).toBe(id);
    const evaluated = await convai.conversations.runEvaluation(id, { evaluation_id: "issue_resolved" });
    expect(evaluated.conversation_id).toBe(id);
  });

  it("sends the re-runs once: a POST is not retried", async () => {
    const { convai: c, calls } = clientWith(() => json({ detail: "busy" }, { status: 503 }));
    await expect(c.conversations.runAnalysis("conv_1")).rejects.toMatchObject({ status: 503 });
    expect(calls).toHaveLength(1);
  });

  it("summarises a conversation, its messages inline only when they fit", async () => {
    const id = emulator.conversationIds()[0]!;
    const full = await convai.conversations.summary(id, { max_messages: 200 });
    expect(full).toMatchObject({ conversation_id: id, messages_omitted: false });
    const short = await convai.conversations.summary(id, { max_messages: 1 });
    expect(short).toMatchObject({ messages: null, messages_omitted: true });
  });
});

describe("statuses", () => {
  it("counts every status but initiated, in-progress and processing as finished, unknown ones too", () => {
    expect(["initiated", "in-progress", "processing"].map(isFinished)).toEqual([false, false, false]);
    expect(["done", "failed", "cancelled"].map(isFinished)).toEqual([true, true, true]);
  });

  it("ends waitUntilDone on a status the spec does not list, in one poll", async () => {
    const { convai: c, calls } = clientWith(() => json({ ...first(), status: "cancelled" }));
    const got = await waitUntilDone(c, "conv_1", { pollMs: 10, totalTimeoutMs: 60_000 });
    expect(got.status).toBe("cancelled");
    expect(calls).toHaveLength(1);
  });

  it("gives reconcile a conversation with an unknown status as finished", async () => {
    const summary = (id: string, status: string) =>
      ({
        conversation_id: id,
        agent_id: "a",
        status,
        start_time_unix_secs: 2_000_000_000,
      }) as unknown as ConversationSummary;
    const { convai: c } = clientWith(() =>
      json({
        conversations: [summary("c1", "cancelled"), summary("c2", "processing")],
        has_more: false,
        next_cursor: null,
      }),
    );
    const got = [];
    for await (const s of reconcileConversations(c, { startedAfter: 1_000, seen: new Set<string>() }))
      got.push(s.conversation_id);
    expect(got).toEqual(["c1"]);
  });
});

describe("the emulator", () => {
  it("answers 501 with a clear body to an operation of the spec it does not emulate", async () => {
    const res = await fetch(
      `${emulator.baseUrl}/v1/convai/conversations/${emulator.conversationIds()[0]}/sip-messages`,
      {
        headers: { "xi-api-key": emulator.apiKey },
      },
    );
    expect(res.status).toBe(501);
    expect(await res.json()).toEqual({
      detail: { status: "not_implemented", message: expect.stringContaining("getConversationSipMessages") },
    });
  });
});
