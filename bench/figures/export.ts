/**
 * Figure: the mirror (`exportConversations`) against a workspace of the emulator with 50 ms of
 * latency per request and a limit of 10 concurrent requests, the client at `maxConcurrency: 10`.
 *
 * - wall time of a first export of 2,000 conversations with recordings, against the floor:
 *   requests made × 50 ms / 10 (what the workspace's limit allows at best), and against plain
 *   fetch making the same detail and recording requests and writing nothing;
 * - peak RSS of that export against an export of 200 (memory must not grow with the count), with
 *   what explains it: the same ratio for plain fetch making the same requests and writing the same
 *   files (a 200 run ends before V8 has warmed up: its optimizing compiler and a heap sized for a
 *   long run), the export against that plain fetch at 2,000, and 4,000 against 2,000;
 * - a second run with nothing new, against walking the same list pages with plain fetch, both in
 *   the same child process after one request has loaded Node's fetch and opened the connection
 *   (undici: ~40 ms at a process's first fetch, whoever makes it), the export first; each starts
 *   with that connection idle in the pool.
 *
 * Every export and every plain-fetch mirror runs in a fresh process of its own
 * (bench/export-child.mjs, the built package imported by name, as users run it), so that each
 * one's peak RSS is its own; the emulator runs in another (this file, `CONVAI_BENCH_EXPORT=serve`),
 * its work on the other core.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, TSX, type Row, jsonProcess, ratioRow, startServerProcess } from "../lib.ts";

const LATENCY_MS = 50;
const LIMIT = 10;
const SELF = path.join(ROOT, "bench/figures/export.ts");
const CHILD = path.join(ROOT, "bench/export-child.mjs");

interface ChildResult {
  ms: number;
  /** Second run only: the same list pages walked with plain fetch in the same process, after the export. */
  walkMs?: number;
  maxRssMB: number;
  requests: number;
  /** The export only. */
  listRequests: number;
  exported: number;
}

if (process.env.CONVAI_BENCH_EXPORT === "serve") await serve(Number(process.argv[2]));

/** The emulator: `n` finished conversations one minute apart, each with a 48 KB recording. */
async function serve(n: number): Promise<void> {
  const { makeConversation, startEmulator } = await import("../../src/testing/index.ts");
  const emulator = await startEmulator({
    conversations: 0,
    maxConcurrentRequests: LIMIT,
    latencyMs: LATENCY_MS,
    audioBytes: 48_000,
    requestLogLimit: 0,
  });
  for (let i = 0; i < n; i++) {
    emulator.addConversation(
      makeConversation({
        seed: i + 1,
        conversation_id: `conv_${String(i).padStart(7, "0")}`,
        start_time_unix_secs: 1_763_000_000 - i * 60,
        status: i % 10 === 9 ? "failed" : "done",
      }),
    );
  }
  console.log(JSON.stringify({ baseUrl: emulator.baseUrl, apiKey: emulator.apiKey }));
  process.stdin.resume();
  process.stdin.on("end", () => void emulator.close().then(() => process.exit(0)));
}

async function exportOnce(server: { baseUrl: string; apiKey: string }, out: string, second = false) {
  return jsonProcess<ChildResult>(CHILD, [
    "ours",
    server.baseUrl,
    server.apiKey,
    out,
    second ? "second" : "first",
    String(LIMIT),
  ]);
}

/**
 * Plain fetch making the same detail and recording requests, `LIMIT` at once, in a fresh process
 * (bench/export-child.mjs): writing the same files (`files`, the memory floor) or nothing (`none`,
 * the wall-time floor).
 */
async function plainOnce(server: { baseUrl: string; apiKey: string }, out: string, n: number, mode: "files" | "none") {
  return jsonProcess<ChildResult>(CHILD, ["plain", server.baseUrl, server.apiKey, out, mode, String(LIMIT), String(n)]);
}

