/**
 * Figure 5: a recording streamed to /dev/null and saved to a file, 20 MB and 200 MB, and 500 MB
 * saved to a file (the size that once took 2.97 GB when a lying Content-Type made it buffer). Each
 * download runs in a fresh process (bench/audio-child.mjs) so its peak RSS growth is its own; the
 * emulator, which generates the bytes, runs in another.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, type Row, type Target, interleave, jsonProcess, ratio, ratioRow, startEmulatorProcess } from "../lib.ts";

const MB = 2 ** 20;
/** Throughput within 10 % of plain fetch piped to the same sink, its lower quartile within 15 %. */
const THROUGHPUT: Target = { sense: "≥", limit: 0.9, spreadLimit: 0.85 };

export async function audio(quick: boolean): Promise<Row[]> {
  const sizes = quick ? [20] : [20, 200, 500];
  const extra = Object.fromEntries(sizes.map((mb) => [`conv_audio${mb}`, { turns: 4, audioBytes: mb * MB }]));
  const emulator = await startEmulatorProcess({ conversations: 5, extra });
  const dir = await mkdtemp(path.join(tmpdir(), "convai-bench-audio-"));
  const rows: Row[] = [];
  try {
    for (const mb of sizes) {
      for (const sink of mb >= 500 ? (["file"] as const) : (["devnull", "file"] as const)) {
        const rss: Record<string, number[]> = { floor: [], ours: [], sdk: [] };
        const download = (variant: "fetch" | "ours" | "sdk", key: string) => async () => {
          const file = path.join(dir, `${variant}-${mb}.mp3`);
          const args = [variant, sink, emulator.baseUrl, emulator.apiKey, `conv_audio${mb}`, file];
          const result = await jsonProcess<{ ms: number; rssGrowthMB: number }>(
            path.join(ROOT, "bench/audio-child.mjs"),
            args,
          );
          rss[key]!.push(result.rssGrowthMB);
          return (mb * MB) / 1e6 / (result.ms / 1000); // MB/s (decimal)
        };
        const s = await interleave(
          { floor: download("fetch", "floor"), ours: download("ours", "ours"), sdk: download("sdk", "sdk") },
          { rounds: quick ? 2 : mb >= 500 ? 5 : 9, warmup: 1 },
        );
        const what = sink === "devnull" ? "streamed to /dev/null" : "saved to a file";
        rows.push(ratioRow("5. audio", `${mb} MB recording ${what}: throughput`, "MB/s", s, THROUGHPUT));
        // Plain fetch piped to the same sink is the floor: undici's chunks wait for the collector,
        // so even it grows by tens of MB; what counts is that nothing of ours buffers on top.
        const growth = Math.max(...rss.ours!);
        const floorGrowth = Math.max(...rss.floor!);
        rows.push({
          figure: "5. audio",
          metric: `${mb} MB recording ${what}: peak RSS growth (worst of the rounds)`,
          unit: "MB",
          ours: growth,
          floor: floorGrowth,
          sdk: Math.max(...rss.sdk!),
          target: "ours/floor ≤ 1.20",
          met: ratio(growth, floorGrowth)! <= 1.2,
        });
      }
    }
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
    await emulator.close();
  }
}
