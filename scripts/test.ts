/**
 * `npm test`: every check, in order, stopping at the first that fails: type-check, lint, format,
 * imports, generate --check, spec lint, the API report, bench's types, build, package checks,
 * then the tests (both vitest projects: `npm run test:fast` is the inner loop). A check that
 * passes prints one line (the tests their summary); one that fails prints all it said. Run
 * directly rather than through nested `npm run`, so the output is about this package only.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./lib/root.ts";

const bin = (name: string) => path.join(ROOT, "node_modules/.bin", name);
const tsx = (script: string, ...args: string[]) => [bin("tsx"), path.join(ROOT, script), ...args];

const STEPS: { name: string; command: string[]; summary?: RegExp; skip?: () => string | undefined }[] = [
  { name: "type-check", command: [bin("tsc"), "--noEmit"] },
  { name: "lint", command: [bin("eslint"), "."] },
  { name: "format", command: [bin("prettier"), "--check", "--log-level", "warn", "."] },
  { name: "imports", command: tsx("scripts/check-imports.ts") },
  { name: "generate --check", command: tsx("scripts/generate.ts", "--check") },
  { name: "spec lint", command: tsx("scripts/lint-spec.ts") },
  { name: "API report (etc/)", command: tsx("scripts/api-report.ts") },
  {
    name: "bench type-check",
    command: [bin("tsc"), "-p", "bench/tsconfig.json"],
    // bench/ has its own dependencies (the official SDK, 100+ MB), installed only where wanted.
    skip: () =>
      existsSync(path.join(ROOT, "bench/node_modules"))
        ? undefined
        : "bench/node_modules is missing: npm ci --prefix bench (CI does)",
  },
  { name: "build", command: [bin("tsup"), "--silent"] },
  { name: "publint", command: [bin("publint"), "--strict"] },
  { name: "attw (node10, node16, bundler)", command: [bin("attw"), "--pack", ".", "--format", "ascii", "--no-emoji"] },
  {
    name: "tests: fast (unit, emulator)",
    command: [bin("vitest"), "run", "--project", "fast", "--color"],
    summary: /^\s*(Test Files|Tests|Duration)\b/,
  },
  {
    name: "tests: slow (packaging, evolution, demo, soak, types), one file at a time",
    command: [bin("vitest"), "run", "--project", "slow", "--color"],
    summary: /^\s*(Test Files|Tests|Type Errors|Duration)\b/,
  },
];

function run(command: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { cwd: ROOT });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

// eslint-disable-next-line no-control-regex -- the escape that starts a terminal colour
const strip = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "");
const started = Date.now();
for (const step of STEPS) {
  const skipped = step.skip?.();
  if (skipped !== undefined) {
    console.log(`- ${step.name} skipped: ${skipped}`);
    continue;
  }
  const t = Date.now();
  const { code, output } = await run(step.command);
  const seconds = ((Date.now() - t) / 1000).toFixed(1);
  if (code !== 0) {
    process.stdout.write(output);
    console.error(`\n✗ ${step.name} failed (exit ${code}, ${seconds} s)`);
    process.exit(1);
  }
  console.log(`✓ ${step.name} (${seconds} s)`);
  if (step.summary) {
    for (const line of strip(output).split("\n")) if (step.summary.test(line)) console.log(`  ${line.trim()}`);
  }
}
console.log(`all checks passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
