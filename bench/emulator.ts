/**
 * The emulator as a separate process for the benchmarks. Argument: JSON config (see
 * EmulatorConfig in lib.ts). Prints one JSON line with where it listens, then serves until its
 * stdin closes.
 */
import type { Conversation } from "../src/types.ts";
import { makeConversation, startEmulator } from "../src/testing/index.ts";
import type { EmulatorConfig } from "./lib.ts";

const config = JSON.parse(process.argv[2] ?? "{}") as EmulatorConfig;
// The official SDK validates responses and requires these two fields, which the reference pages
// do not list: sent so that it can do the same work (our client ignores unknown fields).
const emulator = await startEmulator({
  conversations: config.conversations ?? 60,
  tokenResponseIncludesConversationId: true,
});
const agentId = emulator.conversation(emulator.conversationIds()[0]!)!.agent_id;
const sizes: Record<string, number> = {};
for (const [id, { turns, audioBytes }] of Object.entries(config.extra ?? {})) {
  const conversation = {
    ...makeConversation({ seed: 42, turns, conversation_id: id, agent_id: agentId }),
    has_auxiliary_audio: false,
  } as Conversation;
  emulator.addConversation(conversation, audioBytes === undefined ? undefined : { audioBytes });
  sizes[id] = Buffer.byteLength(JSON.stringify(conversation));
}
console.log(JSON.stringify({ baseUrl: emulator.baseUrl, apiKey: emulator.apiKey, agentId, sizes }));
process.stdin.resume();
process.stdin.on("end", () => void emulator.close().then(() => process.exit(0)));