export async function exportFigure(quick: boolean): Promise<Row[]> {
  // small: the baseline; big: the export; double: twice that, past the runtime's warm-up.
  const [small, big, double] = quick ? [200, 400, 800] : [200, 2_000, 4_000];
  const rounds = quick ? 1 : 3;
  const rows: Row[] = [];
  const rss: Record<number, number[]> = { [small]: [], [big]: [], [double]: [] };
  const plainRss: Record<number, number[]> = { [small]: [], [big]: [] };
  const wall: number[] = [];
  const floor: number[] = [];
  const second: number[] = [];
  const walked: number[] = [];
  const plain: number[] = [];
  let pagesSecond = 0;
  for (const n of [small, big, double]) {
    process.env.CONVAI_BENCH_EXPORT = "serve";
    const server = await startServerProcess<{ baseUrl: string; apiKey: string }>("export emulator", [
      TSX,
      SELF,
      String(n),
    ]);
    delete process.env.CONVAI_BENCH_EXPORT;
    const scratch = async <T>(work: (dir: string) => Promise<T>): Promise<T> => {
      const dir = await mkdtemp(path.join(tmpdir(), "convai-bench-export-"));
      try {
        return await work(dir);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    };
    try {
      for (let round = 0; round < rounds; round++) {
        await scratch(async (dir) => {
          const first = await exportOnce(server, dir);
          rss[n]!.push(first.maxRssMB);
          if (n !== big) return;
          wall.push(first.ms);
          floor.push((first.requests * LATENCY_MS) / LIMIT);
          const again = await exportOnce(server, dir, true);
          second.push(again.ms);
          pagesSecond = again.listRequests;
          walked.push(again.walkMs!);
          plain.push((await plainOnce(server, dir, n, "none")).ms);
        });
        if (n !== double) plainRss[n]!.push((await scratch((dir) => plainOnce(server, dir, n, "files"))).maxRssMB);
      }
    } finally {
      await server.close();
    }
  }
  const count = (n: number) => n.toLocaleString("en-US");
  rows.push(
    ratioRow(
      "export",
      `${count(big)} conversations with recordings, ${LATENCY_MS} ms latency, limit ${LIMIT}: wall time vs requests × ${LATENCY_MS} ms / ${LIMIT}`,
      "ms",
      { ours: wall, floor },
      { sense: "≤", limit: 1.15, spreadLimit: 1.2, note: "floor: what the workspace limit allows" },
    ),
  );
  rows.push(
    ratioRow(
      "export",
      `the same export vs plain fetch making its detail and recording requests, ${LIMIT} at once, writing nothing, in a fresh process (this machine's floor)`,
      "ms",
      { ours: wall, floor: plain },
    ),
  );
  rows.push(
    ratioRow(
      "export",
      `peak RSS, ${count(big)} vs ${small} conversations (each export in a fresh process, the built package)`,
      "MB",
      { ours: rss[big]!, floor: rss[small]! },
      { sense: "≤", limit: 1.2, spreadLimit: 1.25, note: "the issue's: memory does not grow with the count" },
    ),
  );
  rows.push(
    ratioRow(
      "export",
      `peak RSS of plain fetch making the same requests and writing the same files, ${count(big)} vs ${small} conversations (fresh processes): the runtime's own warm-up`,
      "MB",
      { ours: plainRss[big]!, floor: plainRss[small]! },
    ),
  );
  rows.push(
    ratioRow("export", `peak RSS at ${count(big)} conversations, the export vs that plain fetch`, "MB", {
      ours: rss[big]!,
      floor: plainRss[big]!,
    }),
  );
  rows.push(
    ratioRow(
      "export",
      `peak RSS, ${count(double)} vs ${count(big)} conversations (fresh processes): past the warm-up`,
      "MB",
      { ours: rss[double]!, floor: rss[big]! },
      { sense: "≤", limit: 1.1, spreadLimit: 1.15, note: "ours: twice the conversations, the same memory" },
    ),
  );
  rows.push(
    ratioRow(
      "export",
      `second run with nothing new (${pagesSecond} list page${pagesSecond === 1 ? "" : "s"}, no other request) vs walking those pages with fetch`,
      "ms",
      { ours: second, floor: walked },
      { sense: "≤", limit: 1.2, spreadLimit: 1.3 },
    ),
  );
  return rows;
}
