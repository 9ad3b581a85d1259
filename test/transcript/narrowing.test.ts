/** Run-time behaviour of the discriminant matchers and guards, and of the conversation walkers. */
import { describe, expect, it } from "vitest";
import { ConvaiUnknownVariantError } from "../../src/core/errors.ts";
import {
  type Untyped,
  type Variant,
  isBy,
  isInitiationTrigger,
  isPhoneCall,
  isSystemResult,
  isToolCall,
  isToolResult,
  isWorkflowStep,
  matchBy,
  matchInitiationTrigger,
  matchPhoneCall,
  matchSystemResult,
  matchToolCall,
  matchToolResult,
  matchWorkflowStep,
} from "../../src/transcript/narrowing.ts";
import { pairToolCalls, toolResults } from "../../src/transcript/walk.ts";
import { NULL_SYSTEM_RESULT } from "../helpers.ts";
import type {
  Conversation,
  InitiationTrigger,
  PhoneCall,
  SystemToolOutcome,
  ToolCall,
  ToolCallDetails,
  ToolResult,
  TranscriptTurn,
  WorkflowStep,
  WorkflowToolResult,
} from "../../src/types.ts";

// One value per variant, keyed by its tag: a variant added to the generated types and missing
// here is a compile error, so these tables stay complete.
type ByTag<T, K extends keyof T & string> = { [V in Extract<T[K], string>]: Variant<T, K, V> };

/**
 * A fixture as the type the spec gives it: the test sets the fields it checks; those a version of
 * the document requires besides (the server always sends them) do not matter to these helpers.
 */
const v = (value: object): never => value as never;

const base = (request_id: string, tool_name = `tool_${request_id}`) => ({
  request_id,
  tool_name,
  result_value: `value of ${request_id}`,
  is_error: false,
  tool_has_been_called: true,
  // Sent by the API from 2026 on (defaults in the document, so present in the types).
  is_blocked: false,
  tool_latency_secs: 0,
  error_type: "",
  raw_error_message: "",
});

const outcomes: ByTag<SystemToolOutcome, "result_type"> = {
  end_call_success: { result_type: "end_call_success", status: "success", reason: "done" },
  language_detection_success: { result_type: "language_detection_success", status: "success", language: "fr" },
  transfer_to_agent_success: v({
    result_type: "transfer_to_agent_success",
    status: "success",
    from_agent: "a1",
    to_agent: "a2",
    condition: "billing",
  }),
  transfer_to_agent_error: { result_type: "transfer_to_agent_error", status: "error", from_agent: "a1", error: "no" },
  transfer_to_number_twilio_success: {
    result_type: "transfer_to_number_twilio_success",
    status: "success",
    transfer_number: "+15550100",
    agent_message: "transferring",
    conference_name: "conf-1",
  },
  transfer_to_number_sip_success: {
    result_type: "transfer_to_number_sip_success",
    status: "success",
    transfer_number: "sip:desk@example.com",
  },
  transfer_to_number_error: { result_type: "transfer_to_number_error", status: "error", error: "busy" },
  skip_turn_success: { result_type: "skip_turn_success", status: "success" },
  play_dtmf_success: { result_type: "play_dtmf_success", status: "success", dtmf_tones: "123#" },
  play_dtmf_error: { result_type: "play_dtmf_error", status: "error", error: "bad tone" },
  voicemail_detection_success: { result_type: "voicemail_detection_success", status: "success" },
  testing_tool_result: v({ result_type: "testing_tool_result", status: "success" }),
  transfer_to_number_exotel_success: {
    result_type: "transfer_to_number_exotel_success",
    status: "success",
    transfer_number: "+915550100",
  },
  knowledge_base_success: v({ result_type: "knowledge_base_success", chunk_count: 2 }),
  knowledge_base_rag_success: v({ result_type: "knowledge_base_rag_success", chunk_count: 3 }),
  dummy: { result_type: "dummy" },
};

