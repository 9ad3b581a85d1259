/**
 * The type-only entry: `import type { Conversation } from "elevenlabs-convai/types"`. Its
 * JavaScript is empty. Every name is derived from an operation (by the operationIds this package
 * assigns): its parameters, its body or its response, never from the upstream component names,
 * which change between spec versions. A field a regenerated spec may lack is reached through
 * `Field`, so it degrades to `undefined` (a union member to `never`) instead of failing to compile.
 *
 * So that editors and declaration files show these names rather than spelling the structure out,
 * an object type is an interface extending what the operation gives, and a union is declared as
 * `Members | Members` (a union type node of its own, which keeps its name).
 */
import type { AgentServerEvent } from "./generated/monitor.ts";
import type { components, operations, paths } from "./generated/schema.ts";

export type { AgentServerEvent, components, operations, paths };

/** `T[K]` where `T` has `K`, else `undefined` (distributed over a union). */
export type Field<T, K extends PropertyKey> = T extends unknown ? (K extends keyof T ? T[K] : undefined) : never;

/** The element type of an array type; `never` for anything else. */
type Item<T> = T extends readonly (infer I)[] ? I : never;

/** The JSON body of a response or request body object. */
type Json<R> = R extends { content: { "application/json": infer B } } ? B : never;

/** The JSON body of an operation's 200 response. */
export type OkBody<O> = O extends { responses: { 200: infer R } } ? Json<R> : never;

/** The JSON body an operation takes. */
export type RequestBody<O> = O extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;

/**
 * `T` with the fields named in `R` given those types instead (keeping each field's `?`, and its
 * `null` or `undefined` where `T` allowed them); a field `T` lacks stays absent. This is how the
 * nested values of a conversation get the names below, so that editors show `TranscriptTurn[]`
 * rather than the generated structure.
 */
type With<T, R> = { [P in keyof T]: P extends keyof R ? R[P] | Extract<T[P], null | undefined> : T[P] };

declare const dropped: unique symbol;
/**
 * What a named member becomes when a regenerated spec no longer has it (or has split it): an
 * object no value has, which its union leaves out. The members the spec has then come unnamed.
 */
interface Dropped {
  readonly [dropped]: never;
}
type Intersected<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
/** The one member of `T` whose `K` can be `V`; `Dropped` when none is, or several are. */
type MemberOf<T, K extends PropertyKey, V> =
  Hits<T, K, V> extends infer M ? ([M] extends [never] ? Dropped : [M] extends [Intersected<M>] ? M : Dropped) : never;
type Hits<T, K extends PropertyKey, V> = T extends unknown
  ? K extends keyof T
    ? [Extract<T[K], V>] extends [never]
      ? never
      : T
    : never
  : never;

/** The body of `GET /v1/convai/conversations/{id}`, as generated. */
type ConversationBody = OkBody<operations["getConversation"]>;
type TurnBody = Item<Field<ConversationBody, "transcript">>;
type ToolCallBody = Item<NonNullable<Field<TurnBody, "tool_calls">>>;
type ToolResultBody = Item<NonNullable<Field<TurnBody, "tool_results">>>;
type MetadataBody = Field<ConversationBody, "metadata">;

/** A conversation with its transcript, metadata and analysis (`GET /v1/convai/conversations/{id}`). */
export interface Conversation extends With<
  ConversationBody,
  { transcript: TranscriptTurn[]; metadata: ConversationMetadata }
> {}
/** A conversation's metadata: its timing, cost, phone leg (`phone_call`) and what started it. */
export interface ConversationMetadata extends With<
  MetadataBody,
  { phone_call: PhoneCall; initiation_trigger: InitiationTrigger }
