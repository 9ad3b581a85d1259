/**
 * Every response the emulator serves validates against the spec it was generated with: each
 * operation of the spec is asked for (the ones it emulates with realistic requests, the others
 * must answer 501), and each JSON success body is checked with a JSON Schema 2020-12 validator.
 */
import Ajv2020 from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPERATIONS, type OperationId } from "../../src/generated/operations.ts";
import { RESPONSES } from "../../src/generated/responses.ts";
import { type Emulator, startEmulator } from "../../src/testing/index.ts";

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
    getConversation: ids.slice(0, 30).map((id) => ({ method: "GET", path: `/v1/convai/conversations/${id}` })),
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
