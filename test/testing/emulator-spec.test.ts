/**
 * Every response the emulator serves validates against the spec it was generated with: each
 * operation of the spec is asked for (the ones it emulates with realistic requests, the others
 * must answer 501), and each JSON success body is checked with a JSON Schema 2020-12 validator.
 */
import Ajv2020 from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { OPERATIONS, type OperationId } from "../../src/generated/operations.ts";
import { RESPONSES } from "../../src/generated/responses.ts";
import { type Emulator, type WebhookEventType, startEmulator } from "../../src/testing/index.ts";
import { membersAt } from "../../src/testing/state/conform.ts";
import type { KnownWebhookEvent } from "../../src/types.ts";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ conversations: 40, seed: 21 });
});
afterAll(() => emulator.close());

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
const validators = new Map<string, ReturnType<typeof ajv.compile>>();
function validate(operation: string, body: unknown): string[] {
  let check = validators.get(operation);
  if (check === undefined) {
    const schema = RESPONSES.operations[operation];
    check = ajv.compile(
      typeof schema === "object" ? { ...schema, $defs: RESPONSES.$defs } : { $defs: RESPONSES.$defs },
    );
    validators.set(operation, check);
  }
  return check(body) ? [] : (check.errors ?? []).slice(0, 5).map((e) => `${e.instancePath} ${e.message}`);
}

interface Ask {
  method: string;
  path: string;
  query?: string;
  body?: unknown;
}

/** The requests that exercise each operation the emulator emulates, from what the emulator holds. */
function requests(): Partial<Record<string, Ask[]>> {
  const ids = emulator.conversationIds();
  const conversation = emulator.conversation(ids[0]!)!;
  const agent = conversation.agent_id;
  const word = conversation.transcript.find((t) => typeof t.message === "string")!.message!.split(" ")[0]!;
  return {
    listConversations: [
      { method: "GET", path: "/v1/convai/conversations" },
      { method: "GET", path: "/v1/convai/conversations", query: "page_size=100&summary_mode=include" },
      { method: "GET", path: "/v1/convai/conversations", query: `agent_id=${agent}&call_successful=success` },
    ],
    getConversation: [
      ...ids.slice(0, 30).map((id) => ({ method: "GET", path: `/v1/convai/conversations/${id}` })),
      // The OTLP form: the showcase, the phone calls and the WhatsApp conversation after it.
      ...ids.slice(0, 6).map((id) => ({
        method: "GET",
        path: `/v1/convai/conversations/${id}`,
        query: "format=opentelemetry",
      })),
      { method: "GET", path: `/v1/convai/conversations/${ids[0]}`, query: "format=json" },
    ],
    deleteConversation: [{ method: "DELETE", path: `/v1/convai/conversations/${ids[39]}` }],
    getConversationAudio: [],
    sendConversationFeedback: [
      { method: "POST", path: `/v1/convai/conversations/${ids[4]}/feedback`, body: { feedback: "like" } },
    ],
    getAgentLink: [{ method: "GET", path: `/v1/convai/agents/${agent}/link` }],
    getConversationToken: [{ method: "GET", path: "/v1/convai/conversation/token", query: `agent_id=${agent}` }],
    getSignedUrl: [
      {
        method: "GET",
        path: "/v1/convai/conversation/get-signed-url",
        query: `agent_id=${agent}&include_conversation_id=true`,
      },
    ],
    textSearchConversationMessages: [
      { method: "GET", path: "/v1/convai/conversations/messages/text-search", query: `text_query=${word}&page_size=5` },
    ],
    smartSearchConversationMessages: [
      { method: "GET", path: "/v1/convai/conversations/messages/smart-search", query: `text_query=${word}` },
    ],
    addConversationTags: [
      { method: "POST", path: `/v1/convai/conversations/${ids[5]}/tags`, body: { tag_ids: ["t1"] } },
    ],
    removeConversationTag: [{ method: "DELETE", path: `/v1/convai/conversations/${ids[5]}/tags/t1` }],
    runConversationAnalysis: [{ method: "POST", path: `/v1/convai/conversations/${ids[6]}/analysis/run` }],
    runConversationEvaluations: [
      {
        method: "POST",
        path: `/v1/convai/conversations/${ids[6]}/analysis/evaluations/run`,
        body: { evaluation_id: "issue_resolved" },
      },
    ],
    getConversationSummary: [
      { method: "GET", path: `/v1/convai/conversations/${ids[7]}/summary` },
      { method: "GET", path: `/v1/convai/conversations/${ids[7]}/summary`, query: "max_messages=1" },
    ],
  };
}

