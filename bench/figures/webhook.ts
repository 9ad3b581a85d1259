/**
 * Figure 9: webhook verification throughput, events per second, for a 10 KB transcription event
 * and a 30 MB audio event: `verifyWebhook` (node:crypto through process.getBuiltinModule on Node)
 * against the same work done by hand with node:crypto (parse the header, HMAC, compare, parse the
 * JSON), and the same call on Web Crypto, the path of browsers and workers. In-process, interleaved.
 */
import { createHmac, randomBytes } from "node:crypto";
import * as programs from "../programs.mjs";
import { type Row, interleave, ratioRow, timed } from "../lib.ts";

const SECRET = "wsec_bench_5e1f0d2c3b4a";
const NOW = 1_763_700_000;

function signed(data: unknown, type: string): { body: string; header: string } {
  const body = JSON.stringify({ type, event_timestamp: NOW, data });
  const mac = createHmac("sha256", SECRET).update(`${NOW}.${body}`).digest("hex");
  return { body, header: `t=${NOW},v0=${mac}` };
}

export async function webhook(quick: boolean): Promise<Row[]> {
  const small = signed(
    {
      conversation_id: "conv_1",
      agent_id: "agent_1",
      transcript: Array.from({ length: 40 }, (_, i) => ({ role: i % 2 ? "user" : "agent", message: "x".repeat(200) })),
    },
    "post_call_transcription",
  );
  const large = signed(
    { agent_id: "a", conversation_id: "c", full_audio: randomBytes(quick ? 750_000 : 22_500_000).toString("base64") },
    "post_call_audio",
  );
  const rows: Row[] = [];
  for (const [name, event, count, rounds] of [
    ["10 KB transcription event", small, quick ? 100 : 2000, quick ? 3 : 21],
    [`${(large.body.length / 1e6).toFixed(0)} MB audio event`, large, 1, quick ? 2 : 9],
  ] as const) {
    const p = await programs.webhooks(event.body, event.header, SECRET, count, NOW);
    const s = await interleave(
      { floor: () => timed(p.floor), ours: () => timed(p.ours), web: () => timed(p.oursWebCrypto) },
      { rounds, warmup: 1 },
    );
    const perSecond = (ms: number[]) => ms.map((m) => (count * 1000) / m);
    const size = `${(event.body.length / 1024).toFixed(0)} KB`;
    const floor = perSecond(s.floor);
    rows.push(
      ratioRow(
        "9. webhooks",
        `verify a ${name} (${size}): events per second`,
        "/s",
        {
          ours: perSecond(s.ours),
          floor,
        },
        { sense: "≥", limit: 0.9, spreadLimit: 0.85, note: "floor: node:crypto by hand" },
      ),
      ratioRow("9. webhooks", `the same on Web Crypto, as in browsers and workers (${size}): events per second`, "/s", {
        ours: perSecond(s.web),
        floor,
      }),
    );
  }
  return rows;
}
