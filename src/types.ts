/**
 * The type-only entry: `import type { Conversation } from "elevenlabs-convai/types"`. Its
 * JavaScript is empty. Names are derived from operations (by the operationIds this package
 * assigns), not from the upstream component names, which change between spec versions.
 */
import type { components, operations, paths } from "./generated/schema.ts";

export type { components, operations, paths };

/** The JSON body of an operation's 200 response. */
export type OkBody<O> = O extends { responses: { 200: { content: { "application/json": infer B } } } } ? B : never;

/** A conversation with its transcript, metadata and analysis (`GET /v1/convai/conversations/{id}`). */
export type Conversation = OkBody<operations["getConversation"]>;
/** One page of the conversation list. */
export type ConversationsPage = OkBody<operations["listConversations"]>;
/** One entry of the conversation list. */
export type ConversationSummary = ConversationsPage["conversations"][number];
/** The list's filters (`cursor` is managed by the iterator). */
export type ListConversationsQuery = NonNullable<operations["listConversations"]["parameters"]["query"]>;
export type ConversationStatus = Conversation["status"];
export type TranscriptTurn = Conversation["transcript"][number];
/** A tool call made in a turn; `tool_details` is a union by `type`. */
export type ToolCall = NonNullable<TranscriptTurn["tool_calls"]>[number];
export type ToolCallDetails = NonNullable<ToolCall["tool_details"]>;
/** A tool result: system, workflow, api_integration_webhook, or client/webhook/mcp (whose `type` may be absent). */
export type ToolResult = NonNullable<TranscriptTurn["tool_results"]>[number];
export type SystemToolResult = Extract<ToolResult, { type: "system" }>;
/** What a system tool did, told apart by `result_type`. */
export type SystemToolOutcome = NonNullable<SystemToolResult["result"]>;
export type WorkflowToolResult = Extract<ToolResult, { type: "workflow" }>;
/** A step of a workflow tool run, told apart by `type`. */
export type WorkflowStep = NonNullable<NonNullable<WorkflowToolResult["result"]>["steps"]>[number];
/** The phone leg of a conversation, told apart by `type` (twilio, sip_trunking). */
export type PhoneCall = NonNullable<Conversation["metadata"]["phone_call"]>;
/** What started a conversation, told apart by `trigger_type`. */
export type InitiationTrigger = NonNullable<Conversation["metadata"]["initiation_trigger"]>;
export type AgentLink = OkBody<operations["getAgentLink"]>;
export type FeedbackScore = NonNullable<
  NonNullable<operations["sendConversationFeedback"]["requestBody"]>["content"]["application/json"]["feedback"]
>;
/** The query of the WebRTC token operation. */
export type WebrtcTokenQuery = operations["getConversationToken"]["parameters"]["query"];
/** The query of the signed-URL operation. */
export type SignedUrlQuery = operations["getSignedUrl"]["parameters"]["query"];