const steps: ByTag<WorkflowStep, "type"> = {
  edge: { type: "edge", step_latency_secs: 0.1, edge_id: "e1", target_node_id: "n2" },
  nested_tools: {
    type: "nested_tools",
    step_latency_secs: 0.2,
    node_id: "n2",
    requests: [],
    results: [],
    is_successful: true,
  },
  max_iterations_exceeded: { type: "max_iterations_exceeded", step_latency_secs: 0.3, max_iterations: 5 },
};

const toolResultsByType: ByTag<ToolResult, "type"> & { untyped: Untyped<ToolResult, "type"> } = {
  system: { ...base("sys"), type: "system", result: outcomes.end_call_success },
  workflow: { ...base("wf"), type: "workflow", result: { steps: [steps.edge] } },
  api_integration_webhook: v({
    ...base("api"),
    type: "api_integration_webhook",
    integration_id: "i1",
    credential_id: "c1",
    integration_connection_id: "ic1",
  }),
  client: { ...base("cli"), type: "client" },
  webhook: { ...base("hook"), type: "webhook" },
  mcp: { ...base("mcp"), type: "mcp" },
  code: { ...base("code"), type: "code" },
  untyped: { ...base("none") },
};

const webhookDetails: Variant<ToolCallDetails, "type", "webhook"> = {
  type: "webhook",
  method: "POST",
  url: "https://example.com/hook",
};
const toolCallDetails: ByTag<ToolCallDetails, "type"> = {
  webhook: webhookDetails,
  client: { type: "client", parameters: "{}" },
  mcp: v({
    type: "mcp",
    mcp_server_id: "m1",
    mcp_server_name: "crm",
    integration_type: "mcp_server",
    approval_policy: "auto_approve_all",
  }),
  api_integration_webhook: {
    type: "api_integration_webhook",
    integration_id: "i1",
    credential_id: "c1",
    integration_connection_id: "ic1",
    webhook_details: webhookDetails,
  },
};

const phoneCalls: ByTag<PhoneCall, "type"> = {
  twilio: {
    type: "twilio",
    direction: "inbound",
    phone_number_id: "p1",
    agent_number: "+15550100",
    external_number: "+15550199",
    stream_sid: "MZ1",
    call_sid: "CA1",
  },
  sip_trunking: {
    type: "sip_trunking",
    direction: "outbound",
    phone_number_id: "p2",
    agent_number: "+15550101",
    external_number: "+15550198",
    call_sid: "sip-1",
  },
  exotel: {
    type: "exotel",
    direction: "inbound",
    phone_number_id: "p3",
    agent_number: "+915550100",
    external_number: "+915550199",
    stream_sid: "ex-stream-1",
    call_sid: "ex-call-1",
  },
};

const triggers: ByTag<InitiationTrigger, "trigger_type"> = {
  default: { trigger_type: "default" },
  zendesk: { trigger_type: "zendesk", ticket_id: 42 },
};

/** A copy of a real-shaped value whose discriminant is one the types do not know (yet). */
function withUnknown<T>(value: T, key: string, tag: unknown): T {
  return { ...value, [key]: tag };
}

