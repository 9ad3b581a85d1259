/**
 * A local emulator of the ElevenLabs Conversational AI conversations API, for tests, demos and
 * benchmarks: seeded deterministic data, every list filter, sessions whose conversations move
 * through their lifecycle, recordings of any size, and scripted faults. Node only.
 *
 * @example
 * import { startEmulator } from "elevenlabs-convai/testing";
 * const emulator = await startEmulator({ seed: 7 });
 * // point the client at emulator.baseUrl with emulator.apiKey
 * await emulator.close();
 */
export { startEmulator, DEFAULT_API_KEY } from "./http/server.ts";
export type { Emulator, EmulatorOptions } from "./http/server.ts";
export type { ChaosOptions, Fault } from "./http/faults.ts";
export type { RecordedRequest } from "./http/log.ts";
export { signWebhook, type WebhookDelivery, type WebhookEventType, type WebhookOptions } from "./http/webhooks.ts";
export type { SessionOutcome } from "./state/operations.ts";
export type { MonitorCommandRecord, MonitorOptions as EmulatorMonitorOptions } from "./http/monitor.ts";
export { OPERATION_IDS, type OperationId } from "./state/operations.ts";
export { makeConversation, DEFAULT_NOW, type MakeConversationOptions } from "./data/conversation.ts";
