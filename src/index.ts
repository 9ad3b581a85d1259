/**
 * elevenlabs-convai: a typed client for the ElevenLabs Conversational AI conversations API.
 * This entry runs wherever fetch runs; it imports nothing from `node:`.
 */
export { createConvaiClient, ENVIRONMENTS } from "./client.ts";
export type { ConvaiClient, ConvaiClientOptions, ConvaiEnvironment } from "./client.ts";
export type { RequestOptions } from "./http/call.ts";
export type { Conversations } from "./resources/conversations.ts";
export type { ConversationAudio } from "./resources/audio.ts";
export type { Sessions, SignedUrl, WebrtcToken } from "./resources/sessions.ts";
export type { WaitForOptions, WaitUntilDoneOptions } from "./resources/wait.ts";
export {
  ConvaiConnectionError,
  ConvaiError,
  ConvaiTimeoutError,
  ConvaiValidationError,
  type ValidationIssue,
} from "./http/errors.ts";
export { PaginationError, Paginator } from "./resources/pagination.ts";
export { conversationIdFromToken, decodeJwtPayload, tokenExpiresAt } from "./resources/token.ts";
export type * from "./types.ts";
export {
  UnknownVariantError,
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
  toolResults,
  type ToolCallPair,
  type ToolResultEntry,
  type TranscriptSource,
} from "./transcript/walk.ts";