describe("matchToolResult", () => {
  const name = (r: ToolResult) =>
    matchToolResult(r, {
      system: (x) => `system:${x.result?.result_type}`,
      workflow: (x) => `workflow:${x.result?.steps?.length}`,
      api_integration_webhook: (x) => `api_integration_webhook:${x.integration_id}`,
      client: (x) => `client:${x.type}`,
      webhook: (x) => `webhook:${x.type}`,
      mcp: (x) => `mcp:${x.type}`,
      code: (x) => `code:${x.type}`,
      untyped: (x) => `untyped:${String(x.type)}`,
    });

  it("reaches the handler named by each type, with the value", () => {
    expect(Object.values(toolResultsByType).map(name)).toEqual([
      "system:end_call_success",
      "workflow:1",
      "api_integration_webhook:i1",
      "client:client",
      "webhook:webhook",
      "mcp:mcp",
      "code:code",
      "untyped:undefined",
    ]);
  });

  it("sends a result whose type is null or absent to untyped, not to the catch-all", () => {
    const nullType: ToolResult = { ...base("null"), type: null };
    expect(name(nullType)).toBe("untyped:null");
    expect(name(toolResultsByType.untyped)).toBe("untyped:undefined");
    expect(matchToolResult(nullType, { untyped: () => "untyped", _: () => "rest" })).toBe("untyped");
    expect(matchToolResult(nullType, { system: () => "system", _: () => "rest" })).toBe("rest");
  });

  it("gives the catch-all the variants without a handler, and nothing else", () => {
    const seen: string[] = [];
    for (const r of Object.values(toolResultsByType)) {
      matchToolResult(r, {
        system: () => seen.push("system"),
        client: () => seen.push("client"),
        _: (rest) => seen.push(`_${rest.request_id}`),
      });
    }
    expect(seen).toEqual(["system", "_wf", "_api", "client", "_hook", "_mcp", "_code", "_none"]);
  });

  it("sends a type the types do not know to the catch-all", () => {
    const added = withUnknown(toolResultsByType.system, "type", "smart_tool");
    const got = matchToolResult(added, { system: () => "system", _: (rest) => rest });
    expect(got).toBe(added);
  });

  it("throws ConvaiUnknownVariantError carrying the key, the value and the input when there is no catch-all", () => {
    const added = withUnknown(toolResultsByType.webhook, "type", "smart_tool");
    let caught: unknown;
    try {
      name(added);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConvaiUnknownVariantError);
    expect(caught).toBeInstanceOf(Error);
    const error = caught as ConvaiUnknownVariantError;
    expect(error.name).toBe("ConvaiUnknownVariantError");
    expect(error.key).toBe("type");
    expect(error.value).toBe("smart_tool");
    expect(error.input).toBe(added);
    expect(error.message).toContain('"smart_tool"');
  });

  it("never takes a handler from Object.prototype or a reserved key for a tag", () => {
    for (const tag of ["toString", "constructor", "__proto__", "_", "untyped", 7]) {
      const odd = withUnknown(toolResultsByType.client, "type", tag);
      expect(matchToolResult(odd, { untyped: () => "untyped", _: () => "catch-all" })).toBe("catch-all");
      expect(() => name(odd)).toThrow(ConvaiUnknownVariantError);
    }
  });

  it("returns what the handler returns, undefined included, without calling the others", () => {
    let calls = 0;
    const got = matchToolResult(toolResultsByType.mcp, {
      mcp: () => undefined,
      _: () => {
        calls++;
        return "catch-all";
      },
    });
    expect(got).toBeUndefined();
    expect(calls).toBe(0);
  });
});

describe("matchSystemResult", () => {
  const name = (o: SystemToolOutcome) =>
    matchSystemResult(o, {
      end_call_success: (x) => `${x.result_type}:${x.reason}`,
      language_detection_success: (x) => `${x.result_type}:${x.language}`,
      transfer_to_agent_success: (x) => `${x.result_type}:${x.to_agent}`,
      transfer_to_agent_error: (x) => `${x.result_type}:${x.error}`,
      transfer_to_number_twilio_success: (x) => `${x.result_type}:${x.conference_name}`,
      transfer_to_number_sip_success: (x) => `${x.result_type}:${x.transfer_number}`,
      transfer_to_number_error: (x) => `${x.result_type}:${x.error}`,
      skip_turn_success: (x) => `${x.result_type}:${x.status}`,
      play_dtmf_success: (x) => `${x.result_type}:${x.dtmf_tones}`,
      play_dtmf_error: (x) => `${x.result_type}:${x.error}`,
      voicemail_detection_success: (x) => `${x.result_type}:${x.status}`,
      testing_tool_result: (x) => `${x.result_type}:${x.status}`,
      transfer_to_number_exotel_success: (x) => `${x.result_type}:${x.transfer_number}`,
      knowledge_base_success: (x) => `${x.result_type}:${x.chunk_count}`,
      knowledge_base_rag_success: (x) => `${x.result_type}:${x.chunk_count}`,
      dummy: (x) => x.result_type,
    });

  it("reaches the handler named by each of the 16 result types", () => {
    expect(Object.values(outcomes).map(name)).toEqual([
      "end_call_success:done",
      "language_detection_success:fr",
      "transfer_to_agent_success:a2",
      "transfer_to_agent_error:no",
      "transfer_to_number_twilio_success:conf-1",
      "transfer_to_number_sip_success:sip:desk@example.com",
      "transfer_to_number_error:busy",
      "skip_turn_success:success",
      "play_dtmf_success:123#",
      "play_dtmf_error:bad tone",
      "voicemail_detection_success:success",
      "testing_tool_result:success",
      "transfer_to_number_exotel_success:+915550100",
      "knowledge_base_success:2",
      "knowledge_base_rag_success:3",
      "dummy",
    ]);
  });

  it("sends an unknown result_type to the catch-all, or throws with it", () => {
    const added = withUnknown(outcomes.end_call_success, "result_type", "hold_music_success");
    expect(matchSystemResult(added, { end_call_success: () => "end", _: (o) => o.result_type })).toBe(
      "hold_music_success",
    );
    expect(() => name(added)).toThrow(ConvaiUnknownVariantError);
    expect(() => name(added)).toThrow(expect.objectContaining({ key: "result_type", value: "hold_music_success" }));
  });
});

