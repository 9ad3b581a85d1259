/**
 * Deterministic conversations. A conversation is planned from its seed first (cheap: ids,
 * times, status, turn count, which tools it uses), then its header (metadata, analysis) and its
 * transcript are built from that plan on separate random streams, so the emulator can build
 * thousands of headers up front and each transcript only when someone asks for it.
 */
import type { Conversation, ConversationStatus, TranscriptTurn } from "../../types.ts";
import { createRandom, mixSeeds, type Random } from "./random.ts";
import {
  NESTED_TOOL_NAMES,
  RESULT_TYPE_MODES,
  TOOL_KINDS,
  CATALOGUE,
  toolNameFor,
  toolUse,
  type PlannedTool,
  type ToolKind,
} from "./tools.ts";
import { GREETING, TOPICS, type Topic } from "./topics.ts";
import { type Wire, asSpec } from "./wire.ts";
import { conformBody, fill, membersAt } from "../state/conform.ts";

type Metadata = Conversation["metadata"];

/**
 * A field the spec may not declare, to spread into an object literal: type-checked while the
 * generated types declare it, still sent (and not a compile error) once a regenerated spec drops
 * it. For the knowledge the client treats as optional (see openapi/relies-on.yaml).
 *
 * @example
 * const metadata = { ...rest, ...optionalField<Metadata, "initiation_trigger">("initiation_trigger", trigger) };
 */
export function optionalField<T, K extends string>(
  key: K,
  value: K extends keyof T ? T[K] : unknown,
): K extends keyof T ? { [P in K]: T[K] } : Record<K, unknown> {
  return { [key]: value } as never;
}

/** The moment seeded data is "before" unless told otherwise: 2025-11-21, fixed for determinism. */
export const DEFAULT_NOW = 1_763_700_000;

export interface MakeConversationOptions {
  seed: number;
  agent_id?: string;
  /** Number of transcript turns (user and agent alternate, the agent speaks first). */
  turns?: number;
  conversation_id?: string;
  start_time_unix_secs?: number;
  /** Default `"done"`; only done conversations have an analysis. */
  status?: ConversationStatus;
}

/** What a conversation will be, decided before any of it is built. */
export interface ConversationPlan {
  seed: number;
  conversationId: string;
  agentId: string;
  start: number;
  status: ConversationStatus;
  turns: number;
  duration: number;
  topic: Topic;
  tools: PlannedTool[];
  /** Every tool name the transcript calls, nested workflow calls included. */
  toolNames: string[];
  hasAudio: boolean;
  /** How the conversation came in when the seeded data set chooses it (else drawn from the seed). */
  channel: Channel;
  /** The newest conversation of a seeded data set, holding every shape. */
  showcase: boolean;
}

/**
 * A channel the seeded data set gives a conversation so that every phone-call type the spec
 * declares, and WhatsApp, appear at least once: `phone` names the phone call's `type`.
 */
export interface Channel {
  phone?: string;
  whatsapp?: boolean;
}

const USER_IDS = Array.from({ length: 12 }, (_, i) => `user_${1001 + i}`);

/**
 * Decides everything about a conversation that the list needs, without building it.
 *
 * @example
 * const plan = planConversation({ seed: 7, status: "processing" });
 * plan.turns; // the message_count the list reports
 */
