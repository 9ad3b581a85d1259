/**
 * Figure 10: 10,000 monitor events through one socket, each read in a fresh process (so its RSS
 * is its own): `monitorConversation` against a bare `ws` client parsing the same frames. The
 * server (bench/monitor-server.mjs) runs in another process and sends as fast as the socket takes.
 */
import path from "node:path";
import { ROOT, type Row, interleave, jsonProcess, ratioRow, startServerProcess } from "../lib.ts";

export async function monitor(quick: boolean): Promise<Row[]> {
  const count = quick ? 1_000 : 10_000;
  const server = await startServerProcess<{ port: number }>("bench/monitor-server.mjs", [
    path.join(ROOT, "bench/monitor-server.mjs"),
    String(count),
  ]);
  const { port } = server;
  try {
    const rss: Record<"ours" | "floor", number[]> = { ours: [], floor: [] };
    const read = (variant: "ours" | "ws", key: "ours" | "floor") => async () => {
      const r = await jsonProcess<{ ms: number; rssGrowthMB: number }>(path.join(ROOT, "bench/monitor-child.mjs"), [
        variant,
        String(port),
        String(count),
      ]);
      rss[key].push(r.rssGrowthMB);
      return r.ms;
    };
    const s = await interleave(
      { floor: read("ws", "floor"), ours: read("ours", "ours") },
      { rounds: quick ? 2 : 21, warmup: 1 },
    );
    return [
      ratioRow(
        "10. monitor",
        `${count.toLocaleString("en")} events through one socket: time (floor: a bare ws client)`,
        "ms",
        s,
        { sense: "≤", limit: 1.1, spreadLimit: 1.15 },
      ),
      {
        figure: "10. monitor",
        metric: `${count.toLocaleString("en")} events through one socket: peak RSS growth (worst of the rounds)`,
        unit: "MB",
        ours: Math.max(...rss.ours),
        floor: Math.max(...rss.floor),
        sdk: undefined,
        target: "reported (bounded: 1,000 events buffered, then the socket pauses)",
        met: undefined,
      },
    ];
  } finally {
    await server.close();
  }
}
