/**
 * Figures 1–4: cold start, per-call overhead (against a bare openapi-fetch client, and plain
 * fetch), a large conversation walked with the narrowing helpers, and pagination. The code measured is the built package (dist/) called from plain
 * JavaScript (bench/cold, bench/programs.mjs), as users run it; the emulator runs in its own
 * process.
 */
import path from "node:path";
import * as programs from "../programs.mjs";
import {
  ROOT,
  type Row,
  type Target,
  alternate,
  formatSpread,
  interleave,
  ratioRow,
  spreadOf,
  startEmulatorProcess,
  timeProcess,
} from "../lib.ts";

/** What figures 1, 3 and 4 hold ours to: a median within 10 % of the floor, its upper quartile within 15 %. */
const WITHIN: Target = { sense: "≤", limit: 1.1, spreadLimit: 1.15 };

/** Figure 2 holds a facade call to a bare openapi-fetch client's: within 5 %, its upper quartile within 10 %. */
const OVER_OPENAPI_FETCH: Target = { sense: "≤", limit: 1.05, spreadLimit: 1.1, note: "against bare openapi-fetch" };

const trimNote = (trim: number, a: { whole: Record<"ours" | "floor", number[]> }) =>
  `each variant's slowest ${(trim * 100).toFixed(0)} % of units left out of each round; untrimmed ${formatSpread(spreadOf(a.whole.ours, a.whole.floor))}`;

/**
 * A paired figure: ours against the floor, then the SDK against the floor, each pair alternated
 * unit by unit in rounds of its own (with three variants in one rotation, whichever follows the
 * SDK more often pays for its garbage, which put ours 4 % ahead of the floor it is built on). The
 * SDK's pair, a comparison and not a target, runs a third of the rounds. With `trim`, the ratio
 * is of the trimmed sums and the note gives the untrimmed one.
 */
async function paired(
  figure: string,
  metric: string,
  p: Record<"floor" | "ours" | "sdk", () => Promise<unknown>>,
  options: Parameters<typeof alternate>[1],
  target: Target | undefined,
): Promise<Row> {
  const ours = await alternate({ floor: p.floor, ours: p.ours }, options);
  const rounds = Math.max(3, Math.ceil(options.rounds / 3));
  const sdk = await alternate({ floor: p.floor, sdk: p.sdk }, { ...options, rounds });
  const r = ratioRow(figure, metric, "ms", { ...ours.trimmed, sdk: sdk.trimmed.sdk }, target);
  r.sdkSpread = spreadOf(sdk.trimmed.sdk, sdk.trimmed.floor);
  if (options.trim) r.note = trimNote(options.trim, ours);
  return r;
}

export async function coldStart(quick: boolean): Promise<Row[]> {
  const emulator = await startEmulatorProcess({ conversations: 20 });
  try {
    const args = [emulator.baseUrl, emulator.apiKey, emulator.agentId];
    const cold = (name: string) => () => timeProcess(path.join(ROOT, "bench/cold", `${name}.mjs`), args);
    const s = await interleave(
      { floor: cold("fetch"), ours: cold("ours"), sdk: cold("sdk") },
      { rounds: quick ? 5 : 21, warmup: 2 },
    );
    return [ratioRow("1. cold start", "new process: import, create client, mint one WebRTC token", "ms", s, WITHIN)];
  } finally {
    await emulator.close();
  }
}

/**
 * Figure 2, per call: ours against a bare openapi-fetch client making the same request (the
 * target: the facade's one path is openapi-fetch plus the transport, so that is what it adds),
 * and, reported beside it, ours against plain fetch and the SDK against plain fetch, each pair
 * in rounds of its own.
 */
export async function perCall(quick: boolean): Promise<Row[]> {
  const emulator = await startEmulatorProcess({ extra: { conv_small: { turns: 4 } } });
  try {
    const calls = quick ? 100 : 1000;
    const kb = (emulator.sizes.conv_small! / 1024).toFixed(1);
    const metric = `conversations.get of a ${kb} KB conversation, ${calls.toLocaleString("en")} calls a round`;
    const p = programs.perCall(emulator, "conv_small");
    const options = { rounds: quick ? 3 : 31, perRound: calls, warmup: quick ? 1 : 3, trim: 0.02 };
    const bare = await alternate({ floor: p.openapiFetch, ours: p.ours }, options);
    const vsBare = ratioRow("2. per-call overhead", metric, "ms", bare.trimmed, OVER_OPENAPI_FETCH);
    vsBare.floorLabel = "bare openapi-fetch";
    vsBare.note = `the floor here is a bare openapi-fetch client; ${trimNote(options.trim, bare)}`;
    // Reported, not judged: the target against plain fetch is retired (issue 19).
    const plain = await paired("2. per-call overhead", `${metric}, against plain fetch`, p, options, undefined);
    return [vsBare, plain];
  } finally {
    await emulator.close();
  }
}

export async function largeConversation(quick: boolean): Promise<Row[]> {
  const emulator = await startEmulatorProcess({ extra: { conv_large: { turns: 2000 } } });
  try {
    const reps = quick ? 2 : 30;
    const p = programs.large(emulator, "conv_large");
    const expected = JSON.stringify(await p.floor());
    // Each variant must find the same results, or the comparison means nothing.
    for (const [name, run] of Object.entries(p)) {
      const counts = JSON.stringify(await run());
      if (counts !== expected) throw new Error(`the walks disagree: ${name} found ${counts}, the floor ${expected}`);
    }
    const mb = (emulator.sizes.conv_large! / 2 ** 20).toFixed(1);
    const metric = `2,000 turns (${mb} MB of JSON) fetched and walked, ${reps} times a round`;
    // Units of 7 ms and more: a stall is a small part of one, and none is left out.
    const options = { rounds: quick ? 3 : 31, perRound: reps, warmup: quick ? 1 : 2 };
    return [await paired("3. large conversation", metric, p, options, WITHIN)];
  } finally {
    await emulator.close();
  }
}

export async function pagination(quick: boolean): Promise<Row[]> {
  // A unit is one page of 100 (ours: 100 items from the iterator); each variant walks the whole
  // list of `total` again and again, checking it saw every conversation once.
  const total = 2000;
  const pages = quick ? 20 : 200;
  const emulator = await startEmulatorProcess({ conversations: total });
  try {
    const p = programs.paginationByPage(emulator, total);
    const metric = `${total.toLocaleString("en")} conversations at page_size 100, walked page by page, ${pages} pages a round`;
    const options = { rounds: quick ? 3 : 31, perRound: pages, warmup: quick ? 1 : 3, trim: 0.02 };
    return [await paired("4. pagination", metric, p, options, WITHIN)];
  } finally {
    await emulator.close();
  }
}