export function planConversation(
  options: MakeConversationOptions,
  showcase = false,
  channel: Channel = {},
): ConversationPlan {
  const { seed } = options;
  const { conversationId, agentId, startOffset } = defaultsFor(seed);
  const rng = createRandom(mixSeeds(seed, 1));
  const status = options.status ?? "done";
  // By status; a status a regenerated spec adds is planned like a finished conversation.
  const byStatus: Partial<Record<string, number>> = {
    initiated: 0,
    "in-progress": rng.int(1, 6),
    processing: rng.int(4, 22),
    done: rng.int(4, 22),
    failed: rng.int(0, 4),
  };
  const randomTurns = byStatus[status] ?? byStatus.done!;
  const turns = Math.max(0, Math.floor(options.turns ?? (showcase ? 23 : randomTurns)));
  const duration = turns * rng.int(4, 11) + rng.int(3, 40);
  const topic = rng.pick(TOPICS);
  const audioChances: Partial<Record<string, number>> = {
    initiated: 0,
    "in-progress": 0,
    processing: 0,
    done: 0.9,
    failed: 0.5,
  };
  const audioChance = audioChances[status] ?? 0;
  // A WhatsApp conversation is written, not spoken: no recording (drawn all the same, for the stream).
  const hasAudio = (showcase || rng.chance(audioChance)) && channel.whatsapp !== true;
  const tools = planTools(createRandom(mixSeeds(seed, 4)), turns, showcase);
  const toolNames = [
    ...new Set(
      tools.flatMap((t) => (t.kind.startsWith("workflow") ? [t.toolName, ...NESTED_TOOL_NAMES] : [t.toolName])),
    ),
  ];
  return {
    seed,
    conversationId: options.conversation_id ?? conversationId,
    agentId: options.agent_id ?? agentId,
    start: options.start_time_unix_secs ?? DEFAULT_NOW - startOffset,
    status,
    turns,
    duration,
    topic,
    tools,
    toolNames,
    hasAudio,
    channel,
    showcase,
  };
}

/**
 * The values of a seed's unset options. They come from their own stream, so setting one option
 * leaves every other value of the conversation as it was.
 *
 * @example
 * const id = defaultsFor(7).conversationId; // the id planConversation({ seed: 7 }) will have
 */
export function defaultsFor(seed: number): { conversationId: string; agentId: string; startOffset: number } {
  const ids = createRandom(mixSeeds(seed, 0));
  return {
    conversationId: `conv_${ids.alnum(26)}`,
    agentId: `agent_${ids.alnum(26)}`,
    startOffset: ids.int(60, 30 * 86_400),
  };
}

/**
 * Places tool uses on agent turns. A call on turn t is answered on the agent's next turn, t + 2,
 * so calls go on agent turns 2..turns-3 (turn 0 is the greeting).
 */
function planTools(rng: Random, turns: number, showcase: boolean): PlannedTool[] {
  const slots: number[] = [];
  for (let t = 2; t <= turns - 3; t += 2) slots.push(t);
  if (slots.length === 0) return [];
  const make = (
    kind: ToolKind,
    mode: PlannedTool["mode"],
    turn: number,
    index: number,
    resultType?: string,
  ): PlannedTool => ({
    kind,
    mode,
    turn,
    requestId: `call_${index.toString(36)}${rng.alnum(16)}`,
    toolName: resultType === undefined ? toolNameFor(kind, rng) : resultType.replace(/_success$/, ""),
    ...(resultType === undefined ? {} : { resultType }),
  });
  const all = CATALOGUE;
  if (showcase) {
    // Every shape, in catalogue order, packed evenly over the available turns.
    return all.map((entry, i) =>
      make(entry.kind, entry.mode, slots[Math.floor((i * slots.length) / all.length)]!, i, entry.resultType),
    );
  }
  if (turns >= 30) {
    // Long transcripts (benchmarks): a tool on every other agent turn, cycling the catalogue.
    const offset = rng.int(0, all.length - 1);
    return slots
      .filter((_, i) => i % 2 === 0)
      .map((turn, i) => {
        const entry = all[(offset + i) % all.length]!;
        return make(entry.kind, entry.mode, turn, i, entry.resultType);
      });
  }
  const common: readonly ToolKind[] = ["webhook", "client", "mcp", "end_call_success", "api_integration_webhook"];
  const count = rng.int(0, Math.min(3, slots.length * 2));
  const tools = Array.from({ length: count }, (_, i) => {
    const kind = rng.chance(0.6) ? rng.pick(common) : rng.pick(TOOL_KINDS);
    const mode = rng.pick(RESULT_TYPE_MODES);
    const slot = rng.pick(slots);
    // A call ends with end_call, not halfway through the conversation.
    return make(kind, mode, kind === "end_call_success" ? slots.at(-1)! : slot, i);
  });
  return tools.sort((a, b) => a.turn - b.turn);
}

