/**
 * The emulator, over HTTP with the global fetch: every route against the spec's shapes, the
 * list's ordering, filters and cursors, session lifecycles, faults, and the data set's variety.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { WebSocket as WS } from "ws";
import { makeConversation, startEmulator, type Emulator, type EmulatorOptions } from "../../src/testing/index.ts";
import { Timers, longTimeout } from "../../src/testing/http/timers.ts";
import { toolCalls } from "../../src/index.ts";
import { membersAt, requiresField } from "../../src/testing/state/conform.ts";
import type {
  Conversation,
  ConversationSummary,
  ConversationsPage,
  ToolCall,
  ToolResult,
  TranscriptTurn,
  WorkflowStep,
} from "../../src/types.ts";

type Call = (path: string, init?: RequestInit & { headers?: Record<string, string> }) => Promise<Response>;

/** fetch against an emulator, with its key unless the caller sets the headers. */
function client(emulator: Emulator): Call {
  return (path, init = {}) =>
    fetch(`${emulator.baseUrl}${path}`, { ...init, headers: { "xi-api-key": emulator.apiKey, ...init.headers } });
}

/** Every summary the list returns for `query`, walking the cursor with pages of `pageSize`. */
async function listAll(call: Call, query = "", pageSize = 100): Promise<ConversationSummary[]> {
  const out: ConversationSummary[] = [];
  let cursor: string | null | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const params = new URLSearchParams(query);
    params.set("page_size", String(pageSize));
    if (cursor) params.set("cursor", cursor);
    const res = await call(`/v1/convai/conversations?${params}`);
    expect(res.status).toBe(200);
    const page = (await res.json()) as ConversationsPage;
    out.push(...page.conversations);
    if (!page.has_more) {
      expect(page.next_cursor).toBeNull();
      return out;
    }
    cursor = page.next_cursor;
    expect(typeof cursor).toBe("string");
  }
  throw new Error("the list did not end");
}

async function startWith(options: EmulatorOptions, started: Emulator[]): Promise<[Emulator, Call]> {
  const emulator = await startEmulator(options);
  started.push(emulator);
  return [emulator, client(emulator)];
}

function decodeJwtPart(part: string): Record<string, unknown> {
  expect(part).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
}

/** Tool names a transcript calls, nested workflow calls included. */
function toolNames(conversation: Conversation): Set<string> {
  const names = new Set<string>();
  for (const turn of conversation.transcript) {
    for (const call of turn.tool_calls ?? []) names.add(call.tool_name);
    for (const result of turn.tool_results ?? []) {
      if (result.type !== "workflow") continue;
      for (const step of result.result?.steps ?? []) {
        if (step.type === "nested_tools") for (const call of step.requests) names.add(call.tool_name);
      }
    }
  }
  return names;
}

/** Every variant a set of transcripts shows, results nested in workflow steps included. */
function variants(conversations: Conversation[]): Set<string> {
  const seen = new Set<string>();
  const visitResult = (result: ToolResult, where: string) => {
    if (result.type === "system") {
      expect(result).toHaveProperty("type", "system");
      if (result.result === null || result.result === undefined) seen.add(`${where}system:null`);
      else {
        expect(result.result).toHaveProperty("result_type");
        seen.add(`${where}system:${result.result.result_type}`);
      }
    } else if (result.type === "workflow") {
      seen.add(`${where}workflow`);
      for (const step of result.result?.steps ?? []) visitStep(step);
    } else if (result.type === "api_integration_webhook") {
      seen.add(`${where}api_integration_webhook`);
    } else {
      const mode = !("type" in result) ? "absent" : result.type === null ? "null" : result.type;
      seen.add(`${where}other:${mode}`);
    }
  };
  const visitStep = (step: WorkflowStep) => {
    expect(step).toHaveProperty("type");
    seen.add(`step:${step.type}`);
    if (step.type === "nested_tools") {
      step.requests.forEach(visitCall);
      for (const result of step.results) visitResult(result, "nested:");
    }
  };
  const visitCall = (call: ToolCall) => {
    seen.add(`call:${call.tool_details === null || call.tool_details === undefined ? "null" : call.tool_details.type}`);
  };
  for (const conversation of conversations) {
    for (const turn of conversation.transcript) {
      (turn.tool_calls ?? []).forEach(visitCall);
      for (const result of turn.tool_results ?? []) visitResult(result, "");
    }
  }
  return seen;
}

const TOOL_RESULTS = ["transcript", "[]", "tool_results", "[]"];
/** Every system outcome the spec declares (the 2026 document: 16), from the spec, not a list here. */
const SYSTEM_RESULT_TYPES = [
  ...membersAt("getConversation", [...TOOL_RESULTS, "type=system", "result"], "result_type").keys(),
];
/** The `type`s of the results of client, webhook, mcp and code tools the spec declares. */
const OTHER_RESULT_TYPES = [...membersAt("getConversation", TOOL_RESULTS, "type").keys()].filter(
  (t) => !["system", "workflow", "api_integration_webhook"].includes(t),
);

const EVERY_VARIANT = [
  "call:webhook",
  "call:client",
  "call:mcp",
  "call:api_integration_webhook",
  "call:null",
  ...SYSTEM_RESULT_TYPES.map((t) => `system:${t}`),
  "system:null",
  "workflow",
  "step:edge",
  "step:nested_tools",
  "step:max_iterations_exceeded",
  "nested:system:transfer_to_agent_success",
  "nested:other:client",
  "api_integration_webhook",
  ...OTHER_RESULT_TYPES.map((t) => `other:${t}`),
  "other:null",
  "other:absent",
];

/** Calls and results pair up by request_id, each result on a later turn than its call. */
function expectPairedTools(transcript: TranscriptTurn[]): number {
  const calledOn = new Map<string, number>();
  const answered = new Set<string>();
  transcript.forEach((turn, i) => {
    for (const call of turn.tool_calls ?? []) {
      expect(turn.role).toBe("agent");
      expect(calledOn.has(call.request_id)).toBe(false);
      calledOn.set(call.request_id, i);
    }
    for (const result of turn.tool_results ?? []) {
      const at = calledOn.get(result.request_id);
      expect(at, `result ${result.request_id} has a call before it`).toBeLessThan(i);
      expect(answered.has(result.request_id)).toBe(false);
      answered.add(result.request_id);
    }
  });
  expect([...answered].sort()).toEqual([...calledOn.keys()].sort());
  return answered.size;
}

const started: Emulator[] = [];
let emulator: Emulator;
let api: Call;
/** The seeded data set, in list order, as the details endpoint serves it. */
let all: Conversation[];

beforeAll(async () => {
  [emulator, api] = await startWith({}, started);
  all = emulator.conversationIds().map((id) => emulator.conversation(id)!);
});

afterAll(async () => {
  await Promise.all(started.map((e) => e.close()));
});

