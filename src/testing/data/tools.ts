/**
 * Tool calls and their results, as transcripts carry them. Each kind below is one shape the
 * published schema allows, so that a data set walking the catalogue exercises every branch of
 * the tool unions a client has to handle.
 */
import { fill, membersAt } from "../state/conform.ts";
import type { Random } from "./random.ts";
import type { Wire } from "./wire.ts";

// Loose on purpose: what a version of the spec adds or requires is filled when served (state/conform.ts).
type ToolCall = Wire;
type ToolResult = Wire;
type SystemToolOutcome = Wire;
type WorkflowStep = Wire;

/** Every tool call/result shape the emulator produces, in the order a full catalogue uses them. */
export const TOOL_KINDS = [
  "webhook",
  "client",
  "mcp",
  "api_integration_webhook",
  "workflow",
  "workflow_max_iterations",
  "language_detection_success",
  "transfer_to_agent_success",
  "transfer_to_agent_error",
  "transfer_to_number_twilio_success",
  "transfer_to_number_sip_success",
  "transfer_to_number_error",
  "skip_turn_success",
  "play_dtmf_success",
  "play_dtmf_error",
  "voicemail_detection_success",
  "testing_tool_result",
  "system_without_result",
  "end_call_success",
] as const;

/**
 * Kinds the 2026 document added (a `code` tool's result, knowledge-base lookups, the Exotel
 * transfer, the dummy tool): in the full catalogue where the spec declares them, not drawn at
 * random, so the seeded data of older versions stays as it was.
 */
export const NEWER_TOOL_KINDS = [
  "code",
  "knowledge_base_success",
  "knowledge_base_rag_success",
  "transfer_to_number_exotel_success",
  "dummy",
] as const;

/**
 * `spec_system` and `spec_result`: a system outcome or a tool result type the spec declares and
 * no builder here knows (a version newer than this code), written from its schema so that every
 * declared member still appears.
 */
export type ToolKind = (typeof TOOL_KINDS)[number] | (typeof NEWER_TOOL_KINDS)[number] | "spec_system" | "spec_result";

/** The result `type`s the builders here write. */
const KNOWN_RESULT_TYPES = ["client", "webhook", "mcp", "code", "system", "api_integration_webhook", "workflow"];

/** How a client, webhook or mcp result carries its `type`: the schema allows all three. */
type ResultTypeMode = "set" | "null" | "absent";
/** Every result `type` mode, in catalogue order. */
export const RESULT_TYPE_MODES: readonly ResultTypeMode[] = ["set", "null", "absent"];

/** One tool use planned into a transcript: called on turn `turn`, answered on `turn + 2`. */
export interface PlannedTool {
  kind: ToolKind;
  mode: ResultTypeMode;
  turn: number;
  requestId: string;
  toolName: string;
  /** For `spec_system`: the `result_type` to write; for `spec_result`, the `type`. */
  resultType?: string;
}

const TOOL_RESULTS = ["transcript", "[]", "tool_results", "[]"];
/** The tool result types the spec declares (`type`), and the system outcomes (`result_type`), each with its schema. */
const RESULT_TYPES = membersAt("getConversation", TOOL_RESULTS, "type");
const SYSTEM_OUTCOMES = membersAt("getConversation", [...TOOL_RESULTS, "type=system", "result"], "result_type");

/** The discriminant a kind writes, and at which union: whether the spec declares it decides if the catalogue has it. */
function declared(kind: ToolKind): boolean {
  switch (kind) {
    case "webhook":
    case "client":
    case "mcp":
    case "code":
    case "api_integration_webhook":
    case "workflow":
      return RESULT_TYPES.has(kind);
    case "workflow_max_iterations":
      return RESULT_TYPES.has("workflow");
    case "system_without_result":
    case "spec_system":
      return RESULT_TYPES.has("system");
    case "spec_result":
      return true;
    default:
      return RESULT_TYPES.has("system") && SYSTEM_OUTCOMES.has(kind);
  }
}

type CatalogueEntry = { kind: ToolKind; mode: ResultTypeMode; resultType?: string };

/**
 * The full catalogue: every kind the spec declares (client/webhook/mcp once per result `type`
 * mode), then each system outcome and each tool result type the spec declares that no builder
 * here knows.
 */