/**
 * The conversation without its transcript (`transcript: []`): metadata, analysis, flags.
 *
 * @example
 * const header = conversationHeader(planConversation({ seed: 1 }));
 */
export function conversationHeader(plan: ConversationPlan): Conversation {
  const rng = createRandom(mixSeeds(plan.seed, 2));
  const { status, start, duration, topic } = plan;
  const userId = rng.chance(0.8) ? rng.pick(USER_IDS) : null;
  const drawn = phoneCall(rng, plan.channel.phone);
  const whatsapp = plan.channel.whatsapp === true ? whatsappInfo(rng) : null;
  const phone = whatsapp === null ? drawn : null;
  const outbound = phone?.direction === "outbound";
  const feedback = feedbackFor(rng);
  const done = status === "done";
  // Drawn whatever the status, so a conversation keeps its other values when its status moves on.
  const accepted = start + rng.int(0, 2);
  const cost = duration * rng.int(8, 14);
  const tier = rng.pick(["gold", "silver", "bronze"]);
  const kinds = new Set(plan.tools.map((t) => t.kind));
  const used = (...names: ToolKind[]) => ({ enabled: true, used: names.some((n) => kinds.has(n)) });
  const source = whatsapp
    ? "whatsapp"
    : phone
      ? (PHONE_SOURCES[phone.type] ?? "unknown")
      : rng.pick(["js_sdk", "react_sdk", "widget"] as const);
  return asSpec<Conversation>({
    agent_id: plan.agentId,
    conversation_id: plan.conversationId,
    status,
    user_id: userId,
    branch_id: null,
    transcript: [],
    metadata: {
      start_time_unix_secs: start,
      accepted_time_unix_secs: status === "initiated" ? null : accepted,
      call_duration_secs: duration,
      cost: done ? cost : null,
      deletion_settings: {
        deletion_time_unix_secs: null,
        deleted_logs_at_time_unix_secs: null,
        deleted_audio_at_time_unix_secs: null,
        deleted_transcript_at_time_unix_secs: null,
        delete_transcript_and_pii: false,
        delete_audio: false,
      },
      feedback,
      authorization_method:
        phone || whatsapp ? "public" : rng.pick(["signed_url", "authorization_header", "public"] as const),
      charging: {
        dev_discount: false,
        is_burst: false,
        tier: "pro",
        llm_price: Math.round(duration * 0.31) / 1000,
        llm_charge: done ? duration : null,
        call_charge: done ? duration * 10 : null,
        free_minutes_consumed: 0,
        free_llm_dollars_consumed: 0,
      },
      phone_call: phone,
      batch_call:
        outbound && rng.chance(0.5)
          ? { batch_call_id: `btcal_${rng.alnum(20)}`, batch_call_recipient_id: `btcrec_${rng.alnum(20)}` }
          : null,
      termination_reason: terminationReason(plan),
      error: status === "failed" ? { code: 1011, reason: "The agent's LLM did not respond in time" } : null,
      warnings: [],
      main_language: "en",
      // Knowledge-base lookups count as retrievals.
      rag_usage: ragUsage(plan),
      text_only: whatsapp !== null,
      features_usage: {
        language_detection: used("language_detection_success"),
        transfer_to_agent: used("transfer_to_agent_success", "transfer_to_agent_error", "workflow"),
        transfer_to_number: used(
          "transfer_to_number_twilio_success",
          "transfer_to_number_sip_success",
          "transfer_to_number_exotel_success",
          "transfer_to_number_error",
        ),
        multivoice: { enabled: false, used: false },
        dtmf_tones: used("play_dtmf_success", "play_dtmf_error"),
        external_mcp_servers: used("mcp"),
        pii_zrm_workspace: false,
        pii_zrm_agent: false,
        tool_dynamic_variable_updates: used("api_integration_webhook"),
        is_livekit: false,
        voicemail_detection: used("voicemail_detection_success"),
        workflow: {
          enabled: kinds.has("workflow") || kinds.has("workflow_max_iterations"),
          tool_node: used("workflow", "workflow_max_iterations"),
        },
        agent_testing: { enabled: false, tests_ran_after_last_modification: false, tests_ran_in_last_7_days: false },
      },
      eleven_assistant: { is_eleven_assistant: false },
      initiator_id: outbound ? userId : null,
      conversation_initiation_source: source,
      conversation_initiation_source_version: phone || whatsapp ? null : `2.${rng.int(0, 9)}.${rng.int(0, 20)}`,
      timezone: rng.pick(["America/New_York", "Europe/London", "Asia/Singapore", null]),
      ...optionalField<Metadata, "initiation_trigger">(
        "initiation_trigger",
        rng.chance(0.15)
          ? { trigger_type: "zendesk", ticket_id: rng.int(100_000, 999_999) }
          : { trigger_type: "default" },
      ),
      async_metadata: null,
      whatsapp,
      agent_created_from: "ui",
      agent_last_updated_from: rng.pick(["ui", "api", "cli"] as const),
    },
    analysis: done ? analysisFor(rng, topic, plan.turns) : null,
    conversation_initiation_client_data: {
      conversation_config_override: { turn: null, tts: null, conversation: null, agent: null },
      // Any keys the agent's custom LLM takes (the document declares an open object).
      custom_llm_extra_body: plan.showcase || rng.chance(0.25) ? extraBody(rng, tier) : {},
      user_id: userId,
      source_info: { source, version: null },
      dynamic_variables: {
        system__agent_id: plan.agentId,
        system__conversation_id: plan.conversationId,
        system__call_duration_secs: duration,
        customer_tier: tier,
      },
    },
    has_audio: plan.hasAudio,
    has_user_audio: plan.hasAudio,
    has_response_audio: plan.hasAudio,
    has_auxiliary_audio: false,
  });
}

