/** The types of the matchers, guards and walkers. Checked by vitest's typecheck mode and by tsc. */
import { describe, expectTypeOf, it } from "vitest";
import {
  type Guard,
  type Match,
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
import { type ToolCallPair, type ToolResultEntry, pairToolCalls, toolResults } from "../../src/transcript/walk.ts";
import type {
  Conversation,
  InitiationTrigger,
  PhoneCall,
  SystemToolOutcome,
  SystemToolResult,
  ToolCall,
  ToolCallDetails,
  ToolResult,
  TranscriptTurn,
  WorkflowStep,
  WorkflowToolResult,
} from "../../src/types.ts";

declare const result: ToolResult;
declare const results: ToolResult[];
declare const outcome: SystemToolOutcome;
declare const step: WorkflowStep;
declare const details: ToolCallDetails;
declare const phone: PhoneCall;
declare const trigger: InitiationTrigger;
declare const conversation: Conversation;

type ApiResult = Extract<ToolResult, { type: "api_integration_webhook" }>;
/** A client, webhook, mcp or code result: the member whose `type` is optional. */
type OtherResult = Extract<ToolResult, { type?: "client" | "webhook" | "mcp" | "code" | null }>;

describe("matchToolResult", () => {
  it("gives each handler the member its key names", () => {
    matchToolResult(result, {
      system: (r) => expectTypeOf(r).toEqualTypeOf<SystemToolResult>(),
      workflow: (r) => expectTypeOf(r).toEqualTypeOf<WorkflowToolResult>(),
      api_integration_webhook: (r) => expectTypeOf(r).toEqualTypeOf<ApiResult>(),
      client: (r) => {
        expectTypeOf(r).toEqualTypeOf<OtherResult & { type: "client" }>();
        expectTypeOf(r.type).toEqualTypeOf<"client">();
      },
      webhook: (r) => expectTypeOf(r.type).toEqualTypeOf<"webhook">(),
      mcp: (r) => expectTypeOf(r.type).toEqualTypeOf<"mcp">(),
      code: (r) => expectTypeOf(r.type).toEqualTypeOf<"code">(),
      untyped: (r) => {
        expectTypeOf(r).toEqualTypeOf<OtherResult & { type?: null | undefined }>();
        expectTypeOf(r.type).toEqualTypeOf<null | undefined>();
      },
    });
  });

  it("returns the union of what the handlers return", () => {
    const got = matchToolResult(result, {
      system: () => 1,
      workflow: () => "workflow" as const,
      _: () => true,
    });
    expectTypeOf(got).toEqualTypeOf<number | "workflow" | boolean>();
  });

  it("gives the catch-all the members without a handler, untyped ones included", () => {
    matchToolResult(result, {
      system: () => 0,
      workflow: () => 0,
      _: (rest) =>
        expectTypeOf(rest).toEqualTypeOf<
          | ApiResult
          | (OtherResult & { type: "client" | "webhook" | "mcp" | "code" })
          | (OtherResult & { type?: null | undefined })
        >(),
    });
    matchToolResult(result, {
      untyped: () => 0,
      client: () => 0,
      webhook: () => 0,
      mcp: () => 0,
      code: () => 0,
      _: (rest) => expectTypeOf(rest).toEqualTypeOf<SystemToolResult | WorkflowToolResult | ApiResult>(),
    });
    matchToolResult(result, {
      system: () => 0,
      workflow: () => 0,
      api_integration_webhook: () => 0,
      client: () => 0,
      webhook: () => 0,
      mcp: () => 0,
      code: () => 0,
      untyped: () => 0,
      _: (rest) => expectTypeOf(rest).toEqualTypeOf<never>(),
    });
  });

  it("refuses a match that leaves a handler out without a catch-all", () => {
    matchToolResult(result, {
      system: () => 0,
      workflow: () => 0,
      api_integration_webhook: () => 0,
      client: () => 0,
      webhook: () => 0,
      mcp: () => 0,
      code: () => 0,
      untyped: () => 0,
    });
    // @ts-expect-error -- `untyped` is missing: a result may come without a type
    matchToolResult(result, {
      system: () => 0,
      workflow: () => 0,
      api_integration_webhook: () => 0,
      client: () => 0,
      webhook: () => 0,
      mcp: () => 0,
    });
    // @ts-expect-error -- `mcp` is missing
    matchToolResult(result, {
      system: () => 0,
      workflow: () => 0,
      api_integration_webhook: () => 0,
      client: () => 0,
      webhook: () => 0,
      untyped: () => 0,
    });
  });

  it("refuses a handler for a type the union does not have", () => {
    // @ts-expect-error -- no tool result has type "sytem"
    matchToolResult(result, { sytem: () => 0, _: () => 1 });
  });
});

describe("the other matchers", () => {
  it("give each handler its member", () => {
    matchSystemResult(outcome, {
      transfer_to_number_twilio_success: (o) => expectTypeOf(o.conference_name).toEqualTypeOf<string>(),
      play_dtmf_error: (o) => expectTypeOf(o.status).toEqualTypeOf<"error">(),
      _: (o) => expectTypeOf(o.result_type).not.toEqualTypeOf<SystemToolOutcome["result_type"]>(),
    });
    matchWorkflowStep(step, {
      edge: (s) => expectTypeOf(s.target_node_id).toEqualTypeOf<string>(),
      nested_tools: (s) => expectTypeOf(s.results).toEqualTypeOf<ToolResult[]>(),
      max_iterations_exceeded: (s) => expectTypeOf(s.max_iterations).toEqualTypeOf<number>(),
    });
    matchToolCall(details, {
      webhook: (d) => expectTypeOf(d.url).toEqualTypeOf<string>(),
      client: (d) => expectTypeOf(d.parameters).toEqualTypeOf<string>(),
      mcp: (d) => expectTypeOf(d.mcp_server_name).toEqualTypeOf<string>(),
      api_integration_webhook: (d) => expectTypeOf(d.webhook_details.type).toEqualTypeOf<"webhook">(),
    });
    matchPhoneCall(phone, {
      twilio: (p) => expectTypeOf(p.stream_sid).toEqualTypeOf<string>(),
      _: (p) => expectTypeOf(p).toEqualTypeOf<Extract<PhoneCall, { type: "sip_trunking" | "exotel" }>>(),
    });
    matchInitiationTrigger(trigger, {
      zendesk: (t) => expectTypeOf(t.ticket_id).toEqualTypeOf<number>(),
      default: (t) => expectTypeOf(t).toEqualTypeOf<{ trigger_type: "default" }>(),
    });
  });

  it("refuse a match that leaves a handler out without a catch-all", () => {
    // @ts-expect-error -- 14 of the 16 result types are missing
    matchSystemResult(outcome, { end_call_success: () => 0, skip_turn_success: () => 0 });
    // @ts-expect-error -- max_iterations_exceeded is missing
    matchWorkflowStep(step, { edge: () => 0, nested_tools: () => 0 });
    // @ts-expect-error -- api_integration_webhook is missing
    matchToolCall(details, { webhook: () => 0, client: () => 0, mcp: () => 0 });
    // @ts-expect-error -- sip_trunking is missing
    matchPhoneCall(phone, { twilio: () => 0 });
    // @ts-expect-error -- zendesk is missing
    matchInitiationTrigger(trigger, { default: () => 0 });
  });

  it("offer untyped only where the discriminant may be missing", () => {
    // @ts-expect-error -- every phone call has a type
    matchPhoneCall(phone, { twilio: () => 0, sip_trunking: () => 0, exotel: () => 0, untyped: () => 0 });
  });
});

describe("guards", () => {
  it("narrow directly and curried, one tag or several", () => {
    if (isToolResult("system", result)) expectTypeOf(result).toEqualTypeOf<SystemToolResult>();
    expectTypeOf(results.filter(isToolResult("system"))).toEqualTypeOf<SystemToolResult[]>();
    expectTypeOf(results.filter(isToolResult(["system", "workflow"]))).toEqualTypeOf<
      (SystemToolResult | WorkflowToolResult)[]
    >();
    const picked = results.filter(isToolResult(["client", "webhook"]));
    expectTypeOf(picked).toEqualTypeOf<(OtherResult & { type: "client" | "webhook" })[]>();
    expectTypeOf(picked[0]!.type).toEqualTypeOf<"client" | "webhook">();
    expectTypeOf(results.find(isToolResult("workflow"))).toEqualTypeOf<WorkflowToolResult | undefined>();

    if (isSystemResult("transfer_to_agent_success", outcome)) expectTypeOf(outcome.to_agent).toEqualTypeOf<string>();
    if (isWorkflowStep("nested_tools", step)) expectTypeOf(step.node_id).toEqualTypeOf<string>();
    if (isToolCall("mcp", details)) expectTypeOf(details.approval_policy).toEqualTypeOf<string>();
    if (isPhoneCall("twilio", phone)) expectTypeOf(phone.stream_sid).toEqualTypeOf<string>();
    if (isInitiationTrigger("zendesk", trigger)) expectTypeOf(trigger.ticket_id).toEqualTypeOf<number>();
  });

  it("refuse a tag the union does not have", () => {
    // @ts-expect-error -- no tool result has type "sytem"
    isToolResult("sytem");
    // @ts-expect-error -- phone calls are twilio, sip_trunking or exotel
    isPhoneCall(["twilio", "vonage"], phone);
  });
});

describe("Variant and Untyped", () => {
  it("name the members of a union", () => {
    expectTypeOf<Variant<ToolResult, "type", "system">>().toEqualTypeOf<SystemToolResult>();
    expectTypeOf<Variant<ToolResult, "type", "client">>().toEqualTypeOf<OtherResult & { type: "client" }>();
    expectTypeOf<Untyped<ToolResult, "type">>().toEqualTypeOf<OtherResult & { type?: null | undefined }>();
    expectTypeOf<Untyped<PhoneCall, "type">>().toEqualTypeOf<never>();
  });
});

describe("matchBy and isBy", () => {
  type Shape = { kind: "circle"; r: number } | { kind: "square"; side: number } | { kind: "dot" };

  it("type a matcher and a guard for any union", () => {
    const matchShape = matchBy<Shape, "kind">("kind");
    const isShape = isBy<Shape, "kind">("kind");
    expectTypeOf(matchShape).toEqualTypeOf<Match<Shape, "kind">>();
    expectTypeOf(isShape).toEqualTypeOf<Guard<Shape, "kind">>();
    expectTypeOf(matchToolResult).toEqualTypeOf<Match<ToolResult, "type">>();

    const area = matchShape({ kind: "dot" } as Shape, {
      circle: (c) => Math.PI * c.r ** 2,
      _: (rest) => {
        expectTypeOf(rest).toEqualTypeOf<{ kind: "square"; side: number } | { kind: "dot" }>();
        return "n/a" as const;
      },
    });
    expectTypeOf(area).toEqualTypeOf<number | "n/a">();
    expectTypeOf(([] as Shape[]).filter(isShape("square"))).toEqualTypeOf<{ kind: "square"; side: number }[]>();
    // @ts-expect-error -- "kind" is the discriminant; Shape has no "type"
    matchBy<Shape, "type">("type");
  });
});

describe("toolResults and pairToolCalls", () => {
  it("yield entries typed with the friendly types", () => {
    expectTypeOf(toolResults(conversation)).toEqualTypeOf<Generator<ToolResultEntry, void, undefined>>();
    expectTypeOf(toolResults(conversation.transcript)).toEqualTypeOf<Generator<ToolResultEntry, void, undefined>>();
    expectTypeOf(pairToolCalls(conversation)).toEqualTypeOf<Generator<ToolCallPair, void, undefined>>();
    expectTypeOf<ToolResultEntry["result"]>().toEqualTypeOf<ToolResult>();
    expectTypeOf<ToolResultEntry["turn"]>().toEqualTypeOf<TranscriptTurn>();
    expectTypeOf<ToolResultEntry["parent"]>().toEqualTypeOf<WorkflowToolResult | undefined>();
    expectTypeOf<ToolCallPair["call"]>().toEqualTypeOf<ToolCall>();
    expectTypeOf<ToolCallPair["result"]>().toEqualTypeOf<ToolResult | undefined>();
  });
});