export const CATALOGUE: readonly CatalogueEntry[] = [
  ...[...TOOL_KINDS, ...NEWER_TOOL_KINDS]
    .filter(declared)
    .flatMap((kind) =>
      (isOtherTool(kind) ? RESULT_TYPE_MODES : (["set"] as const)).map((mode): CatalogueEntry => ({ kind, mode })),
    ),
  ...(RESULT_TYPES.has("system") ? [...SYSTEM_OUTCOMES.keys()] : [])
    .filter((resultType) => !(TOOL_KINDS as readonly string[]).concat(NEWER_TOOL_KINDS).includes(resultType))
    .map((resultType): CatalogueEntry => ({ kind: "spec_system", mode: "set", resultType })),
  ...[...RESULT_TYPES.keys()]
    .filter((type) => !KNOWN_RESULT_TYPES.includes(type))
    .map((resultType): CatalogueEntry => ({ kind: "spec_result", mode: "set", resultType })),
];

function isOtherTool(kind: ToolKind): kind is "webhook" | "client" | "mcp" {
  return kind === "webhook" || kind === "client" || kind === "mcp";
}

const TOOL_NAMES: Record<ToolKind, readonly string[]> = {
  webhook: ["lookup_order", "check_availability"],
  client: ["show_product_card", "open_booking_form"],
  mcp: ["search_knowledge_base"],
  api_integration_webhook: ["create_zendesk_ticket"],
  workflow: ["checkout_workflow"],
  workflow_max_iterations: ["payment_retry_workflow"],
  language_detection_success: ["language_detection"],
  transfer_to_agent_success: ["transfer_to_agent"],
  transfer_to_agent_error: ["transfer_to_agent"],
  transfer_to_number_twilio_success: ["transfer_to_number"],
  transfer_to_number_sip_success: ["transfer_to_number"],
  transfer_to_number_error: ["transfer_to_number"],
  skip_turn_success: ["skip_turn"],
  play_dtmf_success: ["play_keypad_touch_tone"],
  play_dtmf_error: ["play_keypad_touch_tone"],
  voicemail_detection_success: ["voicemail_detection"],
  testing_tool_result: ["end_call"],
  system_without_result: ["end_call"],
  end_call_success: ["end_call"],
  code: ["compute_shipping_quote", "estimate_refund"],
  knowledge_base_success: ["knowledge_base"],
  knowledge_base_rag_success: ["knowledge_base"],
  transfer_to_number_exotel_success: ["transfer_to_number"],
  dummy: ["dummy"],
  spec_system: ["system_tool"],
  spec_result: ["tool"],
};

/** The tools a workflow calls in its nested step; they count as used by the conversation. */
export const NESTED_TOOL_NAMES = ["transfer_to_agent", "show_product_card"] as const;

/**
 * Chooses the tool's name when planning, so the list's `tool_names` filter needs no transcript.
 *
 * @example
 * toolNameFor("webhook", createRandom(1)); // "lookup_order" or "check_availability"
 */
export function toolNameFor(kind: ToolKind, rng: Random): string {
  return rng.pick(TOOL_NAMES[kind]);
}

/** The agents a transfer names; the ids need not exist. */
interface ToolContext {
  agentId: string;
  otherAgentId: string;
}

/**
 * The call and the result of one planned tool use.
 *
 * @example
 * const { call, result } = toolUse(plan, createRandom(1), { agentId, otherAgentId });
 */
