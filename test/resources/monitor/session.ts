/** An emulator with one session in progress, for the monitor's tests that need a real socket. */
import { type ConvaiClient, createConvaiClient } from "../../../src/index.ts";
import { type Emulator, type EmulatorOptions, startEmulator } from "../../../src/testing/index.ts";

/**
 * Starts an emulator whose newest session is in progress for a minute (unless `options` say
 * otherwise), with no events of its own unless a test emits them, and a client; `id` is that session's.
 */
export async function liveSession(
  options: EmulatorOptions = {},
): Promise<{ emulator: Emulator; convai: ConvaiClient; id: string }> {
  const emulator = await startEmulator({
    conversations: 2,
    lifecycle: { inProgressAfterMs: 0, processingAfterMs: 60_000, doneAfterMs: 61_000 },
    monitor: { scripted: false },
    ...options,
  });
  const convai = createConvaiClient({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl });
  const agent_id = (await convai.conversations.list().toArray({ max: 1 }))[0]!.agent_id;
  const { conversationId } = await convai.sessions.webrtcToken({ agent_id });
  return { emulator, convai, id: conversationId! };
}