> {}
/** One page of the conversation list. */
export interface ConversationsPage extends OkBody<operations["listConversations"]> {}
/** One entry of the conversation list. */
export interface ConversationSummary extends Item<Field<ConversationsPage, "conversations">> {}
/** The list's filters (`cursor` is managed by the iterator). */
export type ListConversationsQuery = NonNullable<operations["listConversations"]["parameters"]["query"]>;
export type ConversationStatus = Field<Conversation, "status">;
/** One turn of a transcript: who spoke, what was said, the tool calls made and their results. */
export interface TranscriptTurn extends With<TurnBody, { tool_calls: ToolCall[]; tool_results: ToolResult[] }> {}
/** A tool call made in a turn; `tool_details` is a union by `type`. */
export interface ToolCall extends With<ToolCallBody, { tool_details: ToolCallDetails }> {}
export type ToolCallDetails = ToolCallDetailsMembers | ToolCallDetailsMembers;
type ToolCallDetailsMembers = NonNullable<Field<ToolCallBody, "tool_details">>;
/**
 * A tool result: system, workflow, api_integration_webhook, or client/webhook/mcp (whose `type` may
 * be absent). Each known kind has its name; a kind a regenerated spec adds comes unnamed.
 */
export type ToolResult =
  | Exclude<SystemToolResult | WorkflowToolResult | ApiIntegrationWebhookToolResult | OtherToolResult, Dropped>
  | Exclude<ToolResultBody, SystemToolResult | WorkflowToolResult | ApiIntegrationWebhookToolResult | OtherToolResult>;
/** The result of a system tool (end_call, transfers, language detection…); `result` says what it did. */
export interface SystemToolResult extends With<
  MemberOf<ToolResultBody, "type", "system">,
  { result: SystemToolOutcome }
> {}
/** What a system tool did, told apart by `result_type`. */
export type SystemToolOutcome = SystemToolOutcomeMembers | SystemToolOutcomeMembers;
type SystemToolOutcomeMembers = NonNullable<Field<MemberOf<ToolResultBody, "type", "system">, "result">>;
/** The result of a workflow tool: its steps (`result.steps`), told apart by `type`. */
export interface WorkflowToolResult extends With<
  MemberOf<ToolResultBody, "type", "workflow">,
  {
    result: With<NonNullable<Field<MemberOf<ToolResultBody, "type", "workflow">, "result">>, { steps: WorkflowStep[] }>;
  }
> {}
/** The result of an API-integration webhook tool. */
export interface ApiIntegrationWebhookToolResult extends MemberOf<ToolResultBody, "type", "api_integration_webhook"> {}
/** The result of a client, webhook or MCP tool; its `type` may be absent (`untyped` in `matchToolResult`). */
export interface OtherToolResult extends MemberOf<ToolResultBody, "type", "client"> {}
/** A step of a workflow tool run, told apart by `type`. */
export type WorkflowStep = WorkflowStepMembers | WorkflowStepMembers;
type WorkflowStepMembers = Item<
  NonNullable<Field<NonNullable<Field<MemberOf<ToolResultBody, "type", "workflow">, "result">>, "steps">>
>;
/** The phone leg of a conversation, told apart by `type` (twilio, sip_trunking). */
export type PhoneCall =
  | Exclude<TwilioPhoneCall | SipTrunkingPhoneCall, Dropped>
  | Exclude<PhoneCallMembers, TwilioPhoneCall | SipTrunkingPhoneCall>;