export function toolUse(tool: PlannedTool, rng: Random, context: ToolContext): { call: ToolCall; result: ToolResult } {
  const { requestId: request_id, toolName: tool_name } = tool;
  const latency = round(rng.next() * 1.5 + 0.05);
  switch (tool.kind) {
    case "webhook":
    case "client":
    case "mcp":
      return otherTool(tool, rng, latency);
    case "code":
      return codeTool(tool, rng, latency);
    case "spec_result": {
      // The call of a kind of tool this code does not know: no type it could name, no details.
      const filled = fill(RESULT_TYPES.get(tool.resultType ?? ""));
      return {
        call: {
          type: null,
          request_id,
          tool_name,
          params_as_json: "{}",
          tool_has_been_called: true,
          tool_details: null,
        },
        result: {
          ...(typeof filled === "object" && filled !== null ? filled : {}),
          request_id,
          tool_name,
          result_value: "{}",
          is_error: false,
          tool_has_been_called: true,
          tool_latency_secs: latency,
          type: tool.resultType,
        },
      };
    }
    case "api_integration_webhook": {
      const ids = {
        integration_id: `intg_${rng.alnum(20)}`,
        credential_id: `cred_${rng.alnum(20)}`,
        integration_connection_id: `conn_${rng.alnum(20)}`,
      };
      const ticket = rng.int(10_000, 99_999);
      return {
        call: {
          type: "api_integration_webhook",
          request_id,
          tool_name,
          params_as_json: JSON.stringify({ subject: "Follow-up requested", priority: "normal" }),
          tool_has_been_called: true,
          tool_details: {
            type: "api_integration_webhook",
            ...ids,
            webhook_details: {
              type: "webhook",
              method: "POST",
              url: "https://example.zendesk.com/api/v2/tickets",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ ticket: { subject: "Follow-up requested" } }),
            },
          },
        },
        result: {
          request_id,
          tool_name,
          result_value: JSON.stringify({ ticket_id: ticket, status: "open" }),
          is_error: false,
          tool_has_been_called: true,
          tool_latency_secs: latency,
          dynamic_variable_updates: [
            {
              variable_name: "ticket_id",
              old_value: null,
              new_value: String(ticket),
              updated_at: 1_700_000_000 + ticket,
              tool_name,
              tool_request_id: request_id,
            },
          ],
          type: "api_integration_webhook",
          ...ids,
        },
      };
    }
    case "workflow":
    case "workflow_max_iterations":
      return workflow(tool, rng, latency, context);
    case "system_without_result":
      return system(tool, latency, null, false);
    default: {
      const outcome = systemOutcome(tool.kind, rng, context, tool.resultType);
      return system(tool, latency, outcome, outcome.status === "error");
    }
  }
}

function otherTool(tool: PlannedTool, rng: Random, latency: number): { call: ToolCall; result: ToolResult } {
  const { requestId: request_id, toolName: tool_name } = tool;
  const kind = tool.kind as "webhook" | "client" | "mcp";
  const order = `ORD-${rng.int(1000, 9999)}`;
  const params = { order_id: order };
  const details: Wire =
    kind === "webhook"
      ? {
          type: "webhook",
          method: "GET",
          url: `https://api.example.com/orders/{order_id}`,
          headers: { accept: "application/json" },
          path_params: params,
          query_params: {},
          body: null,
        }
      : kind === "client"
        ? { type: "client", parameters: JSON.stringify(params) }
        : {
            type: "mcp",
            mcp_server_id: `mcp_${rng.alnum(16)}`,
            mcp_server_name: "Help Center",
            integration_type: "mcp_server",
            parameters: { query: "return policy" },
            approval_policy: "auto_approve_all",
            requires_approval: false,
            mcp_tool_name: "search",
            mcp_tool_description: "Searches the help center articles",
          };
  const result: ToolResult = {
    request_id,
    tool_name,
    result_value: JSON.stringify({ order_id: order, status: rng.pick(["shipped", "processing", "delivered"]) }),
    is_error: false,
    tool_has_been_called: true,
    tool_latency_secs: latency,
    dynamic_variable_updates: [],
  };
  // The schema allows the discriminant to be set, null or left out; real responses do all three.
  if (tool.mode === "set") result.type = kind;
  if (tool.mode === "null") result.type = null;
  return {
    call: {
      type: kind,
      request_id,
      tool_name,
      params_as_json: JSON.stringify(params),
      tool_has_been_called: true,
      tool_details: details,
    },
    result,
  };
}

function system(
  tool: PlannedTool,
  latency: number,
  outcome: SystemToolOutcome | null,
  isError: boolean,
): { call: ToolCall; result: ToolResult } {
  const { requestId: request_id, toolName: tool_name } = tool;
  return {
    // System tools run inside the platform: there are no details to show.
    call: {
      type: "system",
      request_id,
      tool_name,
      params_as_json: "{}",
      tool_has_been_called: true,
      tool_details: null,
    },
    result: {
      request_id,
      tool_name,
      result_value: JSON.stringify(outcome ?? { status: "success" }),
      is_error: isError,
      tool_has_been_called: true,
      tool_latency_secs: latency,
      dynamic_variable_updates: [],
      type: "system",
      result: outcome,
    },
  };
}

