// Cold start, this package: import it (by its name, as users do), create the client, mint a token.
import { createConvaiClient } from "elevenlabs-convai";

const [baseUrl, apiKey, agentId] = process.argv.slice(2);
const convai = createConvaiClient({ apiKey, baseUrl });
const { token } = await convai.sessions.webrtcToken({ agent_id: agentId });
if (typeof token !== "string") process.exit(1);