type PhoneCallMembers = NonNullable<Field<MetadataBody, "phone_call">>;
/** A call over Twilio. */
export interface TwilioPhoneCall extends MemberOf<PhoneCallMembers, "type", "twilio"> {}
/** A call over a SIP trunk. */
export interface SipTrunkingPhoneCall extends MemberOf<PhoneCallMembers, "type", "sip_trunking"> {}
/** What started a conversation, told apart by `trigger_type` (`never` in a spec without it). */
export type InitiationTrigger = InitiationTriggerMembers | InitiationTriggerMembers;
type InitiationTriggerMembers = NonNullable<Field<MetadataBody, "initiation_trigger">>;
export interface AgentLink extends OkBody<operations["getAgentLink"]> {}
/** The body `conversations.sendFeedback` sends. */
export interface FeedbackBody extends RequestBody<operations["sendConversationFeedback"]> {}
/** A feedback score (`null` clears it, where the spec allows null). */
export type FeedbackScore = NonNullable<Field<FeedbackBody, "feedback">>;
/** The query of the WebRTC token operation. */
export type WebrtcTokenQuery = operations["getConversationToken"]["parameters"]["query"];
/** The WebRTC token response; its `conversation_id` is observed, not published (`undefined` in a spec without it). */
export interface WebrtcTokenResponse extends OkBody<operations["getConversationToken"]> {}
/** The query of the signed-URL operation. */
export type SignedUrlQuery = operations["getSignedUrl"]["parameters"]["query"];
export interface SignedUrlResponse extends OkBody<operations["getSignedUrl"]> {}
/** `operations[K]` where the spec has operation `K`, else `never`: for operations an older document lacks. */
type Op<K extends string> = K extends keyof operations ? operations[K] : never;
/** `T`, or `Fallback` where `T` is `never` (a type of an operation the document lacks). */
type OrElse<T, Fallback> = [T] extends [never] ? Fallback : T;

/** An operation's query parameters, an empty record where it takes none. */
type QueryOf<O> = [NonNullable<Field<Field<O, "parameters">, "query">>] extends [infer Q]
  ? [Q] extends [never]
    ? Record<never, never>
    : Q
  : Record<never, never>;

/** The query `conversations.get` takes (`format` where the spec has it). */
export type GetConversationQuery = QueryOf<operations["getConversation"]>;

/** A value of an OpenTelemetry attribute, as OTLP/JSON writes it (64-bit integers as strings). */
export type OtlpAnyValue = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  bytesValue?: string;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
};
export type OtlpKeyValue = { key: string; value?: OtlpAnyValue };

/** One span of a trace, as OTLP/JSON writes it (ids in hex, times in nanoseconds as strings). */
export type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  /** 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind?: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: OtlpKeyValue[];
  events?: { timeUnixNano?: string; name?: string; attributes?: OtlpKeyValue[] }[];
  links?: { traceId: string; spanId: string; traceState?: string; attributes?: OtlpKeyValue[] }[];
  /** code: 0 unset, 1 ok, 2 error. */
  status?: { code?: number; message?: string };
  flags?: number;
};

/**
 * The trace of a conversation in OpenTelemetry's JSON form (an OTLP `ExportTraceServiceRequest`):
 * what `conversations.get(id, { format: "opentelemetry" })` puts in `otlp_traces`. The published
 * document types it only as an object; this is OTLP's own shape, for the fields a reader needs.
 */
export type OtlpTraces = {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[]; droppedAttributesCount?: number };
    scopeSpans?: {
      scope?: { name?: string; version?: string; attributes?: OtlpKeyValue[] };
      spans?: OtlpSpan[];
      schemaUrl?: string;
    }[];
    schemaUrl?: string;
  }[];
};

/** A conversation asked for with `format: "opentelemetry"`: its trace in `otlp_traces`. */
export interface ConversationWithTraces extends Omit<Conversation, "otlp_traces"> {
  otlp_traces: OtlpTraces;
}

/** A conversation's generated summary (`GET …/{id}/summary`; `never` in a spec without it). */
export type ConversationSummaryDetails = OkBody<Op<"getConversationSummary">>;
/** The query of `conversations.summary` (`max_messages`). */
export type ConversationSummaryQuery = QueryOf<Op<"getConversationSummary">>;
/** A page of messages found across conversations, by text or by meaning. */
export type MessageSearchPage = OkBody<Op<"textSearchConversationMessages">>;
/** One message found: its conversation, its index in the transcript, the matched text and a score. */
export type MessageSearchResult = Item<Field<MessageSearchPage, "results">>;
/** The filters of `conversations.searchMessages` (`text_query` and the list's filters; `cursor` is managed). */
export type SearchMessagesQuery = QueryOf<Op<"textSearchConversationMessages">>;
/** The filters of `conversations.smartSearchMessages` (`text_query`, `agent_id`). */
export type SmartSearchMessagesQuery = QueryOf<Op<"smartSearchConversationMessages">>;
/**
 * What `conversations.runEvaluation` sends: the criterion to run again, and its scope (defaulted
 * by the server). From a document without the operation, the method refuses before any request.
 */