describe("matchWorkflowStep, matchToolCall, matchPhoneCall, matchInitiationTrigger", () => {
  it("reach the handler named by each variant", () => {
    expect(
      Object.values(steps).map((s) =>
        matchWorkflowStep(s, {
          edge: (x) => `edge:${x.target_node_id}`,
          nested_tools: (x) => `nested_tools:${x.node_id}`,
          max_iterations_exceeded: (x) => `max_iterations_exceeded:${x.max_iterations}`,
        }),
      ),
    ).toEqual(["edge:n2", "nested_tools:n2", "max_iterations_exceeded:5"]);

    expect(
      Object.values(toolCallDetails).map((d) =>
        matchToolCall(d, {
          webhook: (x) => `webhook:${x.url}`,
          client: (x) => `client:${x.parameters}`,
          mcp: (x) => `mcp:${x.mcp_server_name}`,
          api_integration_webhook: (x) => `api_integration_webhook:${x.webhook_details.method}`,
        }),
      ),
    ).toEqual(["webhook:https://example.com/hook", "client:{}", "mcp:crm", "api_integration_webhook:POST"]);

    expect(
      Object.values(phoneCalls).map((p) =>
        matchPhoneCall(p, {
          twilio: (x) => `twilio:${x.stream_sid}`,
          sip_trunking: (x) => `sip_trunking:${x.call_sid}`,
          exotel: (x) => `exotel:${x.call_sid}`,
        }),
      ),
    ).toEqual(["twilio:MZ1", "sip_trunking:sip-1", "exotel:ex-call-1"]);

    expect(
      Object.values(triggers).map((t) =>
        matchInitiationTrigger(t, { default: (x) => x.trigger_type, zendesk: (x) => `zendesk:${x.ticket_id}` }),
      ),
    ).toEqual(["default", "zendesk:42"]);
  });

  it("send a variant the types do not know to the catch-all, or throw ConvaiUnknownVariantError", () => {
    const cases: [string, () => unknown, () => unknown][] = [
      [
        "condition",
        () => matchWorkflowStep(withUnknown(steps.edge, "type", "condition"), { edge: () => 0, _: (s) => s.type }),
        () =>
          matchWorkflowStep(withUnknown(steps.edge, "type", "condition"), {
            edge: () => 0,
            nested_tools: () => 0,
            max_iterations_exceeded: () => 0,
          }),
      ],
      [
        "websocket",
        () => matchToolCall(withUnknown(webhookDetails, "type", "websocket"), { webhook: () => 0, _: (d) => d.type }),
        () =>
          matchToolCall(withUnknown(webhookDetails, "type", "websocket"), {
            webhook: () => 0,
            client: () => 0,
            mcp: () => 0,
            api_integration_webhook: () => 0,
          }),
      ],
      [
        "vonage",
        () => matchPhoneCall(withUnknown(phoneCalls.twilio, "type", "vonage"), { twilio: () => 0, _: (p) => p.type }),
        () =>
          matchPhoneCall(withUnknown(phoneCalls.twilio, "type", "vonage"), {
            twilio: () => 0,
            sip_trunking: () => 0,
            exotel: () => 0,
          }),
      ],
      [
        "salesforce",
        () =>
          matchInitiationTrigger(withUnknown(triggers.zendesk, "trigger_type", "salesforce"), {
            default: () => 0,
            _: (t) => t.trigger_type,
          }),
        () =>
          matchInitiationTrigger(withUnknown(triggers.zendesk, "trigger_type", "salesforce"), {
            default: () => 0,
            zendesk: () => 0,
          }),
      ],
    ];
    for (const [tag, withCatchAll, without] of cases) {
      expect(withCatchAll()).toBe(tag);
      expect(without).toThrow(ConvaiUnknownVariantError);
      expect(without).toThrow(expect.objectContaining({ value: tag }));
    }
  });
});