/**
 * A `code` tool: code the agent's owner wrote, run by the platform. The document's tool-call
 * `type` (ToolType) has no `code`, so its call goes without a type and without details.
 */
function codeTool(tool: PlannedTool, rng: Random, latency: number): { call: ToolCall; result: ToolResult } {
  const { requestId: request_id, toolName: tool_name } = tool;
  const params = { weight_kg: round(rng.next() * 10 + 0.2), zone: rng.pick(["US", "EU", "APAC"]) };
  return {
    call: {
      type: null,
      request_id,
      tool_name,
      params_as_json: JSON.stringify(params),
      tool_has_been_called: true,
      tool_details: null,
    },
    result: {
      request_id,
      tool_name,
      result_value: JSON.stringify({ quote_usd: round(4 + params.weight_kg * 1.7), currency: "USD" }),
      is_error: false,
      tool_has_been_called: true,
      tool_latency_secs: latency,
      dynamic_variable_updates: [],
      type: "code",
    },
  };
}

const KB_DOCUMENTS = [
  ["Returns policy", "Items can be returned within 30 days of delivery with the receipt."],
  ["Shipping times", "Standard shipping takes 3 to 5 business days; express takes 1 to 2."],
  ["Warranty", "Electronics carry a one-year limited warranty from the date of purchase."],
] as const;

/** The system tool outcome of `kind`, one per `result_type`. */
function systemOutcome(kind: ToolKind, rng: Random, context: ToolContext, resultType?: string): SystemToolOutcome {
  const phone = `+1415555${rng.int(1000, 9999)}`;
  switch (kind) {
    case "knowledge_base_success":
      return {
        result_type: "knowledge_base_success",
        status: "success",
        chunk_count: rng.int(1, 4),
        message: "Referenced knowledge base.",
      };
    case "knowledge_base_rag_success": {
      const chunks = KB_DOCUMENTS.slice(0, rng.int(1, KB_DOCUMENTS.length)).map(([title, content], i) => ({
        chunk_id: `chunk_${rng.alnum(12)}`,
        document_id: `doc_${title.toLowerCase().replace(/\W+/g, "_")}_${i}`,
        content,
      }));
      return {
        result_type: "knowledge_base_rag_success",
        status: "success",
        chunk_count: chunks.length,
        message: "Referenced knowledge base.",
        chunks,
      };
    }
    case "transfer_to_number_exotel_success":
      return {
        result_type: "transfer_to_number_exotel_success",
        status: "success",
        transfer_number: `+9180${rng.int(10_000_000, 99_999_999)}`,
        reason: "The caller asked for a human",
        agent_message: "Transferring a caller who needs help with an order.",
        note: null,
      };
    case "dummy":
      return { result_type: "dummy" };
    case "spec_system": {
      // Written from the spec's own schema of the member: valid, if plain.
      const schema = SYSTEM_OUTCOMES.get(resultType ?? "");
      const filled = fill(schema);
      return { ...(typeof filled === "object" && filled !== null ? filled : {}), result_type: resultType };
    }
    case "language_detection_success":
      return {
        result_type: "language_detection_success",
        status: "success",
        reason: "The caller switched language",
        language: rng.pick(["es", "de", "fr"]),
      };
    case "transfer_to_agent_success":
      return {
        result_type: "transfer_to_agent_success",
        status: "success",
        from_agent: context.agentId,
        to_agent: context.otherAgentId,
        condition: "The caller asks about billing",
        delay_ms: 0,
        transfer_message: "Connecting you with our billing specialist.",
        enable_transferred_agent_first_message: true,
      };
    case "transfer_to_agent_error":
      return {
        result_type: "transfer_to_agent_error",
        status: "error",
        from_agent: context.agentId,
        error: "The target agent is not available",
      };
    case "transfer_to_number_twilio_success":
      return {
        result_type: "transfer_to_number_twilio_success",
        status: "success",
        transfer_number: phone,
        reason: "The caller asked for a human",
        client_message: "Please hold while I transfer you.",
        agent_message: "Transferring a caller who needs help with an order.",
        conference_name: `conf_${rng.alnum(12)}`,
        note: null,
      };
    case "transfer_to_number_sip_success":
      return {
        result_type: "transfer_to_number_sip_success",
        status: "success",
        transfer_number: `sip:support-${rng.int(10, 99)}@pbx.example.com`,
        reason: "The caller asked for a human",
        note: null,
      };
    case "transfer_to_number_error":
      return {
        result_type: "transfer_to_number_error",
        status: "error",
        error: "The transfer destination did not answer",
        details: `No answer from ${phone} after 30 s`,
      };
    case "skip_turn_success":
      return { result_type: "skip_turn_success", status: "success", reason: "The caller asked for a moment" };
    case "play_dtmf_success":
      return { result_type: "play_dtmf_success", status: "success", dtmf_tones: `${rng.int(1, 9)}#`, reason: null };
    case "play_dtmf_error":
      return {
        result_type: "play_dtmf_error",
        status: "error",
        error: "DTMF is not supported on this call",
        details: null,
      };
    case "voicemail_detection_success":
      return {
        result_type: "voicemail_detection_success",
        status: "success",
        voicemail_message: "Sorry we missed you. We will call back tomorrow.",
        reason: "Answering machine detected",
      };
    case "testing_tool_result":
      return { result_type: "testing_tool_result", status: "success", reason: "Mocked by an agent test" };
    default:
      return {
        result_type: "end_call_success",
        status: "success",
        reason: "The caller's request was handled",
        message: "Thanks for calling. Goodbye!",
      };
  }
}

