/**
 * elevenlabs-convai: a typed client for the ElevenLabs Conversational AI conversations API.
 * This entry runs wherever fetch runs; it imports nothing from `node:`. Every export is named
 * here, on purpose: nothing else is public.
 */
export { createConvaiClient, ENVIRONMENTS } from "./client.ts";
export type { ConvaiClient, ConvaiClientOptions, ConvaiEnvironment } from "./client.ts";
export type { RequestOptions } from "./http/call.ts";
export type { HeaderInput } from "./core/input.ts";
export type { Agents } from "./resources/agents.ts";
export type { ConversationAudio, Conversations } from "./resources/conversations.ts";
export type { Sessions, SignedUrl, WebrtcToken } from "./resources/sessions.ts";
export {
  reconcileConversations,
  waitForConversation,
  waitUntilDone,
  type ListFilters,
  type ReconcileOptions,
  type WaitForOptions,
  type WaitOptions,
  type WaitUntilDoneOptions,
} from "./resources/wait.ts";
export {
  ConvaiError,
  ConvaiConnectionError,
  ConvaiAPIError,
  ConvaiMonitorError,
  ConvaiResponseError,
  ConvaiTimeoutError,
  ConvaiValidationError,
  ConvaiWebhookError,
  ConvaiPaginationError,
  ConvaiUnknownVariantError,
  type MonitorFailure,
  type ValidationIssue,
  type WebhookFailure,
} from "./core/errors.ts";
export {
  isMonitorEvent,
  matchMonitorEvent,
  monitorConversation,
  type ConversationMonitor,
  type MonitorOptions,
  type MonitorSocket,
  type WebSocketConstructor,
} from "./resources/monitor/index.ts";
export {
  WEBHOOK_SIGNATURE_HEADER,
  isWebhookEvent,
  matchWebhookEvent,
  verifyWebhook,
  webhookAudio,
  type VerifyWebhookOptions,
} from "./resources/webhooks.ts";
// The generic cursor walker behind `conversations.list`, public for the other cursor lists of a
// spec regenerated with `--all` (called through `convai.api`).
export { Paginator, type CursorSource } from "./resources/pagination.ts";
export { conversationIdFromToken, tokenExpiresAt } from "./resources/token.ts";
// The types entry's names, without its generic helpers (Field, OkBody, RequestBody): those build
// the names below and are no part of what a user of the client writes.
export type {
  AgentLink,
  AgentServerEvent,
  CallInitiationFailureEvent,
  components,
  Conversation,
  ConversationsPage,
  ConversationStatus,
  ConversationSummary,
  FeedbackBody,
  FeedbackScore,
  InitiationTrigger,
  KnownMonitorEvent,
  KnownWebhookEvent,
  ListConversationsQuery,
  MonitorCommand,
  MonitorEvent,
  operations,
  paths,
  PhoneCall,
  PostCallAudioEvent,
  PostCallTranscriptionEvent,
  PostCallWebhookEvent,
  SignedUrlQuery,
  SignedUrlResponse,
  SystemToolOutcome,
  SystemToolResult,
  ToolCall,
  ToolCallDetails,
  ToolResult,
  TranscriptTurn,
  UnknownMonitorEvent,
  UnknownWebhookEvent,
  WebrtcTokenQuery,
  WebrtcTokenResponse,
  WorkflowStep,
  WorkflowToolResult,
} from "./types.ts";
// The generic matcher and guard, public with their types for users' own unions; the pairs below
// are made by them.
export {
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
  type Guard,
  type Match,
  type Untyped,
  type Variant,
} from "./transcript/narrowing.ts";
export {
  pairToolCalls,
  toolCalls,
  toolResults,
  type ToolCallEntry,
  type ToolCallPair,
  type ToolResultEntry,
  type TranscriptSource,
} from "./transcript/walk.ts";
