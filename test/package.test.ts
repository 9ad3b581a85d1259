/**
 * The package as users get it: the packed tarball installed in a project outside the repository,
 * type-checked under `node16` and `bundler` resolution, and run as ESM and as CJS.
 * Needs `npm run build` first (npm test runs it before vitest).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const run = promisify(execFile);
const TSC = path.join(ROOT, "node_modules/typescript/bin/tsc");

const consumer = (format: "esm" | "cjs") => `
import { ConvaiError, createConvaiClient, isToolResult, matchToolResult, toolResults } from "elevenlabs-convai";
import type { Conversation, ConversationSummary, SystemToolResult, ToolResult } from "elevenlabs-convai/types";
import { startEmulator } from "elevenlabs-convai/testing";
import { saveConversationAudio } from "elevenlabs-convai/node";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

async function main(): Promise<void> {
  const emulator = await startEmulator({ conversations: 5 });
  const convai = createConvaiClient({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl });
  const recent: ConversationSummary[] = await convai.conversations.list({ page_size: 2 }).toArray({ max: 3 });
  const conversation: Conversation = await convai.conversations.get(recent[0]!.conversation_id);
  const names: string[] = [];
  for (const { result } of toolResults(conversation)) {
    names.push(matchToolResult(result, { system: (r) => r.result?.result_type ?? "system", _: (r: ToolResult) => String(r.type) }));
  }
  const systems: SystemToolResult[] = [...toolResults(conversation)].map((e) => e.result).filter(isToolResult("system"));
  const saved = await saveConversationAudio(convai, conversation.conversation_id, join(mkdtempSync(join(tmpdir(), "c-")), "a.mp3"));
  let status = 0;
  try {
    await convai.conversations.get("conv_missing");
  } catch (error) {
    if (!(error instanceof ConvaiError)) throw error;
    status = error.status;
  }
  await emulator.close();
  console.log("${format} ok", names.length > 10, systems.length > 0, saved.bytes, status);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
`;

let project: string;

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, "dist/index.js"))) throw new Error("dist/ is missing: run npm run build first");
  project = await mkdtemp(path.join(tmpdir(), "convai-consumer-"));
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", project], { cwd: ROOT });
  const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
  await writeFile(
    path.join(project, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }),
  );
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", `./${filename}`], {
    cwd: project,
  });
  await mkdir(path.join(project, "src"));
  await writeFile(path.join(project, "src/consumer.mts"), consumer("esm"));
  await writeFile(path.join(project, "src/consumer.cts"), consumer("cjs"));
  const base = {
    strict: true,
    skipLibCheck: false,
    target: "ES2022",
    lib: ["ES2023"],
    types: ["node"],
    typeRoots: [path.join(ROOT, "node_modules/@types")],
  };
  await writeFile(
    path.join(project, "tsconfig.node16.json"),
    JSON.stringify({
      compilerOptions: { ...base, module: "node16", moduleResolution: "node16", outDir: "out" },
      include: ["src"],
    }),
  );
  await writeFile(
    path.join(project, "tsconfig.bundler.json"),
    JSON.stringify({
      compilerOptions: { ...base, module: "esnext", moduleResolution: "bundler", noEmit: true },
      include: ["src/consumer.mts"],
    }),
  );
}, 120_000);
afterAll(() => rm(project, { recursive: true, force: true }));

describe("the packed package, installed elsewhere", () => {
  it("type-checks under moduleResolution bundler", async () => {
    await run(process.execPath, [TSC, "-p", "tsconfig.bundler.json"], { cwd: project });
  });

  it("type-checks under node16 and runs as ESM and as CJS", async () => {
    await run(process.execPath, [TSC, "-p", "tsconfig.node16.json"], { cwd: project });
    const esm = await run(process.execPath, ["out/consumer.mjs"], { cwd: project });
    const cjs = await run(process.execPath, ["out/consumer.cjs"], { cwd: project });
    for (const [format, { stdout }] of [
      ["esm", esm],
      ["cjs", cjs],
    ] as const) {
      expect(stdout.trim()).toBe(`${format} ok true true 48000 404`);
    }
  });

  it("ships the entries it declares and no sources", async () => {
    const installed = path.join(project, "node_modules/elevenlabs-convai");
    const manifest = JSON.parse(await readFile(path.join(installed, "package.json"), "utf8")) as {
      exports: Record<string, unknown>;
    };
    expect(Object.keys(manifest.exports)).toEqual([".", "./types", "./testing", "./node", "./package.json"]);
    expect(existsSync(path.join(installed, "src"))).toBe(false);
    expect(existsSync(path.join(installed, "openapi/convai.yaml"))).toBe(true);
    expect(await readFile(path.join(installed, "LICENSE"), "utf8")).toMatch(/^MIT License/);
  });
});

describe("the built entries", () => {
  it("the types entry ships no runtime code", async () => {
    expect((await readFile(path.join(ROOT, "dist/types.js"), "utf8")).trim()).toBe("");
    expect((await readFile(path.join(ROOT, "dist/types.cjs"), "utf8")).trim()).toBe("'use strict';");
  });

  it("the main entry imports nothing from node:, directly or through its chunks", async () => {
    const seen = new Set<string>();
    const visit = async (file: string): Promise<void> => {
      if (seen.has(file)) return;
      seen.add(file);
      const code = await readFile(path.join(ROOT, "dist", file), "utf8");
      expect(code).not.toMatch(/from ["']node:|require\(["']node:/);
      // ws is an optional peer, loaded by a name bundlers do not follow, never bundled or imported statically.
      expect(code).not.toMatch(/from ["']ws["']|require\(["']ws["']\)|import\(["']ws["']\)|Sec-WebSocket-Key/);
      for (const [, dep] of code.matchAll(/from ["']\.\/([^"']+)["']/g)) await visit(dep!);
    };
    await visit("index.js");
    expect(seen.size).toBeGreaterThan(1);
  });
});