describe("guards", () => {
  const all = Object.values(toolResultsByType);

  it("tell each tool result type apart, directly and curried", () => {
    for (const [tag, value] of Object.entries(toolResultsByType)) {
      if (tag === "untyped") continue;
      const t = tag as Exclude<keyof typeof toolResultsByType, "untyped">;
      expect(isToolResult(t, value)).toBe(true);
      expect(all.filter(isToolResult(t))).toEqual([value]);
    }
    expect(isToolResult("client", toolResultsByType.untyped)).toBe(false);
  });

  it("accept several tags at once, and copy the list", () => {
    const tags: ("client" | "webhook" | "mcp")[] = ["client", "webhook"];
    const isClientOrWebhook = isToolResult(tags);
    tags.push("mcp");
    expect(all.filter(isClientOrWebhook).map((r) => r.request_id)).toEqual(["cli", "hook"]);
    expect(isToolResult(["system", "workflow"], toolResultsByType.workflow)).toBe(true);
    expect(isToolResult(["system", "workflow"], toolResultsByType.mcp)).toBe(false);
  });

  it("tell apart the variants of every other union", () => {
    const check = <T>(table: Record<string, T>, is: (tag: string, value: T) => boolean) => {
      for (const [tag, value] of Object.entries(table)) {
        for (const other of Object.keys(table)) expect(is(other, value)).toBe(other === tag);
      }
    };
    check(outcomes, (tag, v) => isSystemResult(tag as SystemToolOutcome["result_type"], v));
    check(steps, (tag, v) => isWorkflowStep(tag as WorkflowStep["type"], v));
    check(toolCallDetails, (tag, v) => isToolCall(tag as ToolCallDetails["type"], v));
    check(phoneCalls, (tag, v) => isPhoneCall(tag as PhoneCall["type"], v));
    check(triggers, (tag, v) => isInitiationTrigger(tag as InitiationTrigger["trigger_type"], v));
    expect(Object.values(outcomes).filter(isSystemResult(["play_dtmf_error", "transfer_to_number_error"]))).toEqual([
      outcomes.transfer_to_number_error,
      outcomes.play_dtmf_error,
    ]);
  });

  it("are false for a tag the types do not know", () => {
    const added = withUnknown(phoneCalls.twilio, "type", "vonage");
    expect(isPhoneCall("twilio", added)).toBe(false);
    expect(isPhoneCall(["twilio", "sip_trunking"], added)).toBe(false);
  });
});