export type RunEvaluationBody = OrElse<RequestBody<Op<"runConversationEvaluations">>, { evaluation_id: string }>;

/** One problem of a 422 answer: `{ loc, msg, type }`. */
export interface ValidationIssue extends Item<
  Field<Json<operations["listConversations"]["responses"][422]>, "detail">
> {}

/**
 * A post-call webhook: ElevenLabs POSTs one to your URL when a conversation ends. Verify and parse
 * it with `verifyWebhook`; tell its kinds apart with `matchWebhookEvent` or `isWebhookEvent`.
 */
export type PostCallWebhookEvent = KnownWebhookEvent | UnknownWebhookEvent;

/** The kinds of post-call webhook this package knows. */
export type KnownWebhookEvent = PostCallTranscriptionEvent | PostCallAudioEvent | CallInitiationFailureEvent;

/** The conversation, as the get-conversation operation returns it, once its analysis is done. */
export interface PostCallTranscriptionEvent {
  type: "post_call_transcription";
  /** Unix seconds. */
  event_timestamp: number;
  data: Conversation;
}

/** The whole recording. Large (base64 MP3); `webhookAudio(event)` decodes it to bytes. */
export interface PostCallAudioEvent {
  type: "post_call_audio";
  event_timestamp: number;
  data: { agent_id: string; conversation_id: string; full_audio: string };
}

/** A phone call that never started: busy, no answer, or another reason. */
export interface CallInitiationFailureEvent {
  type: "call_initiation_failure";
  event_timestamp: number;
  data: {
    agent_id: string;
    conversation_id: string;
    /** Observed: `busy`, `no-answer`, `unknown`. */
    failure_reason: "busy" | "no-answer" | "unknown" | (string & {});
    metadata: { type: "twilio" | "sip" | (string & {}); body: Record<string, unknown> };
  };
}

/**
 * An event of a type this package does not know yet (ElevenLabs adds kinds): verified like the
 * others, its `data` untyped. `matchWebhookEvent` hands it to `_`.
 */
export interface UnknownWebhookEvent {
  type: string;
  event_timestamp: number;
  data: unknown;
}

/**
 * What the monitoring socket streams: the events of the agent socket's server (from its AsyncAPI
 * document), without those never monitored (audio, VAD scores, pings), and an open member for
 * kinds added later (such as `agent_tool_response`), which reach `_` in `matchMonitorEvent`.
 */
export type MonitorEvent = KnownMonitorEvent | UnknownMonitorEvent;
export type KnownMonitorEvent = KnownMonitorEventMembers | KnownMonitorEventMembers;
type KnownMonitorEventMembers = Exclude<AgentServerEvent, { type: "audio" | "vad_score" | "ping" }>;
/** An event of a kind the AsyncAPI document does not list: kept, untyped. */
export interface UnknownMonitorEvent {
  type: string;
  [field: string]: unknown;
}

/** The control commands a monitor may send, as ElevenLabs documents them. */
export type MonitorCommand =
  | { command_type: "end_call" }
  /** The agent must have the transfer-to-number system tool. */
  | { command_type: "transfer_to_number"; parameters: { phone_number: string } }
  | { command_type: "contextual_update"; parameters: { contextual_update: string } }
  /** Chat conversations. */
  | { command_type: "enable_human_takeover" }
  | { command_type: "disable_human_takeover" }
  /** While taken over. */
  | { command_type: "send_human_message"; parameters: { text: string } };