/** A concrete path for an operation the emulator does not emulate: each `{name}` filled. */
function filled(path: string): string {
  return path.replace(/\{[^}]+\}/g, (m) => (m === "{conversation_id}" ? emulator.conversationIds()[0]! : "x1"));
}

describe("the emulator follows the spec it is generated from", () => {
  it("serves for every operation a body that validates against its schema, or 501", async () => {
    const table = requests();
    const problems: string[] = [];
    let validated = 0;
    for (const operation of Object.keys(OPERATIONS) as OperationId[]) {
      const { method, path } = OPERATIONS[operation];
      const asks = table[operation];
      if (asks === undefined) {
        const res = await fetch(`${emulator.baseUrl}${filled(path)}`, {
          method,
          headers: { "xi-api-key": emulator.apiKey, "content-type": "application/json" },
          ...(method === "GET" || method === "DELETE" ? {} : { body: "{}" }),
        });
        if (res.status !== 501) problems.push(`${operation}: not emulated, answered ${res.status} instead of 501`);
        const body = (await res.json()) as { detail?: { message?: string } };
        if (!body.detail?.message?.includes(operation)) problems.push(`${operation}: the 501 does not name it`);
        continue;
      }
      for (const ask of asks) {
        const url = `${emulator.baseUrl}${ask.path}${ask.query ? `?${ask.query}` : ""}`;
        const res = await fetch(url, {
          method: ask.method,
          headers: { "xi-api-key": emulator.apiKey, "content-type": "application/json" },
          ...(ask.body === undefined ? {} : { body: JSON.stringify(ask.body) }),
        });
        const text = await res.text();
        if (!res.ok) {
          problems.push(`${operation} ${ask.path}: ${res.status} ${text.slice(0, 200)}`);
          continue;
        }
        if (OPERATIONS[operation].response === "stream" || text === "") continue;
        const errors = validate(operation, JSON.parse(text));
        validated++;
        for (const e of errors) problems.push(`${operation} ${ask.path}: ${e}`);
      }
    }
    expect(problems).toEqual([]);
    expect(validated).toBeGreaterThan(40);
  });

  it("serves conversations moving through their lifecycle in the spec's shape at each status", async () => {
    const agent = emulator.conversation(emulator.conversationIds()[0]!)!.agent_id;
    const live = await startEmulator({
      conversations: 2,
      lifecycle: { inProgressAfterMs: 0, processingAfterMs: 100_000, doneAfterMs: 200_000 },
    });
    try {
      const res = await fetch(
        `${live.baseUrl}/v1/convai/conversation/token?agent_id=${live.conversation(live.conversationIds()[0]!)!.agent_id}`,
        {
          headers: { "xi-api-key": live.apiKey },
        },
      );
      const { token } = (await res.json()) as { token: string };
      expect(typeof token).toBe("string");
      const id = live.conversationIds()[0]!;
      const body = (await (
        await fetch(`${live.baseUrl}/v1/convai/conversations/${id}`, { headers: { "xi-api-key": live.apiKey } })
      ).json()) as { status?: string };
      expect(body.status).toBe("in-progress");
      expect(validate("getConversation", body)).toEqual([]);
    } finally {
      await live.close();
    }
    expect(agent).toMatch(/^agent_/);
  });
});

const TOOL_RESULTS = ["transcript", "[]", "tool_results", "[]"];

/** The unions the facade narrows (`match…`/`is…`), each as the place in a conversation and its discriminant. */
const UNIONS: { name: string; path: string[]; key: string }[] = [
  { name: "tool results", path: TOOL_RESULTS, key: "type" },
  { name: "system results", path: [...TOOL_RESULTS, "type=system", "result"], key: "result_type" },
  { name: "workflow steps", path: [...TOOL_RESULTS, "type=workflow", "result", "steps", "[]"], key: "type" },
  { name: "tool-call details", path: ["transcript", "[]", "tool_calls", "[]", "tool_details"], key: "type" },
  { name: "phone calls", path: ["metadata", "phone_call"], key: "type" },
  { name: "initiation triggers", path: ["metadata", "initiation_trigger"], key: "trigger_type" },
];

/** The values of `key` found at `path` in `body`: the data's side of `membersAt`. */
function valuesAt(body: unknown, path: readonly string[], key: string): unknown[] {
  let here: unknown[] = [body];
  for (const step of path) {
    const [field, value] = step.split("=");
    here = here.flatMap((node): unknown[] => {
      if (node === null || typeof node !== "object") return [];
      if (value !== undefined) return (node as Record<string, unknown>)[field!] === value ? [node] : [];
      if (step === "[]") return Array.isArray(node) ? node : [];
      const next = (node as Record<string, unknown>)[step];
      return next === undefined || next === null ? [] : [next];
    });
  }
  return here.map((node) => (node as Record<string, unknown>)[key]);
}

