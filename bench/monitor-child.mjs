// One monitor session in a fresh process for figure 10: `count` events read through ours or a
// bare ws client (JSON.parse each frame), reporting time and peak RSS growth as JSON. ws is loaded
// before the clock starts for both (ours would otherwise import it once, on its first monitor).
import { WebSocket } from "ws";
import { createConvaiClient, monitorConversation } from "elevenlabs-convai";
import { measure } from "./measure.mjs";

const [variant, port, count] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const url = `ws://127.0.0.1:${port}/v1/convai/conversations/conv_bench/monitor`;
let n = 0;
const result = await measure(async () => {
  if (variant === "ours") {
    const convai = createConvaiClient({ apiKey: "xi-bench-key-0000", baseUrl: `http://127.0.0.1:${port}` });
    for await (const event of monitorConversation(convai, "conv_bench")) if (event.type) n++;
  } else {
    await new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers: { "xi-api-key": "xi-bench-key-0000" } });
      socket.on("message", (data) => {
        if (JSON.parse(String(data)).type) n++;
      });
      socket.on("close", resolve);
      socket.on("error", reject);
    });
  }
});
if (n !== count) throw new Error(`read ${n} of ${count} events`);
console.log(JSON.stringify(result));