describe("authentication", () => {
  const routes: [string, string][] = [
    ["GET", "/v1/convai/conversations"],
    ["GET", "/v1/convai/conversations/conv_x"],
    ["DELETE", "/v1/convai/conversations/conv_x"],
    ["GET", "/v1/convai/conversations/conv_x/audio"],
    ["POST", "/v1/convai/conversations/conv_x/feedback"],
    ["GET", "/v1/convai/agents/agent_x/link"],
    ["GET", "/v1/convai/conversation/token?agent_id=agent_x"],
    ["GET", "/v1/convai/conversation/get-signed-url?agent_id=agent_x"],
  ];

  it("answers 401 invalid_api_key on every route without a key", async () => {
    for (const [method, path] of routes) {
      const res = await fetch(`${emulator.baseUrl}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(await res.json()).toEqual({ detail: { status: "invalid_api_key", message: "Invalid API key" } });
    }
  });

  it("answers 401 to a wrong key and never echoes it, nor the real one", async () => {
    const wrong = "xi-wrong-key-5150deadbeef77";
    for (const [method, path] of routes) {
      const res = await fetch(`${emulator.baseUrl}${path}`, { method, headers: { "xi-api-key": wrong } });
      expect(res.status).toBe(401);
      const text = await res.text();
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(emulator.apiKey);
      expect([...res.headers.values()].join(" ")).not.toContain(wrong);
    }
  });

  it("uses a distinctive default key, and accepts a custom one", async () => {
    expect(emulator.apiKey).toMatch(/^xi-emulator-[0-9a-f]{16}$/);
    const [custom, call] = await startWith({ apiKey: "custom-key-123", conversations: 1 }, started);
    expect(custom.apiKey).toBe("custom-key-123");
    expect((await call("/v1/convai/conversations")).status).toBe(200);
    const other = await fetch(`${custom.baseUrl}/v1/convai/conversations`, {
      headers: { "xi-api-key": emulator.apiKey },
    });
    expect(other.status).toBe(401);
  });
});

describe("routing and headers", () => {
  it("answers 404 Not Found to unknown routes and 405 to a wrong method", async () => {
    const unknown = await api("/v1/convai/nothing-here");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ detail: "Not Found" });
    const wrongMethod = await api("/v1/convai/conversations", { method: "POST" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("content-type")).toBe("application/json");
    expect(wrongMethod.headers.get("allow")).toBe("GET");
    const patch = await api(`/v1/convai/conversations/${all[0]!.conversation_id}`, { method: "PATCH" });
    expect(patch.status).toBe(405);
    expect(patch.headers.get("allow")).toBe("GET, DELETE");
  });

  it("numbers every response with a request-id header", async () => {
    const [, call] = await startWith({ conversations: 2 }, started);
    const ids = [];
    for (const path of ["/v1/convai/conversations", "/nope", "/v1/convai/conversations/conv_missing"]) {
      ids.push((await call(path)).headers.get("request-id"));
    }
    expect(ids).toEqual(["req_000001", "req_000002", "req_000003"]);
    const unauthorized = await fetch(`${started.at(-1)!.baseUrl}/v1/convai/conversations`);
    expect(unauthorized.headers.get("request-id")).toBe("req_000004");
  });
});

describe("list", () => {
  it("returns 30 by default, newest first, with the spec's summary fields", async () => {
    const res = await api("/v1/convai/conversations");
    expect(res.headers.get("content-type")).toBe("application/json");
    const page = (await res.json()) as ConversationsPage;
    expect(page.conversations).toHaveLength(30);
    expect(page.has_more).toBe(true);
    expect(typeof page.next_cursor).toBe("string");
    expect(page.conversations.map((c) => c.conversation_id)).toEqual(all.slice(0, 30).map((c) => c.conversation_id));
    for (const summary of page.conversations) {
      // The fields every version has, in this order; a version's required fields come after them.
      expect(Object.keys(summary).slice(0, 13)).toEqual([
        "agent_id",
        "branch_id",
        "agent_name",
        "conversation_id",
        "start_time_unix_secs",
        "call_duration_secs",
        "message_count",
        "status",
        "call_successful",
        "transcript_summary",
        "call_summary_title",
        "direction",
        "rating",
      ]);
      const full = all.find((c) => c.conversation_id === summary.conversation_id)!;
      expect(summary).toMatchObject({
        agent_id: full.agent_id,
        branch_id: null,
        agent_name: expect.any(String),
        conversation_id: full.conversation_id,
        start_time_unix_secs: full.metadata.start_time_unix_secs,
        call_duration_secs: full.metadata.call_duration_secs,
        message_count: full.transcript.length,
        status: full.status,
        call_successful: full.analysis?.call_successful ?? "unknown",
        transcript_summary: null,
        call_summary_title: full.analysis?.call_summary_title ?? null,
        direction: full.metadata.phone_call?.direction ?? null,
        rating: full.metadata.feedback?.rating ?? null,
      });
    }
  });

  it("orders by start time, then conversation id, both descending", async () => {
    const listed = await listAll(api);
    expect(listed).toHaveLength(60);
    for (let i = 1; i < listed.length; i++) {
      const [a, b] = [listed[i - 1]!, listed[i]!];
      expect(a.start_time_unix_secs).toBeGreaterThanOrEqual(b.start_time_unix_secs);
    }
    const [, call] = await startWith({ conversations: 0 }, started);
    const tied = ["conv_bbb", "conv_ccc", "conv_aaa"].map((id) =>
      makeConversation({ seed: 1, conversation_id: id, start_time_unix_secs: 1_700_000_000 }),
    );
    const e = started.at(-1)!;
    for (const c of tied) e.addConversation(c);
    e.addConversation(makeConversation({ seed: 2, conversation_id: "conv_aab", start_time_unix_secs: 1_700_000_001 }));
    expect((await listAll(call)).map((c) => c.conversation_id)).toEqual([
      "conv_aab",
      "conv_ccc",
      "conv_bbb",
      "conv_aaa",
    ]);
    expect(e.conversationIds()).toEqual(["conv_aab", "conv_ccc", "conv_bbb", "conv_aaa"]);
  });

  it("validates page_size: 1..100, integers only, 422 in FastAPI's shape", async () => {
    expect(
      ((await (await api("/v1/convai/conversations?page_size=100")).json()) as ConversationsPage).conversations,
    ).toHaveLength(60);
    expect(
      ((await (await api("/v1/convai/conversations?page_size=1")).json()) as ConversationsPage).conversations,
    ).toHaveLength(1);
    for (const [value, type] of [
      ["101", "less_than_equal"],
      ["0", "greater_than_equal"],
      ["-5", "greater_than_equal"],
      ["ten", "int_parsing"],
      ["1.5", "int_parsing"],
    ]) {
      const res = await api(`/v1/convai/conversations?page_size=${value}`);
      expect(res.status, value).toBe(422);
      const body = (await res.json()) as { detail: { loc: unknown[]; msg: string; type: string }[] };
      expect(body.detail).toHaveLength(1);
      expect(body.detail[0]).toMatchObject({ loc: ["query", "page_size"], type });
      expect(typeof body.detail[0]!.msg).toBe("string");
    }
  });

  it("includes transcript_summary only with summary_mode=include", async () => {
    const include = await listAll(api, "summary_mode=include");
    const exclude = await listAll(api, "summary_mode=exclude");
    include.forEach((summary, i) => {
      const full = all[i]!;
      expect(summary.transcript_summary).toBe(full.analysis?.transcript_summary ?? null);
      expect(exclude[i]!.transcript_summary ?? null).toBeNull();
    });
    expect(include.some((s) => typeof s.transcript_summary === "string")).toBe(true);
    const bad = await api("/v1/convai/conversations?summary_mode=full");
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { detail: { loc: unknown[] }[] }).detail[0]!.loc).toEqual(["query", "summary_mode"]);
  });

  describe("filters", () => {
    /** The list with `query` returns exactly the conversations `keep` selects, in order. */
    async function expectFilter(query: string, keep: (c: Conversation) => boolean): Promise<void> {
      const expected = all.filter(keep).map((c) => c.conversation_id);
      expect(expected.length, `${query} selects some`).toBeGreaterThan(0);
      expect(expected.length, `${query} leaves some out`).toBeLessThan(all.length);
      const listed = await listAll(api, query, 7);
      expect(
        listed.map((c) => c.conversation_id),
        query,
      ).toEqual(expected);
    }
    const start = (c: Conversation) => c.metadata.start_time_unix_secs;
    const rating = (c: Conversation) => c.metadata.feedback?.rating ?? null;
    const data = (c: Conversation, id: string) => c.analysis?.data_collection_results?.[id]?.value;

    it("agent_id and user_id", async () => {
      const agent = all[0]!.agent_id;
      await expectFilter(`agent_id=${agent}`, (c) => c.agent_id === agent);
      const user = all.find((c) => c.user_id)!.user_id!;
      await expectFilter(`user_id=${user}`, (c) => c.user_id === user);
    });

    it("call_successful, and 422 for other values", async () => {
      for (const outcome of ["success", "failure", "unknown"] as const) {
        await expectFilter(`call_successful=${outcome}`, (c) => (c.analysis?.call_successful ?? "unknown") === outcome);
      }
      const res = await api("/v1/convai/conversations?call_successful=maybe");
      expect(res.status).toBe(422);
      expect(await res.json()).toMatchObject({ detail: [{ loc: ["query", "call_successful"], type: "enum" }] });
    });

    it("call_start_before_unix and call_start_after_unix (exclusive bounds)", async () => {
      const pivot = start(all[20]!);
      await expectFilter(`call_start_before_unix=${pivot}`, (c) => start(c) < pivot);
      await expectFilter(`call_start_after_unix=${pivot}`, (c) => start(c) > pivot);
      const low = start(all[40]!);
      await expectFilter(
        `call_start_after_unix=${low}&call_start_before_unix=${pivot}`,
        (c) => start(c) > low && start(c) < pivot,
      );
    });

    it("call_duration_min_secs and call_duration_max_secs (inclusive)", async () => {
      const durations = all.map((c) => c.metadata.call_duration_secs).sort((a, b) => a - b);
      const median = durations[30]!;
      await expectFilter(`call_duration_min_secs=${median}`, (c) => c.metadata.call_duration_secs >= median);
      await expectFilter(`call_duration_max_secs=${median}`, (c) => c.metadata.call_duration_secs <= median);
    });

    it("rating_min and rating_max (unrated conversations never match)", async () => {
      await expectFilter("rating_min=4", (c) => (rating(c) ?? -1) >= 4);
      await expectFilter("rating_max=2", (c) => rating(c) !== null && rating(c)! <= 2);
      await expectFilter("rating_min=2&rating_max=4", (c) => rating(c) !== null && rating(c)! >= 2 && rating(c)! <= 4);
    });

    it("has_feedback_comment", async () => {
      await expectFilter("has_feedback_comment=true", (c) => Boolean(c.metadata.feedback?.comment));
      await expectFilter("has_feedback_comment=false", (c) => !c.metadata.feedback?.comment);
    });

    it("evaluation_params, repeated criteria all apply", async () => {
      const result = (c: Conversation, id: string) => c.analysis?.evaluation_criteria_results?.[id]?.result;
      await expectFilter("evaluation_params=issue_resolved:success", (c) => result(c, "issue_resolved") === "success");
      await expectFilter(
        "evaluation_params=issue_resolved:success&evaluation_params=polite_tone:success",
        (c) => result(c, "issue_resolved") === "success" && result(c, "polite_tone") === "success",
      );
      await expectFilter(
        "evaluation_params=identity_verified:failure",
        (c) => result(c, "identity_verified") === "failure",
      );
    });

    it("data_collection_params with every operator", async () => {
      const num = (c: Conversation, id: string) => data(c, id) as number | null | undefined;
      await expectFilter(
        "data_collection_params=customer_intent:eq:refund",
        (c) => data(c, "customer_intent") === "refund",
      );
      await expectFilter(
        "data_collection_params=customer_intent:neq:refund",
        (c) => data(c, "customer_intent") !== undefined && data(c, "customer_intent") !== "refund",
      );
      await expectFilter("data_collection_params=order_total:gt:250", (c) => (num(c, "order_total") ?? -1) > 250);
      await expectFilter("data_collection_params=order_total:gte:100.5", (c) => (num(c, "order_total") ?? -1) >= 100.5);
      await expectFilter(
        "data_collection_params=order_total:lt:250",
        (c) => typeof num(c, "order_total") === "number" && num(c, "order_total")! < 250,
      );
      await expectFilter(
        "data_collection_params=satisfaction_score:lte:5",
        (c) => typeof num(c, "satisfaction_score") === "number" && num(c, "satisfaction_score")! <= 5,
      );
      await expectFilter(`data_collection_params=${encodeURIComponent("customer_intent:in:booking|billing")}`, (c) =>
        ["booking", "billing"].includes(data(c, "customer_intent") as string),
      );
      await expectFilter(
        "data_collection_params=callback_requested:eq:true",
        (c) => data(c, "callback_requested") === true,
      );
      await expectFilter("data_collection_params=order_total:exists", (c) => num(c, "order_total") != null);
      await expectFilter(
        "data_collection_params=satisfaction_score:missing",
        (c) => num(c, "satisfaction_score") == null,
      );
      await expectFilter(
        "data_collection_params=order_total:exists&data_collection_params=customer_intent:eq:delivery",
        (c) => num(c, "order_total") != null && data(c, "customer_intent") === "delivery",
      );
    });

    it("tool_names, repeated: the conversation used any of them", async () => {
      await expectFilter("tool_names=lookup_order", (c) => toolNames(c).has("lookup_order"));
      await expectFilter(
        "tool_names=create_zendesk_ticket&tool_names=show_product_card",
        (c) => toolNames(c).has("create_zendesk_ticket") || toolNames(c).has("show_product_card"),
      );
    });

    it("search: case-insensitive substring of transcript messages", async () => {
      const has = (c: Conversation, word: string) =>
        c.transcript.some((t) => (t.message ?? "").toLowerCase().includes(word.toLowerCase()));
      await expectFilter("search=REFUND", (c) => has(c, "refund"));
      await expectFilter(`search=${encodeURIComponent("password reset")}`, (c) => has(c, "password reset"));
      expect(await listAll(api, "search=zzzz-no-such-words")).toEqual([]);
    });

    it("combine: every filter applies", async () => {
      const agent = all[0]!.agent_id;
      await expectFilter(
        `agent_id=${agent}&call_successful=success&summary_mode=include`,
        (c) => c.agent_id === agent && c.analysis?.call_successful === "success",
      );
    });

    it("rejects malformed values with 422 at the parameter's location", async () => {
      for (const [query, name] of [
        ["call_start_before_unix=yesterday", "call_start_before_unix"],
        ["call_start_after_unix=1.5", "call_start_after_unix"],
        ["call_duration_min_secs=x", "call_duration_min_secs"],
        ["call_duration_max_secs=", "call_duration_max_secs"],
        ["rating_max=high", "rating_max"],
        ["rating_min=1e3", "rating_min"],
        ["has_feedback_comment=perhaps", "has_feedback_comment"],
        ["evaluation_params=issue_resolved", "evaluation_params"],
        ["evaluation_params=issue_resolved:great", "evaluation_params"],
        ["data_collection_params=order_total:approx:3", "data_collection_params"],
        ["data_collection_params=order_total:eq", "data_collection_params"],
        ["cursor=not-a-cursor", "cursor"],
      ]) {
        const res = await api(`/v1/convai/conversations?${query}`);
        expect(res.status, query).toBe(422);
        const body = (await res.json()) as { detail: { loc: unknown[]; msg: string; type: string }[] };
        expect(body.detail[0]!.loc, query).toEqual(["query", name]);
        expect(body.detail[0]!.msg.length).toBeGreaterThan(0);
      }
    });

    it("reports every invalid parameter at once", async () => {
      const res = await api("/v1/convai/conversations?page_size=500&rating_min=x&call_successful=no");
      const body = (await res.json()) as { detail: { loc: unknown[] }[] };
      expect(body.detail.map((d) => d.loc[1]).sort()).toEqual(["call_successful", "page_size", "rating_min"]);
    });
  });

  describe("cursors", () => {
    it("walks 1,234 conversations at page_size 100, each exactly once, in order", async () => {
      const [big, call] = await startWith({ conversations: 1234, seed: 5 }, started);
      const cursors = new Set<string>();
      const seen: string[] = [];
      let cursor: string | null | undefined;
      let pages = 0;
      do {
        const res = await call(`/v1/convai/conversations?page_size=100${cursor ? `&cursor=${cursor}` : ""}`);
        const page = (await res.json()) as ConversationsPage;
        pages++;
        seen.push(...page.conversations.map((c) => c.conversation_id));
        expect(page.conversations.length).toBe(page.has_more ? 100 : 34);
        cursor = page.next_cursor;
        if (cursor) {
          expect(cursors.has(cursor)).toBe(false);
          cursors.add(cursor);
        }
      } while (cursor);
      expect(pages).toBe(13);
      expect(new Set(seen).size).toBe(1234);
      expect(seen).toEqual(big.conversationIds());
    });

    it("stays valid when conversations are deleted between pages", async () => {
      const [e, call] = await startWith({ conversations: 50, seed: 9 }, started);
      const before = e.conversationIds();
      const first = (await (await call("/v1/convai/conversations?page_size=10")).json()) as ConversationsPage;
      expect(first.conversations.map((c) => c.conversation_id)).toEqual(before.slice(0, 10));
      // Delete the item the cursor points at, one already seen, and some not yet seen.
      const doomed = [before[9]!, before[2]!, before[10]!, before[11]!, before[25]!];
      for (const id of doomed) {
        expect((await call(`/v1/convai/conversations/${id}`, { method: "DELETE" })).status).toBe(200);
      }
      const rest: string[] = [];
      let cursor = first.next_cursor;
      while (cursor) {
        const page = (await (
          await call(`/v1/convai/conversations?page_size=10&cursor=${cursor}`)
        ).json()) as ConversationsPage;
        rest.push(...page.conversations.map((c) => c.conversation_id));
        cursor = page.next_cursor;
      }
      expect(rest).toEqual(before.slice(10).filter((id) => !doomed.includes(id)));
    });

    it("are opaque strings, and an empty cursor means the first page", async () => {
      const page = (await (await api("/v1/convai/conversations?page_size=5")).json()) as ConversationsPage;
      expect(page.next_cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      const again = (await (await api("/v1/convai/conversations?page_size=5&cursor=")).json()) as ConversationsPage;
      expect(again).toEqual(page);
    });
  });
});

describe("details, delete, feedback", () => {
  it("serves the full conversation in the spec's shape", async () => {
    const newest = all[0]!;
    const res = await api(`/v1/convai/conversations/${newest.conversation_id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = (await res.json()) as Conversation;
    expect(body).toEqual(newest);
    for (const key of ["agent_id", "conversation_id", "status", "transcript", "metadata"])
      expect(body).toHaveProperty(key);
    for (const key of ["has_audio", "has_user_audio", "has_response_audio"])
      expect(typeof body[key as "has_audio"]).toBe("boolean");
    expect(body.conversation_id).toMatch(/^conv_[a-z0-9]+$/);
    expect(body.agent_id).toMatch(/^agent_[a-z0-9]+$/);
    expect(body.status).toBe("done");
    expect(typeof body.metadata.start_time_unix_secs).toBe("number");
    expect(body.analysis).toMatchObject({
      call_successful: expect.any(String),
      transcript_summary: expect.any(String),
    });
    body.transcript.forEach((turn, i) => {
      expect(turn.role).toBe(i % 2 === 0 ? "agent" : "user");
      expect(typeof turn.time_in_call_secs).toBe("number");
    });
  });

  it("returns copies: changing one does not change what is served", async () => {
    const id = all[1]!.conversation_id;
    const copy = emulator.conversation(id)!;
    copy.status = "failed";
    copy.transcript.length = 0;
    expect(emulator.conversation(id)).toEqual(all[1]);
  });

  it("answers 404 conversation_not_found for unknown ids", async () => {
    for (const path of ["/v1/convai/conversations/conv_nope", "/v1/convai/conversations/conv_nope/audio"]) {
      const res = await api(path);
      expect(res.status).toBe(404);
      const body = (await res.json()) as { detail: { status: string; message: string } };
      expect(body.detail.status).toBe("conversation_not_found");
      expect(typeof body.detail.message).toBe("string");
    }
    expect(emulator.conversation("conv_nope")).toBeUndefined();
    expect(emulator.audio("conv_nope")).toBeUndefined();
  });

  it("deletes: 200 null, then 404 everywhere and gone from the list", async () => {
    const [e, call] = await startWith({ conversations: 12, seed: 3 }, started);
    const id = e.conversationIds().find((x) => e.conversation(x)!.has_audio)!;
    const res = await call(`/v1/convai/conversations/${id}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.text()).toBe("null");
    expect((await call(`/v1/convai/conversations/${id}`)).status).toBe(404);
    expect((await call(`/v1/convai/conversations/${id}/audio`)).status).toBe(404);
    expect((await call(`/v1/convai/conversations/${id}`, { method: "DELETE" })).status).toBe(404);
    const feedback = await call(`/v1/convai/conversations/${id}/feedback`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ feedback: "like" }),
    });
    expect(feedback.status).toBe(404);
    expect((await listAll(call)).map((c) => c.conversation_id)).not.toContain(id);
    expect(e.conversationIds()).toHaveLength(11);
    expect(e.conversation(id)).toBeUndefined();
  });

  it("records feedback: like, dislike, and null to clear", async () => {
    const [e, call] = await startWith({ conversations: 5, seed: 4 }, started);
    const id = e.conversationIds()[2]!;
    const before = e.conversation(id)!;
    const send = (body: unknown) =>
      call(`/v1/convai/conversations/${id}/feedback`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    for (const [score, likes, dislikes] of [
      ["like", 1, 0],
      ["dislike", 0, 1],
      [null, 0, 0],
    ] as const) {
      const res = await send({ feedback: score });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({});
      const after = (await (await call(`/v1/convai/conversations/${id}`)).json()) as Conversation;
      expect(after.metadata.feedback).toMatchObject({ overall_score: score, likes, dislikes });
      // Only the thumbs change; the rating and comment stay.
      expect(after.metadata.feedback?.rating).toBe(before.metadata.feedback?.rating);
      expect(after.metadata.feedback?.comment).toBe(before.metadata.feedback?.comment);
      expect(e.conversation(id)!.metadata.feedback?.overall_score).toBe(score);
    }
  });

  it("validates the feedback body with 422 in FastAPI's shape", async () => {
    const id = all[0]!.conversation_id;
    const send = (body: string) =>
      api(`/v1/convai/conversations/${id}/feedback`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
    for (const body of ['{"feedback":"meh"}', '{"feedback":1}', "{}", '{"score":"like"}']) {
      const res = await send(body);
      expect(res.status, body).toBe(422);
      expect(((await res.json()) as { detail: { loc: unknown[] }[] }).detail[0]!.loc).toEqual(["body", "feedback"]);
    }
    for (const body of ["not json", "[1]", '"like"']) {
      const res = await send(body);
      expect(res.status, body).toBe(422);
      expect(((await res.json()) as { detail: { loc: unknown[] }[] }).detail[0]!.loc[0]).toBe("body");
    }
    expect(emulator.conversation(id)).toEqual(all[0]);
  });
});

describe("audio", () => {
  it("streams audio/mpeg with Content-Length, the bytes audio(id) returns", async () => {
    const id = all[0]!.conversation_id;
    const res = await api(`/v1/convai/conversations/${id}/audio`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("audio/mpeg");
    expect(res.headers.get("content-length")).toBe("48000");
    expect(res.headers.get("request-id")).toMatch(/^req_\d{6}$/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(bytes.length).toBe(48_000);
    expect(Buffer.from(bytes.subarray(0, 3)).toString("latin1")).toBe("ID3");
    expect(bytes).toEqual(emulator.audio(id));
    // Different conversations, different recordings.
    const other = all.find((c, i) => i > 0 && c.has_audio)!;
    expect(Buffer.compare(emulator.audio(other.conversation_id)!, bytes)).not.toBe(0);
  });

  it("answers 404 when the conversation has no audio", async () => {
    const silent = all.find((c) => !c.has_audio)!;
    expect(silent).toBeDefined();
    const res = await api(`/v1/convai/conversations/${silent.conversation_id}/audio`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(((await res.json()) as { detail: { status: string } }).detail.status).toBeTypeOf("string");
    expect(emulator.audio(silent.conversation_id)).toBeUndefined();
  });

  it("streams a large recording of an added conversation, chunk by chunk", async () => {
    const [e, call] = await startWith({ conversations: 0, audioBytes: 1000 }, started);
    const conversation = makeConversation({ seed: 77, conversation_id: "conv_bigaudio1" });
    conversation.has_audio = true;
    const size = 24 * 1024 * 1024 + 3;
    e.addConversation(conversation, { audioBytes: size });
    const res = await call("/v1/convai/conversations/conv_bigaudio1/audio");
    expect(res.headers.get("content-length")).toBe(String(size));
    const hash = createHash("sha256");
    let received = 0;
    let chunks = 0;
    for await (const chunk of res.body!) {
      hash.update(chunk);
      received += chunk.length;
      chunks++;
    }
    expect(received).toBe(size);
    expect(chunks).toBeGreaterThan(1);
    expect(hash.digest("hex")).toBe(createHash("sha256").update(e.audio("conv_bigaudio1")!).digest("hex"));
  });
});

describe("agent link", () => {
  it("returns the agent's shareable-link token", async () => {
    const agent = all[0]!.agent_id;
    const res = await api(`/v1/convai/agents/${agent}/link`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toEqual({
      agent_id: agent,
      token: {
        agent_id: agent,
        conversation_token: expect.stringMatching(/^cvtkn_[a-z0-9]+$/),
        expiration_time_unix_secs: null,
        conversation_id: null,
        purpose: "shareable_link",
        token_requester_user_id: expect.any(String),
      },
    });
    expect(await (await api(`/v1/convai/agents/${agent}/link`)).json()).toEqual(body);
  });

  it("answers 404 agent_not_found for unknown agents", async () => {
    const res = await api("/v1/convai/agents/agent_nobody/link");
    expect(res.status).toBe(404);
    expect(((await res.json()) as { detail: { status: string } }).detail.status).toBe("agent_not_found");
  });
});

describe("sessions", () => {
  it("mints a LiveKit-style HS256 JWT naming the room of a new conversation", async () => {
    const [e, call] = await startWith({ conversations: 3 }, started);
    const agent = e.conversation(e.conversationIds()[0]!)!.agent_id;
    const before = Math.floor(Date.now() / 1000);
    const res = await call(`/v1/convai/conversation/token?agent_id=${agent}&participant_name=Ada&branch_id=agtbrch_1`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string };
    // The conversation id comes along where the spec requires it (the 2026 document does).
    expect(Object.keys(body)).toEqual(
      requiresField("getConversationToken", "conversation_id") ? ["token", "conversation_id"] : ["token"],
    );
    const parts = body.token.split(".");
    expect(parts).toHaveLength(3);
    expect(decodeJwtPart(parts[0]!)).toEqual({ alg: "HS256", typ: "JWT" });
    const payload = decodeJwtPart(parts[1]!);
    expect(parts[2]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(payload).toEqual({
      iss: expect.any(String),
      sub: "Ada",
      nbf: expect.any(Number),
      exp: (payload.nbf as number) + 600,
      name: "Ada",
      video: {
        room: expect.stringMatching(/^room_agent_[a-z0-9]+_conv_[a-z0-9]+$/),
        roomJoin: true,
        canPublish: true,
        canSubscribe: true,
        canPublishData: true,
      },
    });
    expect(payload.nbf).toBeGreaterThanOrEqual(before);
    const room = (payload.video as { room: string }).room;
    expect(room.startsWith(`room_${agent}_conv_`)).toBe(true);
    const conversationId = room.slice(`room_${agent}_`.length);
    const created = (await (await call(`/v1/convai/conversations/${conversationId}`)).json()) as Conversation;
    expect(created).toMatchObject({ conversation_id: conversationId, agent_id: agent, branch_id: "agtbrch_1" });
    expect(created.metadata.start_time_unix_secs).toBeGreaterThanOrEqual(before);
    expect(e.conversationIds()).toContain(conversationId);
  });

  it("uses a generated identity without participant_name, and can include conversation_id", async () => {
    const [e, call] = await startWith({ conversations: 2, tokenResponseIncludesConversationId: true }, started);
    const agent = e.conversation(e.conversationIds()[0]!)!.agent_id;
    const body = (await (await call(`/v1/convai/conversation/token?agent_id=${agent}`)).json()) as {
      token: string;
      conversation_id: string;
    };
    const payload = decodeJwtPart(body.token.split(".")[1]!);
    expect(payload.sub).toEqual(expect.any(String));
    expect((payload.sub as string).length).toBeGreaterThan(0);
    expect(payload).not.toHaveProperty("name");
    expect(body.conversation_id).toMatch(/^conv_[a-z0-9]+$/);
    expect((payload.video as { room: string }).room).toBe(`room_${agent}_${body.conversation_id}`);
  });

  it("validates the token query: 422 without agent_id, 404 for unknown agents", async () => {
    const missing = await api("/v1/convai/conversation/token");
    expect(missing.status).toBe(422);
    expect(await missing.json()).toMatchObject({ detail: [{ loc: ["query", "agent_id"], type: "missing" }] });
    const unknown = await api("/v1/convai/conversation/token?agent_id=agent_nobody");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { detail: { status: string } }).detail.status).toBe("agent_not_found");
    const signed = await api("/v1/convai/conversation/get-signed-url");
    expect(signed.status).toBe(422);
    expect(await signed.json()).toMatchObject({ detail: [{ loc: ["query", "agent_id"], type: "missing" }] });
    expect((await api("/v1/convai/conversation/get-signed-url?agent_id=agent_nobody")).status).toBe(404);
    const badBool = await api(
      `/v1/convai/conversation/get-signed-url?agent_id=${all[0]!.agent_id}&include_conversation_id=maybe`,
    );
    expect(badBool.status).toBe(422);
  });

  it("signs a wss URL, naming a new conversation only with include_conversation_id", async () => {
    const [e, call] = await startWith({ conversations: 3 }, started);
    const agent = e.conversation(e.conversationIds()[0]!)!.agent_id;
    const plain = (await (await call(`/v1/convai/conversation/get-signed-url?agent_id=${agent}`)).json()) as {
      signed_url: string;
    };
    const url = new URL(plain.signed_url);
    expect(url.protocol).toBe("wss:");
    expect(url.host).toBe(new URL(e.baseUrl).host);
    expect(url.pathname).toBe("/v1/convai/conversation");
    expect([...url.searchParams.keys()]).toEqual(["agent_id", "conversation_signature"]);
    expect(url.searchParams.get("agent_id")).toBe(agent);
    expect(url.searchParams.get("conversation_signature")).toMatch(/^\S{10,}$/);
    expect(e.conversationIds()).toHaveLength(3);

    const withId = (await (
      await call(`/v1/convai/conversation/get-signed-url?agent_id=${agent}&include_conversation_id=true`)
    ).json()) as { signed_url: string };
    expect(withId.signed_url).toMatch(
      /^wss:\/\/[^/]+\/v1\/convai\/conversation\?agent_id=.+&conversation_signature=.+&conversation_id=conv_[a-z0-9]+$/,
    );
    const id = new URL(withId.signed_url).searchParams.get("conversation_id")!;
    expect(e.conversationIds()).toContain(id);
    const created = (await (await call(`/v1/convai/conversations/${id}`)).json()) as Conversation;
    expect(created.metadata.authorization_method).toBe("signed_url");
  });

  it("moves created conversations through their lifecycle as Date moves", async () => {
    // Only Date is fake: the emulator reads it for a conversation's phase, and the test sets it to
    // the first and last millisecond of each phase in turn, whatever the machine's load.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      await lifecycle();
    } finally {
      vi.useRealTimers();
    }
  });

  async function lifecycle() {
    const schedule = { inProgressAfterMs: 200, processingAfterMs: 450, doneAfterMs: 700 };
    const [e, call] = await startWith({ conversations: 2, lifecycle: schedule }, started);
    const agent = e.conversation(e.conversationIds()[0]!)!.agent_id;
    const minted = Date.now();
    const { token } = (await (await call(`/v1/convai/conversation/token?agent_id=${agent}`)).json()) as {
      token: string;
    };
    const id = /conv_[a-z0-9]+$/.exec((decodeJwtPart(token.split(".")[1]!).video as { room: string }).room)![0];
    const phases = ["hidden", "in-progress", "processing", "done"];
    const moments: [number, string][] = [
      [0, "hidden"],
      [199, "hidden"],
      [200, "in-progress"],
      [449, "in-progress"],
      [450, "processing"],
      [699, "processing"],
      [700, "done"],
      [950, "done"],
    ];
    const observed: { status: string; body?: Conversation }[] = [];
    const listedStatuses: string[] = [];
    for (const [ms, expected] of moments) {
      vi.setSystemTime(minted + ms);
      const res = await call(`/v1/convai/conversations/${id}`);
      const body = res.status === 200 ? ((await res.json()) as Conversation) : undefined;
      if (!body) expect(await res.json()).toMatchObject({ detail: { status: "conversation_not_found" } });
      const status = body?.status ?? "hidden";
      expect(status, `details at ${ms} ms`).toBe(expected);
      observed.push({ status, ...(body ? { body } : {}) });
      const summary = (await listAll(call, `agent_id=${agent}`)).find((c) => c.conversation_id === id);
      expect(summary?.status ?? "hidden", `list at ${ms} ms`).toBe(expected);
      listedStatuses.push(summary?.status ?? "hidden");
    }
    const changes = (list: string[]) => list.filter((s, i) => s !== list[i - 1]);
    expect(changes(observed.map((o) => o.status))).toEqual(phases);
    expect(changes(listedStatuses)).toEqual(phases);
    const inProgress = observed.find((o) => o.status === "in-progress")!.body!;
    expect(inProgress.transcript).toEqual([]);
    expect(inProgress.analysis ?? null).toBeNull();
    expect(inProgress.has_audio).toBe(false);
    const processing = observed.find((o) => o.status === "processing")!.body!;
    expect(processing.analysis ?? null).toBeNull();
    const done = observed.at(-1)!.body!;
    expect(done.transcript.length).toBeGreaterThan(0);
    expect(done.analysis).toMatchObject({
      call_successful: expect.any(String),
      transcript_summary: expect.any(String),
    });
    expect(done.has_audio).toBe(true);
    expect((await call(`/v1/convai/conversations/${id}/audio`)).status).toBe(200);
    const summary = (await listAll(call, `agent_id=${agent}`)).find((c) => c.conversation_id === id)!;
    expect(summary).toMatchObject({ status: "done", message_count: done.transcript.length });
  }

  it("can end created conversations as failed", async () => {
    const [e, call] = await startWith(
      {
        conversations: 1,
        lifecycle: { inProgressAfterMs: 0, processingAfterMs: 0, doneAfterMs: 0, outcome: "failed" },
      },
      started,
    );
    const agent = e.conversation(e.conversationIds()[0]!)!.agent_id;
    const res = await call(`/v1/convai/conversation/get-signed-url?agent_id=${agent}&include_conversation_id=1`);
    const id = new URL(((await res.json()) as { signed_url: string }).signed_url).searchParams.get("conversation_id")!;
    const body = (await (await call(`/v1/convai/conversations/${id}`)).json()) as Conversation;
    expect(body.status).toBe("failed");
    expect(body.transcript.length).toBeGreaterThan(0);
    expect(body.analysis?.call_successful).toBe("failure");
    expect(body.metadata.error).toMatchObject({ code: expect.any(Number) });
  });
});

describe("faults", () => {
  it("answers a scripted status with Retry-After, then normally", async () => {
    const [e, call] = await startWith({ conversations: 3 }, started);
    e.fault("listConversations", { kind: "status", status: 503, retryAfter: 2 });
    const faulted = await call("/v1/convai/conversations");
    expect(faulted.status).toBe(503);
    expect(faulted.headers.get("retry-after")).toBe("2");
    expect(faulted.headers.get("content-type")).toBe("application/json");
    expect(((await faulted.json()) as { detail: unknown }).detail).toBeDefined();
    expect((await call("/v1/convai/conversations")).status).toBe(200);
    // A custom body, an HTTP-date Retry-After, for `times` requests.
    e.fault("getConversation", {
      kind: "status",
      status: 429,
      retryAfter: "Wed, 21 Oct 2065 07:28:00 GMT",
      body: { detail: "slow down" },
      times: 2,
    });
    const id = e.conversationIds()[0]!;
    for (let i = 0; i < 2; i++) {
      const res = await call(`/v1/convai/conversations/${id}`);
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("Wed, 21 Oct 2065 07:28:00 GMT");
      expect(await res.json()).toEqual({ detail: "slow down" });
    }
    expect((await call(`/v1/convai/conversations/${id}`)).status).toBe(200);
    expect(e.requests.map((r) => r.status)).toEqual([503, 200, 429, 429, 200]);
  });

  it("queues faults per operation, first in first out, and '*' matches any request", async () => {
    const [e, call] = await startWith({ conversations: 3 }, started);
    e.fault("listConversations", { kind: "status", status: 500 });
    e.fault("listConversations", { kind: "status", status: 502 });
    e.fault("*", { kind: "status", status: 504 });
    const id = e.conversationIds()[0]!;
    expect((await call(`/v1/convai/conversations/${id}`)).status).toBe(504);
    expect((await call("/v1/convai/conversations")).status).toBe(500);
    expect((await call("/v1/convai/conversations")).status).toBe(502);
    expect((await call("/v1/convai/conversations")).status).toBe(200);
    e.fault("*", { kind: "status", status: 500, times: 5 });
    e.clearFaults();
    expect((await call("/v1/convai/conversations")).status).toBe(200);
    expect(() => e.fault("listConversation", { kind: "reset" })).toThrow(TypeError);
    expect(() => e.fault("*", { kind: "delay", ms: 5, times: 0 })).toThrow(RangeError);
  });

  it("delays, then answers normally", async () => {
    // The emulator's delay is a timer: on a fake clock the answer waits until the clock has moved
    // the whole delay, and the next request, without a fault, needs no time at all.
    const [e, call] = await startWith({ conversations: 3 }, started);
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      e.fault("getConversation", { kind: "delay", ms: 200 });
      const id = e.conversationIds()[0]!;
      let answered = false;
      const pending = call(`/v1/convai/conversations/${id}`).finally(() => (answered = true));
      // Not vi.waitUntil, which moves fake timers as it polls.
      while (e.requestCount("getConversation") === 0) await new Promise((resolve) => setImmediate(resolve));
      await vi.advanceTimersByTimeAsync(199);
      await new Promise((resolve) => setImmediate(resolve));
      expect(answered).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      const res = await pending;
      expect(res.status).toBe(200);
      expect(((await res.json()) as Conversation).conversation_id).toBe(id);
      expect((await call(`/v1/convai/conversations/${id}`)).status).toBe(200); // the clock has not moved
    } finally {
      vi.useRealTimers();
    }
  });

  it("resets the connection: fetch rejects", async () => {
    const [e, call] = await startWith({ conversations: 3 }, started);
    e.fault("listConversations", { kind: "reset" });
    await expect(call("/v1/convai/conversations")).rejects.toThrow();
    expect((await call("/v1/convai/conversations")).status).toBe(200);
    expect(e.requests.map((r) => r.status)).toEqual([0, 200]);
  });

  it("truncates a JSON body: headers arrive, reading the body rejects", async () => {
    const [e, call] = await startWith({ conversations: 3 }, started);
    e.fault("getConversation", { kind: "truncate" });
    const id = e.conversationIds()[0]!;
    const res = await call(`/v1/convai/conversations/${id}`);
    expect(res.status).toBe(200);
    expect(Number(res.headers.get("content-length"))).toBe(JSON.stringify(e.conversation(id)).length);
    await expect(res.text()).rejects.toThrow();
    expect((await call(`/v1/convai/conversations/${id}`)).status).toBe(200);
  });

  it("truncates audio after the given number of bytes", async () => {
    const [e, call] = await startWith({ conversations: 3, audioBytes: 300_000 }, started);
    const id = e.conversationIds().find((x) => e.conversation(x)!.has_audio)!;
    e.fault("getConversationAudio", { kind: "truncate", bytes: 100_000 });
    const res = await call(`/v1/convai/conversations/${id}/audio`);
    expect(res.headers.get("content-length")).toBe("300000");
    const received: Uint8Array[] = [];
    const read = (async () => {
      for await (const chunk of res.body!) received.push(chunk);
    })();
    await expect(read).rejects.toThrow();
    const got = Buffer.concat(received);
    expect(got.length).toBe(100_000);
    expect(got).toEqual(Buffer.from(e.audio(id)!.subarray(0, 100_000)));
  });

  it("closes promptly with requests in flight and idle keep-alive sockets", async () => {
    const e = await startEmulator({ conversations: 2 });
    const call = client(e);
    expect((await call("/v1/convai/conversations")).status).toBe(200); // leaves a keep-alive socket
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      e.fault("getConversation", { kind: "delay", ms: 10_000 });
      const pending = call(`/v1/convai/conversations/${e.conversationIds()[0]}`);
      while (e.requestCount("getConversation") === 0) await new Promise((resolve) => setImmediate(resolve));
      // Ten seconds of delay are left, and close() ends them rather than waiting: the fake clock
      // never moves, so a close that waited for the delay would never resolve.
      await e.close();
      await expect(pending).rejects.toThrow();
      await e.close(); // idempotent
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("request recording", () => {
  it("records every request in order with its operationId and status", async () => {
    const [e, call] = await startWith({ conversations: 4 }, started);
    const id = e.conversationIds()[0]!;
    await call("/v1/convai/conversations?page_size=2&tool_names=a&tool_names=b");
    await call(`/v1/convai/conversations/${id}`);
    await call("/v1/convai/conversations/conv_missing");
    await fetch(`${e.baseUrl}/v1/convai/conversations`);
    await call("/elsewhere?x=1");
    await call(`/v1/convai/conversations/${id}`, { method: "DELETE" });
    expect(e.requests).toEqual([
      {
        method: "GET",
        path: "/v1/convai/conversations",
        query: "page_size=2&tool_names=a&tool_names=b",
        operationId: "listConversations",
        status: 200,
      },
      { method: "GET", path: `/v1/convai/conversations/${id}`, query: "", operationId: "getConversation", status: 200 },
      {
        method: "GET",
        path: "/v1/convai/conversations/conv_missing",
        query: "",
        operationId: "getConversation",
        status: 404,
      },
      { method: "GET", path: "/v1/convai/conversations", query: "", operationId: "listConversations", status: 401 },
      { method: "GET", path: "/elsewhere", query: "x=1", operationId: undefined, status: 404 },
      {
        method: "DELETE",
        path: `/v1/convai/conversations/${id}`,
        query: "",
        operationId: "deleteConversation",
        status: 200,
      },
    ]);
    expect(e.requestCount()).toBe(6);
    expect(e.requestCount("listConversations")).toBe(2);
    expect(e.requestCount("getConversation")).toBe(2);
    expect(e.requestCount("getAgentLink")).toBe(0);
    e.resetRequests();
    expect(e.requestCount()).toBe(0);
    expect(e.requests).toEqual([]);
    await call("/v1/convai/conversations");
    expect(e.requestCount("listConversations")).toBe(1);
  });
});

describe("long-lived use", () => {
  it("keeps only the latest requests in its log, and counts them all", async () => {
    const [e, call] = await startWith({ conversations: 2, requestLogLimit: 50 }, started);
    const id = e.conversationIds()[0]!;
    for (let i = 0; i < 130; i++)
      await call(i % 2 ? `/v1/convai/conversations/${id}` : `/v1/convai/conversations?page_size=${(i % 90) + 1}`);
    expect(e.requests).toHaveLength(50);
    expect(e.requests.at(-1)).toMatchObject({ operationId: "getConversation", status: 200 });
    expect(e.requests[0]!.query).toBe(`page_size=${(80 % 90) + 1}`); // request 80 is the oldest kept
    expect(e.requestCount()).toBe(130);
    expect(e.requestCount("listConversations")).toBe(65);
    expect(e.requestCount("getConversation")).toBe(65);
    const [none] = await startWith({ conversations: 1, requestLogLimit: 0 }, started);
    await fetch(`${none.baseUrl}/v1/convai/conversations`);
    expect(none.requests).toEqual([]);
    expect(none.requestCount()).toBe(1);
  });

  it("answers a browser's CORS preflight for any origin and lets it read the answers", async () => {
    const [e] = await startWith({ conversations: 2 }, started);
    const preflight = await fetch(`${e.baseUrl}/v1/convai/conversations?page_size=1`, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:5173",
        "access-control-request-method": "GET",
        "access-control-request-headers": "xi-api-key",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-headers")).toBe("xi-api-key");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("GET");
    const answer = await fetch(`${e.baseUrl}/v1/convai/conversations?page_size=1`, {
      headers: { origin: "http://localhost:5173", "xi-api-key": e.apiKey },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("access-control-allow-origin")).toBe("*");
    expect(answer.headers.get("access-control-expose-headers")).toContain("request-id");
    const audio = await fetch(`${e.baseUrl}/v1/convai/conversations/${e.conversationIds()[0]}/audio`, {
      headers: { "xi-api-key": e.apiKey },
    });
    expect(audio.headers.get("access-control-allow-origin")).toBe("*");
    await audio.arrayBuffer();
  });

  it("injects random faults that depend on the seed and the request, not on arrival order", async () => {
    const [e] = await startWith({ conversations: 5 }, started);
    const paths = Array.from({ length: 40 }, (_, i) => `/v1/convai/conversations?page_size=${(i % 20) + 1}`);
    const statuses = async (order: string[]) => {
      const out = new Map<string, number[]>();
      for (const p of order) {
        const status = (await fetch(`${e.baseUrl}${p}`, { headers: { "xi-api-key": e.apiKey } })).status;
        out.set(p, [...(out.get(p) ?? []), status]);
      }
      return out;
    };
    const faults = [{ kind: "status" as const, status: 503 }];
    e.chaos({ rate: 0.5, seed: 3, faults });
    const forward = await statuses(paths);
    e.chaos({ rate: 0.5, seed: 3, faults });
    const backward = await statuses([...paths].reverse());
    for (const p of paths) expect(new Set(backward.get(p)), p).toEqual(new Set(forward.get(p)));
    const failed = [...forward.values()].flat().filter((s) => s === 503).length;
    expect(failed).toBeGreaterThan(5);
    expect(failed).toBeLessThan(35);
    const injected = e.chaos({ rate: 1, seed: 1, faults, operations: ["getAgentLink"] });
    expect((await statuses(paths.slice(0, 3))).get(paths[0]!)).toEqual([200]);
    expect(injected.size).toBe(0);
    e.chaos(undefined);
    expect(() => e.chaos({ rate: 2, faults })).toThrow(/rate must be from 0 to 1/);
    expect(() => e.chaos({ rate: 0.1, faults: [] })).toThrow(/at least one fault/);
  });
});

describe("seeded data", () => {
  it("is deterministic: the same seed serves byte-identical JSON and audio", async () => {
    const [a, callA] = await startWith({ seed: 42, conversations: 40 }, started);
    const [b, callB] = await startWith({ seed: 42, conversations: 40 }, started);
    const [c] = await startWith({ seed: 43, conversations: 40 }, started);
    const paths = ["/v1/convai/conversations?page_size=100&summary_mode=include"];
    for (const id of a.conversationIds().slice(0, 40)) {
      paths.push(`/v1/convai/conversations/${id}`);
    }
    paths.push(`/v1/convai/agents/${a.conversation(a.conversationIds()[0]!)!.agent_id}/link`);
    for (const path of paths) {
      const [ta, tb] = await Promise.all([(await callA(path)).text(), (await callB(path)).text()]);
      expect(ta, path).toBe(tb);
    }
    const withAudio = a.conversationIds().find((id) => a.conversation(id)!.has_audio)!;
    const [audioA, audioB] = await Promise.all([
      (await callA(`/v1/convai/conversations/${withAudio}/audio`)).arrayBuffer(),
      (await callB(`/v1/convai/conversations/${withAudio}/audio`)).arrayBuffer(),
    ]);
    expect(Buffer.from(audioA).equals(Buffer.from(audioB))).toBe(true);
    expect(c.conversationIds()).not.toEqual(a.conversationIds());
    expect(a.conversationIds()).toEqual(b.conversationIds());
  });

  it("has varied, consistent conversations over 30 days before `now`", () => {
    const statuses = new Set(all.map((c) => c.status));
    expect([...statuses].sort()).toEqual(["done", "failed", "in-progress", "initiated", "processing"]);
    const agents = new Set(all.map((c) => c.agent_id));
    expect(agents.size).toBe(4);
    for (const c of all) {
      const start = c.metadata.start_time_unix_secs;
      expect(start).toBeLessThan(1_763_700_000);
      expect(start).toBeGreaterThan(1_763_700_000 - 31 * 86_400);
      expect(c.has_audio && c.status !== "done" && c.status !== "failed").toBe(false);
      if (c.status === "done") expect(c.analysis).toBeTruthy();
    }
    const phone = new Set(all.map((c) => c.metadata.phone_call?.type ?? "none"));
    const declared = [...membersAt("getConversation", ["metadata", "phone_call"], "type").keys()];
    expect(declared).toEqual(expect.arrayContaining(["twilio", "sip_trunking", "exotel"]));
    expect([...phone].sort()).toEqual(["none", ...declared].sort());
    const whatsapp = all.filter((c) => c.metadata.whatsapp);
    expect(whatsapp.length).toBeGreaterThan(0);
    for (const c of whatsapp) {
      expect(c.metadata.whatsapp).not.toHaveProperty("whatsapp_business_account_id");
      expect(c.metadata.phone_call ?? null).toBeNull();
      expect(c.metadata.conversation_initiation_source).toBe("whatsapp");
      expect(c.has_audio).toBe(false);
      expect(c.transcript.every((t) => t.source_medium === "text")).toBe(true);
    }
    for (const c of all) {
      const lookups = c.transcript
        .flatMap((t) => t.tool_results ?? [])
        .filter((r) => r.type === "system" && r.result?.result_type.startsWith("knowledge_base"));
      expect(c.metadata.rag_usage?.usage_count ?? 0).toBe(lookups.length);
    }
    const extra = all.map((c) => c.conversation_initiation_client_data?.custom_llm_extra_body ?? {});
    expect(extra.some((body) => Object.keys(body).length >= 2)).toBe(true);
    expect(all.some((c) => c.metadata.batch_call)).toBe(true);
    expect(new Set(all.map((c) => c.metadata.initiation_trigger?.trigger_type))).toEqual(
      new Set(["default", "zendesk"]),
    );
    expect(all.some((c) => c.has_audio)).toBe(true);
    expect(all.some((c) => !c.has_audio)).toBe(true);
    const ratings = new Set(all.map((c) => c.metadata.feedback?.rating ?? null));
    expect(ratings.has(null)).toBe(true);
    for (const r of ratings) if (r !== null) expect(r).toBeGreaterThanOrEqual(1);
    expect([...ratings].filter((r) => r !== null).length).toBeGreaterThan(2);
    expect(all.some((c) => c.metadata.feedback?.comment)).toBe(true);
    expect(all.some((c) => c.metadata.feedback?.overall_score === "like")).toBe(true);
    expect(new Set(all.map((c) => c.user_id ?? null)).size).toBeGreaterThan(3);
    expect(new Set(all.map((c) => c.metadata.phone_call?.direction))).toEqual(
      new Set(["inbound", "outbound", undefined]),
    );
    expect(new Set(all.map((c) => c.analysis?.call_successful).filter(Boolean))).toEqual(
      new Set(["success", "failure", "unknown"]),
    );
  });

  it("alternates turns and pairs every tool call with a later result by request_id", () => {
    let pairs = 0;
    for (const c of all) {
      c.transcript.forEach((turn, i) => expect(turn.role).toBe(i % 2 === 0 ? "agent" : "user"));
      pairs += expectPairedTools(c.transcript);
    }
    expect(pairs).toBeGreaterThan(40);
  });

  it("holds every tool call and result variant, all of them in the newest conversation", async () => {
    const everywhere = variants(all);
    const fetched = (await (await api(`/v1/convai/conversations/${all[0]!.conversation_id}`)).json()) as Conversation;
    const newest = variants([fetched]);
    for (const variant of EVERY_VARIANT) {
      expect(everywhere.has(variant), variant).toBe(true);
      expect(newest.has(variant), `newest: ${variant}`).toBe(true);
    }
    expect(fetched.has_audio).toBe(true);
    expect(fetched.status).toBe("done");
  });

  it("serves 10,000 conversations: a page, one of them, and a search across them", async () => {
    // How fast is bench/'s (`npm run bench -- --only pagination`), not a test's.
    const [big, call] = await startWith({ conversations: 10_000, seed: 11 }, started);
    const page = (await (await call("/v1/convai/conversations?page_size=100")).json()) as ConversationsPage;
    expect(page.conversations).toHaveLength(100);
    const id = big.conversationIds()[5_000]!;
    expect((await call(`/v1/convai/conversations/${id}`)).status).toBe(200);
    const searched = await listAll(call, "search=parcel&agent_id=" + page.conversations[0]!.agent_id);
    expect(searched.length).toBeGreaterThan(100);
  });
});

describe("makeConversation", () => {
  it("is deterministic and makes long transcripts with every variant throughout", () => {
    const long = makeConversation({ seed: 3, turns: 2_000, agent_id: "agent_bench", conversation_id: "conv_bench" });
    expect(
      JSON.stringify(
        makeConversation({ seed: 3, turns: 2_000, agent_id: "agent_bench", conversation_id: "conv_bench" }),
      ),
    ).toBe(JSON.stringify(long));
    expect(long.transcript).toHaveLength(2_000);
    expect(long).toMatchObject({ agent_id: "agent_bench", conversation_id: "conv_bench", status: "done" });
    expect(expectPairedTools(long.transcript)).toBeGreaterThan(400);
    const seen = variants([long]);
    for (const variant of EVERY_VARIANT) expect(seen.has(variant), variant).toBe(true);
    // Throughout: tool use in the first and the last tenth.
    const withCalls = long.transcript.flatMap((t, i) => ((t.tool_calls ?? []).length > 0 ? [i] : []));
    expect(withCalls[0]).toBeLessThan(200);
    expect(withCalls.at(-1)).toBeGreaterThan(1_800);
    expect(makeConversation({ seed: 4 })).not.toEqual(makeConversation({ seed: 3 }));
  });

  it("serves added conversations like seeded ones", async () => {
    const [e, call] = await startWith({ conversations: 5 }, started);
    const added = makeConversation({
      seed: 8,
      turns: 40,
      agent_id: "agent_custom",
      conversation_id: "conv_custom1",
      start_time_unix_secs: 1_800_000_000,
    });
    added.has_audio = true;
    e.addConversation(added, { audioBytes: 1234 });
    expect(e.conversationIds()[0]).toBe("conv_custom1");
    expect(await (await call("/v1/convai/conversations/conv_custom1")).json()).toEqual(added);
    const [summary] = (
      (await (await call("/v1/convai/conversations?page_size=1&agent_id=agent_custom")).json()) as ConversationsPage
    ).conversations;
    expect(summary).toMatchObject({ conversation_id: "conv_custom1", message_count: 40, agent_name: null });
    expect((await call("/v1/convai/agents/agent_custom/link")).status).toBe(200);
    expect(e.audio("conv_custom1")).toHaveLength(1234);
    expect((await call("/v1/convai/conversations/conv_custom1/audio")).headers.get("content-length")).toBe("1234");
    const names = [...toolNames(added)];
    const byTool = await listAll(call, `tool_names=${names[0]}`);
    expect(byTool.map((c) => c.conversation_id)).toContain("conv_custom1");
  });

  it("finds a tool called inside a workflow nested in a workflow, as the client's walker does", async () => {
    const [e, call] = await startWith({ conversations: 3 }, started);
    const added = makeConversation({
      seed: 8,
      turns: 40,
      conversation_id: "conv_deep1",
      start_time_unix_secs: 1_800_000_000,
    });
    const [template] = Array.from(toolCalls(added), (entry) => entry.call);
    const deepCall = { ...template!, tool_name: "deep_tool", request_id: "req_deep" };
    const step = (requests: unknown[], results: unknown[]) => ({
      type: "nested_tools",
      step_latency_secs: 0.1,
      node_id: "n",
      requests,
      results,
      is_successful: true,
    });
    const base = {
      request_id: "wf",
      tool_name: "outer",
      result_value: "",
      is_error: false,
      tool_has_been_called: true,
    };
    const inner = { ...base, request_id: "wf_inner", type: "workflow", result: { steps: [step([deepCall], [])] } };
    const outer = { ...base, type: "workflow", result: { steps: [step([], [inner])] } };
    added.transcript[2]!.tool_results = [...(added.transcript[2]!.tool_results ?? []), outer as never];
    expect(Array.from(toolCalls(added), (entry) => entry.call.tool_name)).toContain("deep_tool");
    e.addConversation(added);
    const found = await listAll(call, "tool_names=deep_tool");
    expect(found.map((c) => c.conversation_id)).toEqual(["conv_deep1"]);
  });
});

/** A short pause between two looks at a condition that arrives over the network (no assertion on time). */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Mints a session (through a signed URL that names its conversation) and returns the conversation's id. */
async function mintSession(emulator: Emulator): Promise<string> {
  const call = client(emulator);
  const page = (await (await call("/v1/convai/conversations")).json()) as ConversationsPage;
  const agent = page.conversations[0]!.agent_id;
  const res = await call(`/v1/convai/conversation/get-signed-url?include_conversation_id=true&agent_id=${agent}`);
  return new URL(((await res.json()) as { signed_url: string }).signed_url).searchParams.get("conversation_id")!;
}

describe("as a server under hostile use (issue 22)", () => {
  const started: Emulator[] = [];
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await Promise.all(started.map((e) => e.close()));
  });

  /** Sends raw bytes and returns what came back before the server closed (or `wait` ms passed). */
  function raw(emulator: Emulator, request: string, wait = 2_000): Promise<string> {
    const { port } = new URL(emulator.baseUrl);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => socket.write(request));
      let text = "";
      const timer = setTimeout(() => (socket.destroy(), resolve(text)), wait);
      socket.on("data", (chunk) => (text += chunk.toString("latin1")));
      socket.on("close", () => (clearTimeout(timer), resolve(text)));
      socket.on("error", reject);
    });
  }

  it("answers a target no URL parser takes (`//[`) 400, upgrade or not, and keeps serving", async () => {
    const [emulator, call] = await startWith({ conversations: 1 }, started);
    const upgrade = await raw(
      emulator,
      "GET //[ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    expect(upgrade).toMatch(/^HTTP\/1\.1 400 /);
    const plain = await raw(emulator, "GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(plain).toMatch(/^HTTP\/1\.1 400 /);
    expect((await call("/v1/convai/conversations")).status).toBe(200);
  });

  it("refuses a body over the limit as it streams in: 413, the rest never read", async () => {
    const [emulator] = await startWith({ conversations: 1 }, started);
    const id = emulator.conversationIds()[0]!;
    const { port } = new URL(emulator.baseUrl);
    const path = `/v1/convai/conversations/${id}/feedback`;
    // Announced as too large: refused before a byte of it is read.
    const announced = await raw(
      emulator,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nxi-api-key: ${emulator.apiKey}\r\ncontent-type: application/json\r\n` +
        `content-length: 104857600\r\n\r\n{"feedback":`,
    );
    expect(announced).toMatch(/^HTTP\/1\.1 413 /);
    // Chunked, so its size is unknown: counted as it arrives.
    const total = 20 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const status = await new Promise<number>((resolve) => {
      const req = httpRequest({
        host: "127.0.0.1",
        port: Number(port),
        path,
        method: "POST",
        headers: { "xi-api-key": emulator.apiKey, "content-type": "application/json" },
      });
      req.on("response", (res) => (res.resume(), resolve(res.statusCode ?? 0)));
      req.on("error", () => resolve(0));
      const pump = (): void => {
        while (sent < total && !req.destroyed) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        if (!req.destroyed) req.end();
      };
      pump();
    });
    expect([413, 0]).toContain(status); // 413, unless the close beat the answer to the client
    expect(sent).toBeLessThan(total / 2);
    expect(emulator.requests.at(-1)?.status).toBe(413);
  });

  it("waits out a delay fault of 2³¹ ms or more rather than firing it at once", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const fired: string[] = [];
      longTimeout(2 ** 31 + 10, () => fired.push("long"));
      const timers = new Timers();
      timers.later(2 ** 32, () => fired.push("later"));
      vi.advanceTimersByTime(2 ** 31 - 1);
      expect(fired).toEqual([]);
      vi.advanceTimersByTime(11);
      expect(fired).toEqual(["long"]);
      vi.advanceTimersByTime(2 ** 32);
      expect(fired).toEqual(["long", "later"]);
      timers.close();
    } finally {
      vi.useRealTimers();
    }
    // Through the server: the reply has not come when a later request is answered.
    const [emulator, call] = await startWith({ conversations: 1 }, started);
    emulator.fault("getConversation", { kind: "delay", ms: 2 ** 31 });
    let answered = false;
    const delayed = call(`/v1/convai/conversations/${emulator.conversationIds()[0]}`).then(
      () => (answered = true),
      () => (answered = true),
    );
    while (emulator.requestCount("getConversation") === 0) await sleep(5);
    for (let i = 0; i < 5; i++) expect((await call("/v1/convai/conversations")).status).toBe(200);
    expect(answered).toBe(false);
    await emulator.close(); // wakes the sleeper: the delayed request ends with the server
    await delayed;
  });

  it("checks every option before it listens, and leaves no server behind when it throws", async () => {
    const dir = await mkdtemp(join(tmpdir(), "emulator-"));
    const socketPath = join(dir, "emulator.sock");
    try {
      await expect(startEmulator({ port: socketPath as never })).rejects.toThrow(/startEmulator: port/);
      expect(existsSync(socketPath)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const bad: [unknown, RegExp, ErrorConstructor][] = [
      [null, /startEmulator: options must be an object/, TypeError],
      [{ port: -1 }, /startEmulator: port/, RangeError],
      [{ apiKey: 5 }, /startEmulator: apiKey/, TypeError],
      [{ apiKey: "" }, /startEmulator: apiKey/, TypeError],
      [{ apiKey: "two words" }, /startEmulator: apiKey/, TypeError],
      [{ monitor: { intervalMs: -5 } }, /startEmulator: monitor\.intervalMs/, RangeError],
      [{ monitor: { entitled: "no" } }, /startEmulator: monitor\.entitled/, TypeError],
      [{ webhook: null }, /startEmulator: webhook/, TypeError],
      [{ webhook: { url: "http://127.0.0.1:1/", secret: "s", delayMs: NaN } }, /webhook\.delayMs/, RangeError],
      [{ webhook: { url: "http://127.0.0.1:1/", secret: "s", timeoutMs: 0 } }, /webhook\.timeoutMs/, RangeError],
      [{ webhook: { url: "http://127.0.0.1:1/", secret: "s", events: ["bogus"] } }, /webhook\.events/, TypeError],
      [{ lifecycle: { outcome: "bogus" } }, /startEmulator: lifecycle\.outcome/, TypeError],
      [{ lifecycle: { outcome: { initiationFailure: "x" } } }, /lifecycle\.outcome/, TypeError],
      [{ seed: 1.5 }, /startEmulator: seed/, RangeError],
      [{ requestBodyLimit: -1 }, /startEmulator: requestBodyLimit/, RangeError],
      [{ tokenResponseIncludesConversationId: "yes" }, /tokenResponseIncludesConversationId/, TypeError],
    ];
    for (const [options, message, type] of bad) {
      const error = await startEmulator(options as EmulatorOptions).then(
        (e) => (started.push(e), undefined),
        (e: unknown) => e,
      );
      expect(error, JSON.stringify(options)).toBeInstanceOf(type);
      expect((error as Error).message).toMatch(message);
    }
    const [emulator] = await startWith({ conversations: 1, apiKey: "test" }, started);
    expect(() => emulator.scriptSessions("bogus" as never)).toThrow(TypeError);
    expect(() => emulator.scriptSessions("bogus" as never)).toThrow(/scriptSessions: outcome 1/);
    expect(() => emulator.scriptSessions("done", null as never)).toThrow(/scriptSessions: outcome 2/);
    expect(() => emulator.monitorEmit("conv_x", null as never)).toThrow(/monitorEmit: event 1/);
    expect(() => emulator.monitorEmit("conv_x", { no: "type" } as never)).toThrow(TypeError);
    expect(() => emulator.monitorEmit(5 as never)).toThrow(/monitorEmit: conversationId/);
  });

  it("keeps only the latest monitor commands, as many as the request log", async () => {
    const [emulator] = await startWith(
      {
        conversations: 1,
        requestLogLimit: 5,
        lifecycle: { processingAfterMs: 60_000, doneAfterMs: 60_100 },
        monitor: { scripted: false },
      },
      started,
    );
    const id = await mintSession(emulator);
    const socket = new WS(`${emulator.baseUrl.replace("http", "ws")}/v1/convai/conversations/${id}/monitor`, {
      headers: { "xi-api-key": emulator.apiKey },
    });
    await new Promise((resolve, reject) => (socket.once("open", resolve), socket.once("error", reject)));
    for (let i = 0; i < 20; i++) socket.send(JSON.stringify({ command_type: "note", i }));
    while (emulator.monitorCommands.length < 5 || (emulator.monitorCommands.at(-1)?.command as { i: number }).i < 19)
      await sleep(5);
    expect(emulator.monitorCommands.map((c) => (c.command as { i: number }).i)).toEqual([15, 16, 17, 18, 19]);
    socket.terminate();
  });
});

describe("webhook deliveries (issue 22)", () => {
  const started: Emulator[] = [];
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    await Promise.all(started.map((e) => e.close()));
    for (const close of closers.reverse()) await close();
  });

  /** A receiver on loopback; `answer` false: it takes the request and never answers. */
  async function receiver(answer: boolean): Promise<{ url: string; arrived: Promise<IncomingMessage> }> {
    let arrive: (req: IncomingMessage) => void;
    const arrived = new Promise<IncomingMessage>((resolve) => (arrive = resolve));
    const server = createServer((req, res) => {
      arrive(req);
      req.resume();
      if (answer) req.on("end", () => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(
      () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve(undefined)))),
    );
    return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks`, arrived };
  }

  it("gives up on a receiver that never answers after timeoutMs: settled resolves, status 0", async () => {
    const { url, arrived } = await receiver(false);
    const [emulator] = await startWith(
      {
        conversations: 1,
        lifecycle: { processingAfterMs: 0, doneAfterMs: 0 },
        webhook: { url, secret: "whsec_x", events: ["post_call_transcription"], timeoutMs: 100 },
      },
      started,
    );
    await mintSession(emulator);
    const req = await arrived;
    const aborted = new Promise((resolve) => req.socket.once("close", resolve));
    await emulator.webhooksSettled();
    await aborted;
    expect(emulator.webhookDeliveries.map((d) => [d.type, d.status])).toEqual([["post_call_transcription", 0]]);
  });

  it("drops the deliveries in flight on close(), so settled resolves and nothing stays open", async () => {
    const { url, arrived } = await receiver(false);
    const emulator = await startEmulator({
      conversations: 1,
      lifecycle: { processingAfterMs: 0, doneAfterMs: 0 },
      webhook: { url, secret: "whsec_x", events: ["post_call_transcription"] }, // the default 10 s timeout
    });
    await mintSession(emulator);
    const req = await arrived;
    const dropped = new Promise((resolve) => req.socket.once("close", resolve));
    await emulator.close();
    await emulator.webhooksSettled();
    await dropped;
    expect(emulator.webhookDeliveries.map((d) => d.status)).toEqual([0]);
  });

  it("sends a call's post-call events after it ended by end_call, not on its old schedule", async () => {
    const { url } = await receiver(true);
    const [emulator] = await startWith(
      {
        conversations: 1,
        lifecycle: { processingAfterMs: 600_000, doneAfterMs: 600_050 },
        monitor: { scripted: false },
        webhook: { url, secret: "whsec_x", events: ["post_call_transcription"] },
      },
      started,
    );
    const id = await mintSession(emulator);
    const socket = new WS(`${emulator.baseUrl.replace("http", "ws")}/v1/convai/conversations/${id}/monitor`, {
      headers: { "xi-api-key": emulator.apiKey },
    });
    await new Promise((resolve, reject) => (socket.once("open", resolve), socket.once("error", reject)));
    const closed = new Promise((resolve) => socket.once("close", resolve));
    socket.send(JSON.stringify({ command_type: "end_call" }));
    await closed;
    await emulator.webhooksSettled(); // 50 ms of processing after the end, not ten minutes
    expect(emulator.webhookDeliveries.map((d) => [d.conversationId, d.status])).toEqual([[id, 200]]);
    expect(emulator.conversation(id)?.status).toBe("done");
  });
});
