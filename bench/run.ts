/**
 * `npm run bench`: every figure, this package beside plain fetch + JSON.parse (the floor) and the
 * official SDK, interleaved over rounds after a warm-up; medians and ratios to the floor. Writes
 * bench/RESULTS.md. Exits non-zero only when a run fails, never because a target is missed.
 *
 *   npm run bench                     all figures
 *   npm run bench -- --only per-call  some figures (comma-separated names)
 *   npm run bench -- --quick          fewer rounds, smaller sizes: a smoke test, not for RESULTS.md
 */
import { cpus, totalmem } from "node:os";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import * as prettier from "prettier";
import { audio } from "./figures/audio.ts";
import { codegen } from "./figures/codegen.ts";
import { exportFigure } from "./figures/export.ts";
import { coldStart, largeConversation, pagination, perCall } from "./figures/http.ts";
import { size } from "./figures/size.ts";
import { monitor } from "./figures/monitor.ts";
import { typecheck } from "./figures/typecheck.ts";
import { webhook } from "./figures/webhook.ts";
import { ROOT, type Row, fmt, formatSpread, ratio } from "./lib.ts";

const FIGURES: Record<string, (quick: boolean) => Promise<Row[]>> = {
  "cold-start": coldStart,
  "per-call": perCall,
  "large-conversation": largeConversation,
  pagination,
  audio,
  typecheck,
  size,
  codegen,
  webhook,
  monitor,
  export: exportFigure,
};

const { values } = parseArgs({ options: { only: { type: "string" }, quick: { type: "boolean" } } });
const names = values.only ? values.only.split(",") : Object.keys(FIGURES);
for (const name of names)
  if (!FIGURES[name]) throw new Error(`unknown figure ${name}; known: ${Object.keys(FIGURES).join(", ")}`);

const verdictText = (met: Row["met"]) =>
  met === undefined ? "" : met === "noise" ? "within noise" : met ? "met" : "missed";

const started = Date.now();
const rows: Row[] = [];
for (const name of names) {
  const t = Date.now();
  process.stdout.write(`${name} … `);
  const figureRows = await FIGURES[name]!(Boolean(values.quick));
  rows.push(...figureRows);
  console.log(`${((Date.now() - t) / 1000).toFixed(1)} s`);
  for (const r of figureRows) console.log(`  ${line(r)}`);
}

/** SDK / floor: the median of its own rounds where it had them, else the ratio of the medians. */
function sdkRatio(r: Row): number | undefined {
  return r.sdk === undefined ? undefined : (r.sdkSpread?.median ?? ratio(r.sdk, r.floor));
}

function line(r: Row): string {
  const vsFloor = ratio(r.ours, r.floor);
  const sdkVsFloor = sdkRatio(r);
  return (
    `${r.metric}: ours ${fmt(r.ours)} ${r.unit}, floor${r.floorLabel ? ` (${r.floorLabel})` : ""} ${fmt(r.floor)}, sdk ${fmt(r.sdk)}` +
    (r.spread ? ` | ours/floor ${formatSpread(r.spread)}` : vsFloor ? ` | ours/floor ${vsFloor.toFixed(2)}×` : "") +
    (sdkVsFloor && Number.isFinite(sdkVsFloor) ? `, sdk/floor ${sdkVsFloor.toFixed(2)}×` : "") +
    ` | ${r.target}${r.met === undefined ? "" : ` → ${verdictText(r.met)}`}` +
    (r.note ? `\n    (${r.note})` : "")
  );
}

function table(all: Row[]): string {
  const head =
    "| figure | measure | this package | plain fetch (floor) | official SDK | ours / floor | SDK / floor | target | met |";
  const rule = "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | :-: |";
  const body = all.map((r) => {
    const o = ratio(r.ours, r.floor);
    const s = sdkRatio(r);
    const cell = (n: number | undefined, label?: string) =>
      n === undefined ? "—" : `${fmt(n)} ${r.unit}${label ? ` (${label})` : ""}`;
    const ours = r.spread ? formatSpread(r.spread) : o === undefined ? "—" : `${o.toFixed(2)}×`;
    const met = r.met === undefined ? "" : r.met === "noise" ? "within noise" : r.met ? "yes" : "**no**";
    return (
      `| ${r.figure} | ${r.metric}${r.note ? ` (${r.note})` : ""} | ${cell(r.ours)} | ${cell(r.floor, r.floorLabel)} | ${cell(r.sdk)} | ` +
      `${ours} | ${s === undefined ? "—" : `${s.toFixed(2)}×`} | ${r.target} | ${met} |`
    );
  });
  return [head, rule, ...body].join("\n");
}

if (!values.quick && !values.only) {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const report = `# Benchmark results

One run of \`npm run bench\` (bench/run.ts), ${new Date().toISOString().slice(0, 10)}.
Machine: ${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ${process.platform}/${process.arch}.

Each figure is measured for this package (the built \`dist/\`), for plain \`fetch\` + \`JSON.parse\`
(the floor) and for the official SDK (\`@elevenlabs/elevenlabs-js\` 2.73.0) doing the same work,
against the local emulator running in its own process on loopback, in rounds after a warm-up.
Cells are medians over rounds. "ours / floor" is the median of the per-round ratios with their
interquartile range (IQR) and the number of rounds. Figures 2–4 pair ours with the floor unit by
unit (one call, one page, one walk), and the SDK with the floor in rounds of their own; in
figures 2 and 4 each variant's slowest 2 % of units per round (the machine's stalls, which fall
on either variant at random) are left out, and the note gives the untrimmed ratio. A target is
met when the median meets it and the quartile on the wrong side stays within the spread limit,
missed when even the quartile on the right side misses it, and "within noise" otherwise.

${table(rows)}

How each figure is measured: bench/figures/*.ts; the method notes are in bench/README.md.
Total run time: ${((Date.now() - started) / 1000).toFixed(0)} s.
`;
  const file = path.join(ROOT, "bench/RESULTS.md");
  await writeFile(file, await prettier.format(report, { ...(await prettier.resolveConfig(file)), filepath: file }));
  console.log("\nwrote bench/RESULTS.md");
}
console.log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