describe("matchBy and isBy", () => {
  type Shape = { kind: "circle"; r: number } | { kind: "square"; side: number };
  const matchShape = matchBy<Shape, "kind">("kind");
  const isShape = isBy<Shape, "kind">("kind");
  const shapes: Shape[] = [
    { kind: "circle", r: 1 },
    { kind: "square", side: 2 },
  ];

  it("work for any union with a string discriminant", () => {
    expect(shapes.map((s) => matchShape(s, { circle: (c) => c.r * 10, square: (q) => q.side * 100 }))).toEqual([
      10, 200,
    ]);
    expect(shapes.filter(isShape("square"))).toEqual([{ kind: "square", side: 2 }]);
    expect(() => matchShape({ kind: "hexagon" } as unknown as Shape, { circle: () => 0, square: () => 0 })).toThrow(
      expect.objectContaining({ key: "kind", value: "hexagon" }),
    );
  });
});

describe("toolResults and pairToolCalls", () => {
  const call = (request_id: string, tool_details?: ToolCallDetails): ToolCall => ({
    request_id,
    tool_name: `tool_${request_id}`,
    params_as_json: "{}",
    tool_has_been_called: true,
    ...(tool_details ? { tool_details } : {}),
  });

  // turn 1 runs a workflow whose nested_tools step runs a system tool and a second workflow,
  // which runs a client tool; the webhook call of turn 1 gets its result in turn 2.
  const deepest: ToolResult = { ...base("n2"), type: "client" };
  const inner: WorkflowToolResult = {
    ...base("wf-inner"),
    type: "workflow",
    result: { steps: [{ ...steps.nested_tools, requests: [call("n2")], results: [deepest] }] },
  };
  const outer: WorkflowToolResult = {
    ...base("wf-outer"),
    type: "workflow",
    result: {
      steps: [
        steps.edge,
        {
          ...steps.nested_tools,
          requests: [call("n1"), call("wf-inner"), call("n-lost")],
          results: [{ ...toolResultsByType.system, request_id: "n1" }, inner],
        },
        steps.max_iterations_exceeded,
      ],
    },
  };
  const late: ToolResult = { ...base("hook-1"), type: "webhook" };
  const early: ToolResult = { ...base("early") };
  const transcript: TranscriptTurn[] = [
    v({ role: "user", message: "hi", time_in_call_secs: 0 }),
    v({
      role: "agent",
      time_in_call_secs: 1,
      tool_calls: [call("hook-1", webhookDetails), call("wf-outer")],
      tool_results: [outer, early],
    }),
    v({ role: "agent", time_in_call_secs: 2, tool_results: [late] }),
    v({ role: "agent", time_in_call_secs: 3, tool_calls: [call("early"), call("never-answered")] }),
  ];
  const conversation: Conversation = v({
    agent_id: "agent_1",
    conversation_id: "conv_1",
    status: "done",
    transcript,
    metadata: v({ start_time_unix_secs: 1_700_000_000, call_duration_secs: 4 }),
    has_audio: true,
    has_user_audio: true,
    has_response_audio: true,
  });

  it("finds every result, nested ones after their workflow, with turn, index and parent", () => {
    const found = [...toolResults(conversation)].map((e) => ({
      id: e.result.request_id,
      turnIndex: e.turnIndex,
      turn: transcript.indexOf(e.turn),
      parent: e.parent?.request_id,
    }));
    expect(found).toEqual([
      { id: "wf-outer", turnIndex: 1, turn: 1, parent: undefined },
      { id: "n1", turnIndex: 1, turn: 1, parent: "wf-outer" },
      { id: "wf-inner", turnIndex: 1, turn: 1, parent: "wf-outer" },
      { id: "n2", turnIndex: 1, turn: 1, parent: "wf-inner" },
      { id: "early", turnIndex: 1, turn: 1, parent: undefined },
      { id: "hook-1", turnIndex: 2, turn: 2, parent: undefined },
    ]);
    const nested = [...toolResults(conversation)].find((e) => e.result.request_id === "n2");
    expect(nested?.parent).toBe(inner);
    expect(nested?.result).toBe(deepest);
    expect(nested?.turn).toBe(transcript[1]);
  });

  it("takes a transcript as well as a conversation", () => {
    const ids = (source: Parameters<typeof toolResults>[0]) => [...toolResults(source)].map((e) => e.result.request_id);
    expect(ids(transcript)).toEqual(ids(conversation));
    expect(ids([])).toEqual([]);
  });

  it("pairs every call, nested ones too, with its result by request_id, and unmatched calls with undefined", () => {
    const pairs = [...pairToolCalls(conversation)].map((p) => ({
      call: p.call.request_id,
      result: p.result?.request_id,
      turnIndex: p.turnIndex,
      parent: p.parent?.request_id,
    }));
    expect(pairs).toEqual([
      { call: "hook-1", result: "hook-1", turnIndex: 1, parent: undefined },
      { call: "wf-outer", result: "wf-outer", turnIndex: 1, parent: undefined },
      { call: "n1", result: "n1", turnIndex: 1, parent: "wf-outer" },
      { call: "wf-inner", result: "wf-inner", turnIndex: 1, parent: "wf-outer" },
      { call: "n-lost", result: undefined, turnIndex: 1, parent: "wf-outer" },
      { call: "n2", result: "n2", turnIndex: 1, parent: "wf-inner" },
      { call: "early", result: "early", turnIndex: 3, parent: undefined },
      { call: "never-answered", result: undefined, turnIndex: 3, parent: undefined },
    ]);
    const hook = [...pairToolCalls(transcript)][0];
    expect(hook?.result).toBe(late);
    expect(hook?.turn).toBe(transcript[1]);
  });

  it("keeps the first result when two share a request_id", () => {
    const first: ToolResult = { ...base("dup"), type: "client", result_value: "first" };
    const second: ToolResult = { ...base("dup"), type: "client", result_value: "second" };
    const turns: TranscriptTurn[] = [
      v({ role: "agent", time_in_call_secs: 0, tool_calls: [call("dup")], tool_results: [first] }),
      v({ role: "agent", time_in_call_secs: 1, tool_results: [second] }),
      // "unanswered" reads every result before "dup" is asked for again.
      v({ role: "agent", time_in_call_secs: 2, tool_calls: [call("unanswered"), call("dup")] }),
    ];
    expect([...pairToolCalls(turns)].map((p) => [p.call.request_id, p.result?.result_value])).toEqual([
      ["dup", "first"],
      ["unanswered", undefined],
      ["dup", "first"],
    ]);
  });

  it("are lazy: nothing is read before the first item, and a break stops the walk", () => {
    const reads: number[] = [];
    const proxy = new Proxy(transcript, {
      get(target, prop, receiver) {
        if (typeof prop === "string" && /^\d+$/.test(prop)) reads.push(Number(prop));
        return Reflect.get(target, prop, receiver);
      },
    });
    const results = toolResults(proxy);
    expect(reads).toEqual([]);
    for (const entry of results) {
      expect(entry.result.request_id).toBe("wf-outer");
      break;
    }
    expect(reads).toEqual([0, 1]);

    reads.length = 0;
    const pairs = pairToolCalls(proxy);
    expect(reads).toEqual([]);
    const first = pairs.next();
    // The webhook call of turn 1 has its result in turn 2: the walk reads that far and no further.
    expect(first.value?.result).toBe(late);
    expect(Math.max(...reads)).toBe(2);
  });
});

describe("matchers and guards given nulls", () => {
  const result = NULL_SYSTEM_RESULT;

  it("matchers given something that is not an object throw a TypeError naming the argument; guards say false", () => {
    expect(() => matchToolResult(null as never, { _: () => 1 })).toThrow(/matchToolResult: value must be an object/);
    expect(() => matchToolResult(undefined as never, { _: () => 1 })).toThrow(TypeError);
    expect(() => matchToolResult(result as never, null as never)).toThrow(
      /matchToolResult: handlers must be an object/,
    );
    expect(isToolResult("system", null as never)).toBe(false);
    expect([null, result, undefined].filter(isToolResult("system") as never)).toEqual([result]);
    expect([null, result].filter(isToolResult(["system", "client"]) as never)).toEqual([result]);
    expect(() => toolResults(null as never).next()).toThrow(/toolResults: source must be a conversation/);
  });
});