describe("a default workspace holds every member of every union the facade narrows", () => {
  let workspace: Emulator;
  const served: unknown[] = [];
  const problems: string[] = [];
  beforeAll(async () => {
    workspace = await startEmulator(); // the defaults: what a user's test starts with
    const headers = { "xi-api-key": workspace.apiKey };
    for (const id of workspace.conversationIds()) {
      const body: unknown = await (
        await fetch(`${workspace.baseUrl}/v1/convai/conversations/${id}`, { headers })
      ).json();
      for (const e of validate("getConversation", body)) problems.push(`${id}: ${e}`);
      served.push(body);
    }
  });
  afterAll(() => workspace.close());

  it("serves each conversation valid against the spec", () => {
    expect(problems).toEqual([]);
    expect(served.length).toBe(workspace.conversationIds().length);
  });

  for (const { name, path, key } of UNIONS) {
    it(`${name}: each member the spec declares, at least once`, () => {
      const declared = [...membersAt("getConversation", path, key).keys()].sort();
      // A document without this union (an older one may lack the field) fails here, by name, not vacuously.
      expect(declared, `the spec declares no ${name} at ${[...path, key].join(".")}`).not.toEqual([]);
      const found = new Set(served.flatMap((body) => valuesAt(body, path, key)));
      expect(declared.filter((member) => !found.has(member))).toEqual([]);
      // And nothing the spec does not declare (absent or null: results sent without a type).
      expect([...found].filter((v) => v !== undefined && v !== null && !declared.includes(v as string))).toEqual([]);
    });
  }

  it("includes what the 2026 document added: exotel calls, the code result, a WhatsApp block without a business account, open extra bodies", () => {
    const at = (path: string[], key: string) => new Set(served.flatMap((body) => valuesAt(body, path, key)));
    expect(at(["metadata", "phone_call"], "type")).toContain("exotel");
    expect(at(TOOL_RESULTS, "type")).toContain("code");
    for (const t of [
      "transfer_to_number_exotel_success",
      "knowledge_base_success",
      "knowledge_base_rag_success",
      "dummy",
    ])
      expect(at([...TOOL_RESULTS, "type=system", "result"], "result_type")).toContain(t);
    const whatsapp = served.flatMap((body) => valuesAt(body, ["metadata"], "whatsapp")).filter(Boolean);
    expect(whatsapp.length).toBeGreaterThan(0);
    for (const block of whatsapp) expect(block).not.toHaveProperty("whatsapp_business_account_id");
    const extra = served.flatMap((body) =>
      valuesAt(body, ["conversation_initiation_client_data"], "custom_llm_extra_body"),
    );
    expect(extra.some((b) => Object.keys(b as object).some((k) => !["temperature"].includes(k)))).toBe(true);
  });

  it("serves the OTLP form: the trace of the conversation, one span per turn and tool call", async () => {
    const id = workspace.conversationIds()[0]!;
    const headers = { "xi-api-key": workspace.apiKey };
    const url = `${workspace.baseUrl}/v1/convai/conversations/${id}`;
    const plain = (await (await fetch(url, { headers })).json()) as Record<string, unknown>;
    expect(plain).not.toHaveProperty("otlp_traces");
    const traced = (await (await fetch(`${url}?format=opentelemetry`, { headers })).json()) as {
      transcript: { tool_calls?: unknown[] }[];
      otlp_traces: {
        resourceSpans: {
          scopeSpans: {
            spans: {
              traceId: string;
              spanId: string;
              parentSpanId?: string;
              startTimeUnixNano: string;
              endTimeUnixNano: string;
            }[];
          }[];
        }[];
      };
    };
    expect(validate("getConversation", traced)).toEqual([]);
    const spans = traced.otlp_traces.resourceSpans[0]!.scopeSpans[0]!.spans;
    const calls = traced.transcript.reduce((n, t) => n + (t.tool_calls?.length ?? 0), 0);
    expect(spans).toHaveLength(1 + traced.transcript.length + calls);
    const ids = new Set(spans.map((s) => s.spanId));
    for (const s of spans) {
      expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
      if (s.parentSpanId !== undefined) expect(ids.has(s.parentSpanId)).toBe(true);
      expect(BigInt(s.endTimeUnixNano) >= BigInt(s.startTimeUnixNano)).toBe(true);
    }
    const bad = await fetch(`${url}?format=xml`, { headers });
    expect(bad.status).toBe(422);
  });

  it("knows every kind of post-call webhook the types know (webhooks.test.ts sees each delivered)", () => {
    expectTypeOf<WebhookEventType>().toEqualTypeOf<KnownWebhookEvent["type"]>();
  });
});
