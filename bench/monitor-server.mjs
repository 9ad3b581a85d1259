// A WebSocket server for figure 10: every connection gets `count` monitor events as fast as the
// socket takes them, then a normal close. Prints its port, serves until stdin closes.
import { WebSocketServer } from "ws";

const count = Number(process.argv[2] ?? 10_000);
const frames = Array.from({ length: count }, (_, i) =>
  JSON.stringify(
    i % 2
      ? { type: "user_transcript", user_transcription_event: { user_transcript: `I said something, number ${i}.` } }
      : {
          type: "agent_response",
          agent_response_event: { agent_response: `And I answered it, number ${i}, at some length.` },
        },
  ),
);
const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
server.on("connection", (socket) => {
  let i = 0;
  const pump = () => {
    while (i < frames.length) {
      socket.send(frames[i++]);
      if (socket.bufferedAmount > 1 << 20) return void setImmediate(pump);
    }
    socket.close(1000, "conversation ended");
  };
  pump();
});
server.on("listening", () => console.log(JSON.stringify({ port: server.address().port })));
process.stdin.resume();
process.stdin.on("end", () => server.close(() => process.exit(0)));