function workflow(
  tool: PlannedTool,
  rng: Random,
  latency: number,
  context: ToolContext,
): { call: ToolCall; result: ToolResult } {
  const { requestId: request_id, toolName: tool_name } = tool;
  const [transferName, clientName] = NESTED_TOOL_NAMES;
  const transferId = `${request_id}_n0`;
  const clientId = `${request_id}_n1`;
  const nestedSteps: WorkflowStep = {
    step_latency_secs: round(rng.next()),
    type: "nested_tools",
    node_id: `node_${rng.alnum(8)}`,
    requests: [
      {
        type: "system",
        request_id: transferId,
        tool_name: transferName,
        params_as_json: "{}",
        tool_has_been_called: true,
        tool_details: null,
      },
      {
        type: "client",
        request_id: clientId,
        tool_name: clientName,
        params_as_json: JSON.stringify({ sku: "SKU-1" }),
        tool_has_been_called: true,
        tool_details: { type: "client", parameters: JSON.stringify({ sku: "SKU-1" }) },
      },
    ],
    results: [
      {
        request_id: transferId,
        tool_name: transferName,
        result_value: "{}",
        is_error: false,
        tool_has_been_called: true,
        type: "system",
        result: systemOutcome("transfer_to_agent_success", rng, context),
      },
      {
        request_id: clientId,
        tool_name: clientName,
        result_value: JSON.stringify({ shown: true }),
        is_error: false,
        tool_has_been_called: true,
        type: "client",
      },
    ],
    is_successful: true,
  };
  const steps: WorkflowStep[] = [
    {
      step_latency_secs: round(rng.next() * 0.1),
      type: "edge",
      edge_id: `edge_${rng.alnum(8)}`,
      target_node_id: "node_a",
    },
    nestedSteps,
  ];
  const exceeded = tool.kind === "workflow_max_iterations";
  steps.push(
    exceeded
      ? { step_latency_secs: round(rng.next() * 0.1), type: "max_iterations_exceeded", max_iterations: 5 }
      : {
          step_latency_secs: round(rng.next() * 0.1),
          type: "edge",
          edge_id: `edge_${rng.alnum(8)}`,
          target_node_id: "end",
        },
  );
  return {
    call: {
      type: "workflow",
      request_id,
      tool_name,
      params_as_json: JSON.stringify({ cart_id: `cart_${rng.alnum(6)}` }),
      tool_has_been_called: true,
      tool_details: null,
    },
    result: {
      request_id,
      tool_name,
      result_value: JSON.stringify({ completed: !exceeded }),
      is_error: exceeded,
      tool_has_been_called: true,
      tool_latency_secs: latency,
      dynamic_variable_updates: [],
      type: "workflow",
      result: { steps },
    },
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
