/** Narrowing over the emulator's real-shaped conversations: every variant reached and named. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Conversation,
  ConvaiUnknownVariantError,
  createConvaiClient,
  isToolResult,
  matchInitiationTrigger,
  matchPhoneCall,
  matchSystemResult,
  matchToolCall,
  matchToolResult,
  matchWorkflowStep,
  pairToolCalls,
  toolResults,
} from "../../src/index.ts";
import { type Emulator, startEmulator } from "../../src/testing/index.ts";

let emulator: Emulator;
let conversations: Conversation[];

beforeAll(async () => {
  emulator = await startEmulator(); // the default seeded data set
  const convai = createConvaiClient({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl });
  conversations = [];
  for await (const summary of convai.conversations.list({ page_size: 100 })) {
    conversations.push(await convai.conversations.get(summary.conversation_id));
  }
});
afterAll(() => emulator.close());

const named = new Map<string, number>();
const seen = (name: string) => named.set(name, (named.get(name) ?? 0) + 1);

describe("every variant in the emulator's conversations", () => {
  it("names each tool result, system outcome and workflow step", () => {
    for (const conversation of conversations) {
      for (const { result } of toolResults(conversation)) {
        matchToolResult(result, {
          system: (r) => {
            seen("result:system");
            if (r.result === null || r.result === undefined) return seen("system:no-result");
            matchSystemResult(r.result, {
              end_call_success: (o) => seen(`system:${o.result_type}`),
              language_detection_success: (o) => seen(`system:${o.result_type}`),
              transfer_to_agent_success: (o) => seen(`system:${o.result_type}:${o.to_agent ? "to" : ""}`),
              transfer_to_agent_error: (o) => seen(`system:${o.result_type}:${o.error ? "error" : ""}`),
              transfer_to_number_twilio_success: (o) =>
                seen(`system:${o.result_type}:${o.conference_name ? "conf" : ""}`),
              transfer_to_number_sip_success: (o) => seen(`system:${o.result_type}`),
              transfer_to_number_error: (o) => seen(`system:${o.result_type}`),
              skip_turn_success: (o) => seen(`system:${o.result_type}`),
              play_dtmf_success: (o) => seen(`system:${o.result_type}:${o.dtmf_tones ? "tones" : ""}`),
              play_dtmf_error: (o) => seen(`system:${o.result_type}`),
              voicemail_detection_success: (o) => seen(`system:${o.result_type}`),
              testing_tool_result: (o) => seen(`system:${o.result_type}`),
              transfer_to_number_exotel_success: (o) =>
                seen(`system:${o.result_type}:${o.transfer_number}`.replace(/\+\d+$/, "number")),
              knowledge_base_success: (o) => seen(`system:${o.result_type}:${o.message ? "message" : ""}`),
              knowledge_base_rag_success: (o) =>
                seen(`system:${o.result_type}:${(o.chunks ?? []).length === o.chunk_count ? "chunks" : ""}`),
              dummy: (o) => seen(`system:${o.result_type}`),
              // No `_`: every outcome of the 2026 document is handled, and the emulator writes each.
            });
          },
          workflow: (r) => {
            seen("result:workflow");
            for (const step of r.result?.steps ?? []) {
              matchWorkflowStep(step, {
                edge: (s) => seen(`step:edge:${s.target_node_id ? "target" : ""}`),
                nested_tools: (s) => seen(`step:nested_tools:${s.results.length > 0 ? "results" : ""}`),
                max_iterations_exceeded: (s) =>
                  seen(`step:max_iterations_exceeded:${s.max_iterations}`.replace(/\d+$/, "n")),
              });
            }
          },
          api_integration_webhook: (r) => seen(`result:api_integration_webhook:${r.integration_id ? "id" : ""}`),
          client: () => seen("result:client"),
          webhook: () => seen("result:webhook"),
          mcp: () => seen("result:mcp"),
          code: (r) => seen(`result:code:${r.result_value ? "value" : ""}`),
          untyped: (r) => seen(`result:untyped:${r.type === null ? "null" : "absent"}`),
        });
      }
      for (const { call } of pairToolCalls(conversation)) {
        if (!call.tool_details) {
          seen("call:no-details");
          continue;
        }
        matchToolCall(call.tool_details, {
          webhook: (d) => seen(`call:webhook:${d.method}`.replace(/:[A-Z]+$/, ":method")),
          client: () => seen("call:client"),
          mcp: (d) => seen(`call:mcp:${d.mcp_server_name ? "server" : ""}`),
          api_integration_webhook: (d) => seen(`call:api_integration_webhook:${d.webhook_details.url ? "url" : ""}`),
        });
      }
      const phone = conversation.metadata.phone_call;
      if (phone)
        matchPhoneCall(phone, {
          twilio: (p) => seen(`phone:twilio:${p.stream_sid ? "stream" : ""}`),
          sip_trunking: () => seen("phone:sip_trunking"),
          exotel: (p) => seen(`phone:exotel:${p.stream_sid && p.agent_number.startsWith("+91") ? "stream" : ""}`),
        });
      const trigger = conversation.metadata.initiation_trigger;
      if (trigger)
        matchInitiationTrigger(trigger, {
          default: () => seen("trigger:default"),
          zendesk: (t) => seen(`trigger:zendesk:${typeof t.ticket_id}`),
        });
    }
    expect([...named.keys()].sort()).toEqual(
      [
        "call:api_integration_webhook:url",
        "call:client",
        "call:mcp:server",
        "call:no-details",
        "call:webhook:method",
        "phone:sip_trunking",
        "phone:twilio:stream",
        "phone:exotel:stream",
        "result:code:value",
        "system:transfer_to_number_exotel_success:number",
        "system:knowledge_base_success:message",
        "system:knowledge_base_rag_success:chunks",
        "system:dummy",
        "result:api_integration_webhook:id",
        "result:client",
        "result:mcp",
        "result:system",
        "result:untyped:absent",
        "result:untyped:null",
        "result:webhook",
        "result:workflow",
        "step:edge:target",
        "step:max_iterations_exceeded:n",
        "step:nested_tools:results",
        "system:end_call_success",
        "system:language_detection_success",
        "system:no-result",
        "system:play_dtmf_error",
        "system:play_dtmf_success:tones",
        "system:skip_turn_success",
        "system:testing_tool_result",
        "system:transfer_to_agent_error:error",
        "system:transfer_to_agent_success:to",
        "system:transfer_to_number_error",
        "system:transfer_to_number_sip_success",
        "system:transfer_to_number_twilio_success:conf",
        "system:voicemail_detection_success",
        "trigger:default",
        "trigger:zendesk:number",
      ].sort(),
    );
  });

  it("finds results nested in workflow steps, each with its turn", () => {
    const nested = conversations.flatMap((c) => [...toolResults(c)].filter((e) => e.parent !== undefined));
    expect(nested.length).toBeGreaterThan(0);
    for (const entry of nested) expect(entry.turn.tool_results).toContainEqual(entry.parent);
  });

  it("pairs every tool call with its result by request_id", () => {
    let paired = 0;
    for (const c of conversations) {
      for (const { call, result } of pairToolCalls(c)) {
        if (result) {
          expect(result.request_id).toBe(call.request_id);
          paired++;
        }
      }
    }
    expect(paired).toBeGreaterThan(20);
  });

  it("sends a result_type or type the types do not know to the catch-all, or throws with the value", () => {
    const showcase = conversations[0]!;
    const copy = structuredClone(showcase);
    const system = [...toolResults(copy)].map((e) => e.result).find(isToolResult("system"))!;
    (system.result as { result_type: string }).result_type = "hold_music_success";
    expect(
      matchSystemResult(system.result!, { end_call_success: () => "end", _: (o) => `other:${o.result_type}` }),
    ).toBe("other:hold_music_success");
    const error = (() => {
      try {
        matchSystemResult(system.result!, {
          end_call_success: () => 1,
          language_detection_success: () => 1,
          transfer_to_agent_success: () => 1,
          transfer_to_agent_error: () => 1,
          transfer_to_number_twilio_success: () => 1,
          transfer_to_number_sip_success: () => 1,
          transfer_to_number_error: () => 1,
          skip_turn_success: () => 1,
          play_dtmf_success: () => 1,
          play_dtmf_error: () => 1,
          voicemail_detection_success: () => 1,
          testing_tool_result: () => 1,
          transfer_to_number_exotel_success: () => 1,
          knowledge_base_success: () => 1,
          knowledge_base_rag_success: () => 1,
          dummy: () => 1,
        });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConvaiUnknownVariantError);
    expect(error).toMatchObject({ key: "result_type", value: "hold_music_success" });

    const added = { ...system, type: "smart_tool" } as unknown as typeof system;
    expect(matchToolResult(added, { system: () => "system", _: (r) => `other:${String(r.type)}` })).toBe(
      "other:smart_tool",
    );
  });
});
