// Cold start, the official SDK: import it, create the client, mint a token.
import { ElevenLabsClient } from "@elevenlabs/elevenlabs-js";

const [baseUrl, apiKey, agentId] = process.argv.slice(2);
const client = new ElevenLabsClient({ apiKey, baseUrl });
const { token } = await client.conversationalAi.conversations.getWebrtcToken({ agentId });
if (typeof token !== "string") process.exit(1);
