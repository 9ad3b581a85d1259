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
import { coldStart, largeConversation, pagination, perCall } from "./figures/http.ts";
import { size } from "./figures/size.ts";
import { typecheck } from "./figures/typecheck.ts";
import { ROOT, type Row, fmt, ratio } from "./lib.ts";

const FIGURES: Record<string, (quick: boolean) => Promise<Row[]>> = {
  "cold-start": coldStart,
  "per-call": perCall,
  "large-conversation": largeConversation,
  pagination,
  audio,
  typecheck,
  size,
  codegen,
};

const { values } = parseArgs({ options: { only: { type: "string" }, quick: { type: "boolean" } } });
const names = values.only ? values.only.split(",") : Object.keys(FIGURES);
for (const name of names)
  if (!FIGURES[name]) throw new Error(`unknown figure ${name}; known: ${Object.keys(FIGURES).join(", ")}`);

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

function line(r: Row): string {
  const vsFloor = ratio(r.ours, r.floor);
  const sdkVsFloor = ratio(r.sdk ?? NaN, r.floor);
  return (
    `${r.metric}: ours ${fmt(r.ours)} ${r.unit}, floor ${fmt(r.floor)}, sdk ${fmt(r.sdk)}` +
    (vsFloor ? ` | ours/floor ${vsFloor.toFixed(2)}×` : "") +
    (sdkVsFloor && Number.isFinite(sdkVsFloor) ? `, sdk/floor ${sdkVsFloor.toFixed(2)}×` : "") +
    ` | ${r.target}${r.met === undefined ? "" : r.met ? " ✓" : " ✗ missed"}`
  );
}

function table(all: Row[]): string {
  const head =
    "| figure | measure | this package | plain fetch (floor) | official SDK | ours / floor | SDK / floor | target | met |";
  const rule = "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | :-: |";
  const body = all.map((r) => {
    const o = ratio(r.ours, r.floor);
    const s = r.sdk === undefined ? undefined : ratio(r.sdk, r.floor);
    const cell = (n: number | undefined) => (n === undefined ? "—" : `${fmt(n)} ${r.unit}`);
    return (
      `| ${r.figure} | ${r.metric}${r.note ? ` (${r.note})` : ""} | ${cell(r.ours)} | ${cell(r.floor)} | ${cell(r.sdk)} | ` +
      `${o === undefined ? "—" : `${o.toFixed(2)}×`} | ${s === undefined ? "—" : `${s.toFixed(2)}×`} | ${r.target} | ` +
      `${r.met === undefined ? "" : r.met ? "yes" : "**no**"} |`
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
interleaved in rotating order over several rounds after a warm-up, against the local emulator
running in its own process on loopback. Cells are medians; ratios are to the floor. A shared
machine is noisy: compare ratios within this run, not across runs.

${table(rows)}

How each figure is measured: bench/figures/*.ts; the method notes are in bench/README.md.
Total run time: ${((Date.now() - started) / 1000).toFixed(0)} s.
`;
  const file = path.join(ROOT, "bench/RESULTS.md");
  await writeFile(file, await prettier.format(report, { ...(await prettier.resolveConfig(file)), filepath: file }));
  console.log("\nwrote bench/RESULTS.md");
}
console.log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
