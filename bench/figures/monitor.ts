/**
 * Figure 10: 10,000 monitor events through one socket, each read in a fresh process (so its RSS
 * is its own): `conversations.monitor` against a bare `ws` client parsing the same frames. The
 * server (bench/monitor-server.mjs) runs in another process and sends as fast as the socket takes.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import path from "node:path";
import { ROOT, type Row, interleave, jsonProcess, median, spreadOf, verdict } from "../lib.ts";

export async function monitor(quick: boolean): Promise<Row[]> {
  const count = quick ? 1_000 : 10_000;
  const server = spawn(process.execPath, [path.join(ROOT, "bench/monitor-server.mjs"), String(count)], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "inherit"],
  });
  try {
    const { port } = JSON.parse(
      await new Promise<string>((resolve) => createInterface({ input: server.stdout! }).once("line", resolve)),
    ) as { port: number };
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
    const spread = spreadOf(s.ours, s.floor);
    return [
      {
        figure: "10. monitor",
        metric: `${count.toLocaleString("en")} events through one socket: time (floor: a bare ws client)`,
        unit: "ms",
        ours: median(s.ours),
        floor: median(s.floor),
        sdk: undefined,
        target: "median ≤ 1.10, IQR ≤ 1.15",
        met: verdict(spread, "≤", 1.1, 1.15),
        spread,
      },
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
    server.stdin!.end();
  }
}
