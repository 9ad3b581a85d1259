// One mirror of the export figure's emulator in a fresh process, as users run it (the built
// package, imported by name), reporting its wall time, peak RSS and requests as one JSON line.
// Arguments: variant (ours|plain), baseUrl, apiKey, out, mode, limit, count.
//
// - ours: `exportConversations` with recordings, the client at `maxConcurrency: limit`; mode
//   `first` or `second` (a second run into the same folder, then its list pages walked with fetch);
// - plain: each conversation's details and then its recording with plain fetch, `limit` at once.
//   Mode `files`: what a hand-written mirror does at the least, the floor of the memory figure,
//   each parsed or hashed and written to a file, nothing else (no manifest, no tables, no state);
//   mode `none`: the bodies read and dropped, the floor of the wall-time figure.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const [variant, baseUrl, apiKey, out, mode, limitArg, countArg] = process.argv.slice(2);
const limit = Number(limitArg);
const headers = { "xi-api-key": apiKey };

if (variant === "plain") await plain(Number(countArg), mode === "files");
else await ours(mode === "second");

async function ours(second) {
  // Imported here: the plain variant, the floor, loads nothing of this package.
  const { createConvaiClient } = await import("elevenlabs-convai");
  const { exportConversations } = await import("elevenlabs-convai/node");
  const convai = createConvaiClient({ apiKey, baseUrl, maxConcurrency: limit });
  if (second) {
    await (await fetch(`${baseUrl}/v1/convai/conversations?page_size=1`, { headers })).text();
    // undici hands the connection back to its pool a turn of the event loop after the body was
    // read: without this turn the export's first request found it busy and opened a second
    // connection (a TCP connect and a new HTTP parser, in its time), where the walk after it
    // finds an idle one.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const start = process.hrtime.bigint();
  const result = await exportConversations(convai, { out, audio: true, concurrency: 2 * limit });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (!second && result.exported === 0) throw new Error("nothing exported");
  if (second) await new Promise((resolve) => setImmediate(resolve)); // the walk too starts with the connection idle
  console.log(
    JSON.stringify({
      ms,
      maxRssMB: peakRssMB(),
      requests: result.listRequests + result.exported + result.recordings,
      listRequests: result.listRequests,
      exported: result.exported,
      ...(second ? { walkMs: await walkList(Math.max(result.listRequests, 1)) } : {}),
    }),
  );
}

/** Walks `pages` list pages of 100 with plain fetch, one after another, as a second run does. */
async function walkList(pages) {
  const start = process.hrtime.bigint();
  let cursor;
  for (let i = 0; i < pages; i++) {
    const url = `${baseUrl}/v1/convai/conversations?page_size=100${cursor ? `&cursor=${cursor}` : ""}`;
    const page = await (await fetch(url, { headers })).json();
    if (!page.has_more) break;
    cursor = page.next_cursor;
  }
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** The emulator's ids are known (bench/figures/export.ts): no list is walked. */
async function plain(count, files) {
  if (files) {
    mkdirSync(path.join(out, "conversations"), { recursive: true });
    mkdirSync(path.join(out, "audio"), { recursive: true });
  }
  const start = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let i = next++; i < count; i = next++) {
        const id = `conv_${String(i).padStart(7, "0")}`;
        const url = `${baseUrl}/v1/convai/conversations/${id}`;
        const text = await (await fetch(url, { headers })).text();
        if (files) {
          JSON.parse(text);
          writeFileSync(path.join(out, "conversations", `${id}.json`), text);
          createHash("sha256").update(text).digest("hex");
        }
        const audio = await (await fetch(`${url}/audio`, { headers })).arrayBuffer();
        if (files) {
          const bytes = Buffer.from(audio);
          writeFileSync(path.join(out, "audio", `${id}.mp3`), bytes);
          createHash("sha256").update(bytes).digest("hex");
        }
      }
    }),
  );
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(JSON.stringify({ ms, maxRssMB: peakRssMB(), requests: 2 * count }));
}

/**
 * This process's peak RSS in MB: VmHWM, the high-water mark of this program's own memory. Not
 * `resourceUsage().maxRSS`: on Linux that survives exec, and a child forked by a process of
 * 140 MB (the bench harness, late in a run) reported at least 140 MB whatever it did itself.
 */
function peakRssMB() {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (match) return Number(match[1]) / 1024;
  } catch {
    // not Linux: maxRSS, as good as it gets there
  }
  return process.resourceUsage().maxRSS / 1024;
}