/** The `conversation_initiation_source` of a phone call by its type. */
const PHONE_SOURCES: Partial<Record<string, string>> = {
  twilio: "twilio",
  sip_trunking: "sip_trunk",
  exotel: "exotel",
};

/** The phone-call types the spec declares, each with its schema (a type no builder knows is written from it). */
export const PHONE_CALL_TYPES = membersAt("getConversation", ["metadata", "phone_call"], "type");

function phoneCall(rng: Random, type?: string): (Wire & { direction: "inbound" | "outbound"; type: string }) | null {
  const roll = rng.next();
  const direction = rng.pick(["inbound", "outbound"] as const);
  const numbers = {
    direction,
    phone_number_id: `phnum_${rng.alnum(20)}`,
    agent_number: `+1415555${rng.int(1000, 9999)}`,
    external_number: `+1212555${rng.int(1000, 9999)}`,
  };
  const chosen = type ?? (roll < 0.4 ? "twilio" : roll < 0.6 ? "sip_trunking" : undefined);
  switch (chosen) {
    case undefined:
      return null;
    case "twilio":
      return { ...numbers, type: "twilio", stream_sid: `MZ${rng.alnum(32)}`, call_sid: `CA${rng.alnum(32)}` };
    case "sip_trunking":
      return { ...numbers, type: "sip_trunking", call_sid: `sip_${rng.alnum(24)}` };
    case "exotel":
      // Exotel serves India: its numbers are Indian, its ids hex.
      return {
        ...numbers,
        agent_number: `+9180${rng.int(10_000_000, 99_999_999)}`,
        external_number: `+919${rng.int(100_000_000, 999_999_999)}`,
        type: "exotel",
        stream_sid: rng.alnum(32).toLowerCase(),
        call_sid: rng.alnum(32).toLowerCase(),
      };
    default: {
      // A type a newer spec added: the numbers, and what its schema requires.
      const filled = fill(PHONE_CALL_TYPES.get(chosen));
      return { ...(typeof filled === "object" && filled !== null ? filled : {}), ...numbers, type: chosen };
    }
  }
}

