// One recording download in a fresh process, reporting time and peak RSS growth as JSON.
// Arguments: variant (fetch|ours|sdk), sink (devnull|file), baseUrl, apiKey, conversationId, file.
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ElevenLabsClient } from "@elevenlabs/elevenlabs-js";
import { createConvaiClient } from "elevenlabs-convai";
import { saveConversationAudio } from "elevenlabs-convai/node";
import { measure } from "./measure.mjs";

const [variant, sink, baseUrl, apiKey, id, file] = process.argv.slice(2);
const target = sink === "devnull" ? "/dev/null" : file;
const convai = createConvaiClient({ apiKey, baseUrl });
const sdk = new ElevenLabsClient({ apiKey, baseUrl });
const url = `${baseUrl}/v1/convai/conversations/${id}/audio`;

const downloads = {
  async fetch() {
    const response = await fetch(url, { headers: { "xi-api-key": apiKey } });
    await pipeline(Readable.fromWeb(response.body), createWriteStream(target));
  },
  async ours() {
    if (sink === "file") return saveConversationAudio(convai, id, target);
    const { body } = await convai.conversations.audio(id);
    await pipeline(Readable.fromWeb(body), createWriteStream(target));
  },
  async sdk() {
    const body = await sdk.conversationalAi.conversations.audio.get(id);
    await pipeline(Readable.fromWeb(body), createWriteStream(target));
  },
};

// Warm the code paths (and the connection) on the small request before measuring.
await convai.conversations.get(id).catch(() => {});
await fetch(`${baseUrl}/v1/convai/agents/x/link`, { headers: { "xi-api-key": apiKey } }).then((r) => r.arrayBuffer());
const result = await measure(downloads[variant]);
if (sink === "file") await rm(target, { force: true });
console.log(JSON.stringify(result));
