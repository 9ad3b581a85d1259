/**
 * elevenlabs-convai: a typed client for the ElevenLabs Conversational AI conversations API.
 * This entry runs wherever fetch runs; it imports nothing from `node:`.
 */
export { createConvaiClient, ENVIRONMENTS } from "./facade/client.ts";
export type { ConvaiClient, ConvaiClientOptions, ConvaiEnvironment } from "./facade/client.ts";
export type { RequestOptions } from "./facade/context.ts";
export type { Conversations } from "./facade/conversations.ts";
export type { ConversationAudio } from "./facade/audio.ts";
export type { Sessions, SignedUrl, WebrtcToken } from "./facade/sessions.ts";
export type { WaitForOptions, WaitUntilDoneOptions } from "./facade/wait.ts";
export {
  ConvaiConnectionError,
  ConvaiError,
  ConvaiTimeoutError,
  ConvaiValidationError,
  type ValidationIssue,
} from "./facade/errors.ts";
export { PaginationError, Paginator } from "./facade/pagination.ts";
export { conversationIdFromToken, decodeJwtPayload, tokenExpiresAt } from "./facade/token.ts";
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
} from "./facade/narrowing.ts";
export {
  pairToolCalls,
  toolResults,
  type ToolCallPair,
  type ToolResultEntry,
  type TranscriptSource,
} from "./facade/walk.ts";