/** A WhatsApp conversation's block: the business number and the user (no business account id, as in 2026). */
function whatsappInfo(rng: Random): Wire {
  return {
    direction: "inbound",
    whatsapp_phone_number_id: String(rng.int(100_000_000, 999_999_999)) + String(rng.int(1_000_000, 9_999_999)),
    whatsapp_user_id: `1415555${rng.int(1000, 9999)}`,
    awaiting_first_user_message: false,
  };
}

function ragUsage(plan: ConversationPlan): Wire | null {
  const lookups = plan.tools.filter((t) => t.kind.startsWith("knowledge_base")).length;
  return lookups === 0 ? null : { usage_count: lookups, embedding_model: "e5_mistral_7b_instruct" };
}

/** What a custom LLM is given besides the prompt: any keys. */
function extraBody(rng: Random, tier: string): Wire {
  return {
    temperature: Math.round(rng.next() * 100) / 100,
    max_tokens: rng.pick([256, 512, 1024]),
    metadata: { customer_tier: tier, experiment: rng.pick(["control", "concise-replies"]) },
    stop: ["\nUser:"],
  };
}

type Feedback = Wire;

function feedbackFor(rng: Random): Feedback {
  const roll = rng.next();
  const comment = rng.chance(0.4)
    ? rng.pick(["Quick and helpful.", "Had to repeat myself a few times.", "The agent was very patient."])
    : null;
  if (roll < 0.35) return { type: null, overall_score: null, likes: 0, dislikes: 0, rating: null, comment: null };
  if (roll < 0.65) {
    const like = rng.chance(0.7);
    return {
      type: "thumbs",
      overall_score: like ? "like" : "dislike",
      likes: like ? 1 : 0,
      dislikes: like ? 0 : 1,
      rating: null,
      comment,
    };
  }
  return { type: "rating", overall_score: null, likes: 0, dislikes: 0, rating: rng.int(1, 5), comment };
}

function terminationReason(plan: ConversationPlan): string {
  if (plan.status === "initiated" || plan.status === "in-progress") return "";
  if (plan.status === "failed") return "Error occurred";
  return plan.tools.some((t) => t.kind === "end_call_success") ? "end_call tool was called." : "Client disconnected";
}

const CRITERIA = ["issue_resolved", "polite_tone", "identity_verified"] as const;

function analysisFor(rng: Random, topic: Topic, turns: number): Wire {
  const outcome = (): "success" | "failure" | "unknown" => {
    const roll = rng.next();
    return roll < 0.7 ? "success" : roll < 0.9 ? "failure" : "unknown";
  };
  const evaluation: Record<string, { result: string } & Wire> = {};
  for (const criteria_id of CRITERIA) {
    if (criteria_id === "identity_verified" && rng.chance(0.5)) continue;
    evaluation[criteria_id] = { criteria_id, result: outcome(), rationale: `Judged from ${turns} turns.` };
  }
  const data: Record<string, Wire> = {
    customer_intent: {
      data_collection_id: "customer_intent",
      value: topic.intent,
      json_schema: { type: "string", description: "What the caller wanted", enum: TOPICS.map((t) => t.intent) },
      rationale: "Stated in the caller's first message.",
    },
  };
  if (rng.chance(0.7)) {
    data.order_total = {
      data_collection_id: "order_total",
      value: Math.round(rng.next() * 50_000) / 100,
      json_schema: { type: "number", description: "The order's total in USD" },
      rationale: "Read from the order lookup.",
    };
  }
  data.callback_requested = {
    data_collection_id: "callback_requested",
    value: rng.chance(0.3),
    json_schema: { type: "boolean", description: "Whether the caller wants a call back" },
    rationale: "Asked at the end of the call.",
  };
  data.satisfaction_score = {
    data_collection_id: "satisfaction_score",
    value: rng.chance(0.2) ? null : rng.int(1, 10),
    json_schema: { type: "integer", description: "Satisfaction from 1 to 10" },
    rationale: "From the caller's closing remarks.",
  };
  return {
    evaluation_criteria_results: evaluation,
    data_collection_results: data,
    call_successful: evaluation.issue_resolved?.result ?? "unknown",
    transcript_summary: topic.summary,
    call_summary_title: topic.title,
  };
}

