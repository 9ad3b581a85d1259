/**
 * Figure: the mirror (`exportConversations`) against a workspace of the emulator with 50 ms of
 * latency per request and a limit of 10 concurrent requests, the client at `maxConcurrency: 10`.
 *
 * - wall time of a first export of 2,000 conversations with recordings, against the floor:
 *   requests made × 50 ms / 10 (what the workspace's limit allows at best);
 * - peak RSS of that export against an export of 200 (memory must not grow with the count);
 * - a second run with nothing new, against walking the same list pages with plain fetch, both in
 *   the same child process after one request has loaded Node's fetch and opened the connection
 *   (undici: ~40 ms at a process's first fetch, whoever makes it), the export first; each starts
 *   with that connection idle in the pool.
 *
 * This one file runs in three roles: the figure (imported by bench/run.ts), the emulator's process
 * (`CONVAI_BENCH_EXPORT=serve`) and one export in a fresh process (`CONVAI_BENCH_EXPORT=child`),
 * so that each export's peak RSS is its own and the server's work runs on the other core.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, TSX, type Row, jsonProcess, ratioRow, startServerProcess } from "../lib.ts";

const LATENCY_MS = 50;
const LIMIT = 10;
const SELF = path.join(ROOT, "bench/figures/export.ts");

interface ChildResult {
  ms: number;
  /** Second run only: the same list pages walked with plain fetch in the same process, after the export. */
  walkMs?: number;
  maxRssMB: number;
  requests: number;
  listRequests: number;
  exported: number;
}

const role = process.env.CONVAI_BENCH_EXPORT;
if (role === "serve") await serve(Number(process.argv[2]));
if (role === "child") await child(process.argv[2]!, process.argv[3]!, process.argv[4]!, process.argv[5] === "second");

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

/** One export in this process; prints its wall time, peak RSS and requests as one JSON line. */
async function child(baseUrl: string, apiKey: string, out: string, second: boolean): Promise<void> {
  const { createConvaiClient } = await import("../../src/index.ts");
  const { exportConversations } = await import("../../src/node.ts");
  const convai = createConvaiClient({ apiKey, baseUrl, maxConcurrency: LIMIT });
  if (second) {
    await (await fetch(`${baseUrl}/v1/convai/conversations?page_size=1`, { headers: { "xi-api-key": apiKey } })).text();
    // undici hands the connection back to its pool a turn of the event loop after the body was
    // read: without this turn the export's first request found it busy and opened a second
    // connection (a TCP connect and a new HTTP parser, in its time), where the walk after it
    // finds an idle one.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const start = process.hrtime.bigint();
  const result = await exportConversations(convai, { out, audio: true, concurrency: 2 * LIMIT });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (!second && result.exported === 0) throw new Error("nothing exported");
  if (second) await new Promise((resolve) => setImmediate(resolve)); // the walk too starts with the connection idle
  const out_: ChildResult = {
    ms,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    requests: result.listRequests + result.exported + result.recordings,
    listRequests: result.listRequests,
    exported: result.exported,
    ...(second ? { walkMs: await walkList({ baseUrl, apiKey }, Math.max(result.listRequests, 1)) } : {}),
  };
  console.log(JSON.stringify(out_));
}

async function exportOnce(server: { baseUrl: string; apiKey: string }, out: string, second = false) {
  return jsonProcess<ChildResult>(TSX, [SELF, server.baseUrl, server.apiKey, out, second ? "second" : "first"]);
}

/** The same detail and recording requests with plain fetch, `LIMIT` at once, bodies read and dropped. */
async function plainFetch(server: { baseUrl: string; apiKey: string }, n: number): Promise<number> {
  const headers = { "xi-api-key": server.apiKey };
  const start = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: LIMIT }, async () => {
      for (let i = next++; i < n; i = next++) {
        const id = `conv_${String(i).padStart(7, "0")}`;
        await (await fetch(`${server.baseUrl}/v1/convai/conversations/${id}`, { headers })).text();
        await (await fetch(`${server.baseUrl}/v1/convai/conversations/${id}/audio`, { headers })).arrayBuffer();
      }
    }),
  );
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Walks `pages` list pages of 100 with plain fetch, one after another, as a second run does. */
async function walkList(server: { baseUrl: string; apiKey: string }, pages: number): Promise<number> {
  const start = process.hrtime.bigint();
  let cursor: string | undefined;
  for (let i = 0; i < pages; i++) {
    const url = `${server.baseUrl}/v1/convai/conversations?page_size=100${cursor ? `&cursor=${cursor}` : ""}`;
    const page = (await (await fetch(url, { headers: { "xi-api-key": server.apiKey } })).json()) as {
      next_cursor?: string;
      has_more: boolean;
    };
    if (!page.has_more) break;
    cursor = page.next_cursor;
  }
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export async function exportFigure(quick: boolean): Promise<Row[]> {
  process.env.CONVAI_BENCH_EXPORT = "child";
  const sizes = quick ? [200, 400] : [200, 2_000];
  const rounds = quick ? 1 : 3;
  const rows: Row[] = [];
  const rss: Record<number, number[]> = {};
  const wall: number[] = [];
  const floor: number[] = [];
  const second: number[] = [];
  const walked: number[] = [];
  const plain: number[] = [];
  let pagesSecond = 0;
  for (const n of sizes) {
    rss[n] = [];
    process.env.CONVAI_BENCH_EXPORT = "serve";
    const server = await startServerProcess<{ baseUrl: string; apiKey: string }>("export emulator", [
      TSX,
      SELF,
      String(n),
    ]);
    process.env.CONVAI_BENCH_EXPORT = "child";
    try {
      for (let round = 0; round < rounds; round++) {
        const dir = await mkdtemp(path.join(tmpdir(), "convai-bench-export-"));
        try {
          const first = await exportOnce(server, dir);
          rss[n]!.push(first.maxRssMB);
          if (n === sizes.at(-1)) {
            wall.push(first.ms);
            floor.push((first.requests * LATENCY_MS) / LIMIT);
            const again = await exportOnce(server, dir, true);
            second.push(again.ms);
            pagesSecond = again.listRequests;
            walked.push(again.walkMs!);
            plain.push(await plainFetch(server, n));
          }
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }
    } finally {
      await server.close();
    }
  }
  delete process.env.CONVAI_BENCH_EXPORT;
  const big = sizes.at(-1)!;
  const small = sizes[0]!;
  rows.push(
    ratioRow(
      "export",
      `${big.toLocaleString("en-US")} conversations with recordings, ${LATENCY_MS} ms latency, limit ${LIMIT}: wall time vs requests × ${LATENCY_MS} ms / ${LIMIT}`,
      "ms",
      { ours: wall, floor },
      { sense: "≤", limit: 1.15, spreadLimit: 1.2, note: "floor: what the workspace limit allows" },
    ),
  );
  rows.push(
    ratioRow(
      "export",
      `the same export vs plain fetch making its detail and recording requests, ${LIMIT} at once, writing nothing (this machine's floor)`,
      "ms",
      { ours: wall, floor: plain },
    ),
  );
  rows.push(
    ratioRow(
      "export",
      `peak RSS, ${big.toLocaleString("en-US")} vs ${small} conversations (each export in a fresh process)`,
      "MB",
      { ours: rss[big]!, floor: rss[small]! },
      { sense: "≤", limit: 1.2, spreadLimit: 1.25, note: "memory does not grow with the count" },
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