/**
 * The transcript of a plan. Deterministic: the same plan always gives the same turns.
 *
 * @example
 * const turns = conversationTranscript(planConversation({ seed: 1, turns: 2_000 }));
 */
export function conversationTranscript(plan: ConversationPlan): TranscriptTurn[] {
  const rng = createRandom(mixSeeds(plan.seed, 3));
  const context = { agentId: plan.agentId, otherAgentId: `agent_${createRandom(mixSeeds(plan.seed, 5)).alnum(26)}` };
  const calls = new Map<number, Wire[]>();
  const results = new Map<number, Wire[]>();
  plan.tools.forEach((tool, i) => {
    const { call, result } = toolUse(tool, createRandom(mixSeeds(plan.seed, 6, i)), context);
    push(calls, tool.turn, call);
    push(results, tool.turn + 2, result);
  });
  const turns: TranscriptTurn[] = [];
  let userLine = 0;
  let agentLine = 0;
  const feedbackTurn = rng.chance(0.3) ? 2 * rng.int(0, Math.max(0, Math.floor((plan.turns - 1) / 2))) : -1;
  for (let t = 0; t < plan.turns; t++) {
    const agent = t % 2 === 0;
    const time = Math.floor((t * plan.duration) / Math.max(1, plan.turns));
    const toolCalls = calls.get(t) ?? [];
    let message: string | null;
    if (!agent) message = plan.topic.user[userLine++ % plan.topic.user.length]!;
    else if (t === 0) message = GREETING;
    // Turns that only call tools often carry no text, as in real transcripts.
    else if (toolCalls.length > 0 && rng.chance(0.3)) message = null;
    else message = plan.topic.agent[agentLine++ % plan.topic.agent.length]!;
    turns.push(
      asSpec<TranscriptTurn>({
        role: agent ? "agent" : "user",
        agent_metadata: agent ? { agent_id: plan.agentId, branch_id: null, workflow_node_id: null } : null,
        message,
        multivoice_message: null,
        tool_calls: toolCalls,
        tool_results: results.get(t) ?? [],
        feedback: t === feedbackTurn ? { score: rng.chance(0.8) ? "like" : "dislike", time_in_call_secs: time } : null,
        llm_override: null,
        time_in_call_secs: time,
        conversation_turn_metrics: agent
          ? { metrics: { convai_llm_service_ttfb: { elapsed_time: Math.round(rng.next() * 900) / 1000 } } }
          : null,
        rag_retrieval_info: null,
        llm_usage: agent
          ? {
              model_usage: {
                "gemini-2.0-flash-001": {
                  input: { tokens: rng.int(800, 4000), price: 0.0002 },
                  output_total: { tokens: rng.int(10, 120), price: 0.00003 },
                },
              },
            }
          : null,
        interrupted: !agent && rng.chance(0.05),
        original_message: null,
        source_medium: plan.channel.whatsapp === true ? "text" : "audio",
      }),
    );
  }
  return turns;
}

function push<T>(map: Map<number, T[]>, key: number, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * A complete, deterministic conversation: the generator behind the emulator's seeded data. Give
 * `turns` for a transcript of that length (from 30 turns up, a tool is used on every other
 * agent turn, cycling through every tool call and result shape).
 *
 * @example
 * const long = makeConversation({ seed: 3, turns: 2_000 });
 * emulator.addConversation(long, { audioBytes: 200 * 1024 * 1024 });
 */
export function makeConversation(options: MakeConversationOptions): Conversation {
  if (options === null || typeof options !== "object" || !Number.isSafeInteger(options.seed)) {
    throw new TypeError(
      `makeConversation: options must be an object with an integer seed, got ${options === null ? "null" : typeof options === "object" ? `seed ${String(options.seed)}` : typeof options}`,
    );
  }
  const plan = planConversation(options);
  // Shaped as the emulator serves it, to the spec it was generated from.
  return conformBody("getConversation", {
    ...conversationHeader(plan),
    transcript: conversationTranscript(plan),
  }) as Conversation;
}
