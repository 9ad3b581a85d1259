/**
 * Figure 6: what a consumer's type-check costs. The same small program (list, get, narrow the
 * tool results, name a type) written against this package, against the official SDK, and with
 * plain fetch and hand-written interfaces (the floor), each checked by `tsc --noEmit
 * --extendedDiagnostics` in a fresh process, interleaved.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { BENCH, ROOT, type Row, interleave, median, run } from "../lib.ts";

const PROGRAMS = {
  floor: `
interface Summary { conversation_id: string; status: string }
interface Page { conversations: Summary[]; next_cursor?: string | null; has_more: boolean }
interface ToolResult { type?: string | null; tool_name: string }
interface Turn { role: "user" | "agent"; message?: string | null; tool_results?: ToolResult[] }
interface Conversation { conversation_id: string; transcript: Turn[] }

export async function main(baseUrl: string, apiKey: string): Promise<string[]> {
  const headers = { "xi-api-key": apiKey };
  const ids: string[] = [];
  let cursor: string | null | undefined;
  do {
    const page = JSON.parse(await (await fetch(\`\${baseUrl}/v1/convai/conversations?page_size=100\${cursor ? \`&cursor=\${cursor}\` : ""}\`, { headers })).text()) as Page;
    ids.push(...page.conversations.map((c) => c.conversation_id));
    cursor = page.has_more ? page.next_cursor : undefined;
  } while (cursor);
  const conversation = JSON.parse(await (await fetch(\`\${baseUrl}/v1/convai/conversations/\${ids[0]}\`, { headers })).text()) as Conversation;
  const names: string[] = [];
  for (const turn of conversation.transcript) {
    for (const result of turn.tool_results ?? []) {
      switch (result.type) {
        case "system": names.push(\`system \${result.tool_name}\`); break;
        case "workflow": names.push(\`workflow \${result.tool_name}\`); break;
        default: names.push(result.tool_name);
      }
    }
  }
  return names;
}
`,
  ours: `
import { createConvaiClient, matchToolResult, toolResults } from "elevenlabs-convai";
import type { Conversation, ConversationSummary, ToolResult } from "elevenlabs-convai/types";

export async function main(baseUrl: string, apiKey: string): Promise<string[]> {
  const convai = createConvaiClient({ apiKey, baseUrl });
  const summaries: ConversationSummary[] = await convai.conversations.list({ page_size: 100 }).toArray({ max: 10_000 });
  const conversation: Conversation = await convai.conversations.get(summaries[0]!.conversation_id);
  const names: string[] = [];
  for (const { result } of toolResults(conversation)) {
    names.push(
      matchToolResult(result, {
        system: (r) => \`system \${r.tool_name}\`,
        workflow: (r) => \`workflow \${r.tool_name}\`,
        _: (r: ToolResult) => r.tool_name,
      }),
    );
  }
  return names;
}
`,
  sdk: `
import { ElevenLabsClient, type ElevenLabs } from "@elevenlabs/elevenlabs-js";

export async function main(baseUrl: string, apiKey: string): Promise<string[]> {
  const client = new ElevenLabsClient({ apiKey, baseUrl });
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.conversationalAi.conversations.list({ pageSize: 100, cursor });
    ids.push(...page.conversations.map((c: ElevenLabs.ConversationSummaryResponseModel) => c.conversationId));
    cursor = page.hasMore ? (page.nextCursor ?? undefined) : undefined;
  } while (cursor);
  const conversation = await client.conversationalAi.conversations.get(ids[0]!);
  const names: string[] = [];
  for (const turn of conversation.transcript) {
    for (const result of turn.toolResults ?? []) {
      switch (result.type) {
        case "system": names.push(\`system \${result.toolName}\`); break;
        case "workflow": names.push(\`workflow \${result.toolName}\`); break;
        default: names.push(result.toolName);
      }
    }
  }
  return names;
}
`,
} as const;

interface Diagnostics {
  files: number;
  types: number;
  memoryMB: number;
  totalS: number;
}

function parse(output: string): Diagnostics {
  const number = (label: string) => Number(new RegExp(`^${label}:\\s+([\\d.]+)`, "m").exec(output)?.[1] ?? NaN);
  return {
    files: number("Files"),
    types: number("Types"),
    memoryMB: number("Memory used") / 1024,
    totalS: number("Total time"),
  };
}

export async function typecheck(quick: boolean): Promise<Row[]> {
  const dir = await mkdtemp(path.join(tmpdir(), "convai-bench-tsc-"));
  try {
    await mkdir(path.join(dir, "node_modules/@elevenlabs"), { recursive: true });
    await symlink(ROOT, path.join(dir, "node_modules/elevenlabs-convai"));
    await symlink(
      path.join(BENCH, "node_modules/@elevenlabs/elevenlabs-js"),
      path.join(dir, "node_modules/@elevenlabs/elevenlabs-js"),
    );
    await writeFile(path.join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
    for (const [name, source] of Object.entries(PROGRAMS)) {
      await writeFile(path.join(dir, `${name}.ts`), source);
      const compilerOptions = {
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        target: "ES2022",
        lib: ["ES2023"],
        module: "nodenext",
        moduleResolution: "nodenext",
        types: ["node"],
        typeRoots: [path.join(ROOT, "node_modules/@types")],
      };
      await writeFile(
        path.join(dir, `tsconfig.${name}.json`),
        JSON.stringify({ compilerOptions, files: [`${name}.ts`] }),
      );
    }
    const details: Record<string, Diagnostics[]> = { floor: [], ours: [], sdk: [] };
    const check = (name: keyof typeof PROGRAMS) => async () => {
      const tsc = path.join(ROOT, "node_modules/typescript/bin/tsc");
      const { stdout } = await run(process.execPath, [tsc, "-p", `tsconfig.${name}.json`, "--extendedDiagnostics"], {
        cwd: dir,
      });
      const d = parse(stdout);
      details[name]!.push(d);
      return d.totalS * 1000;
    };
    const s = await interleave(
      { floor: check("floor"), ours: check("ours"), sdk: check("sdk") },
      { rounds: quick ? 2 : 5, warmup: 1 },
    );
    const last = (name: string) => details[name]!.at(-1)!;
    const ours = median(s.ours);
    const sdk = median(s.sdk);
    const row = (metric: string, unit: string, pick: (d: Diagnostics) => number): Row => ({
      figure: "6. type-check",
      metric,
      unit,
      ours: pick(last("ours")),
      floor: pick(last("floor")),
      sdk: pick(last("sdk")),
      target: "reported",
      met: undefined,
    });
    const floor = median(s.floor);
    return [
      {
        figure: "6. type-check",
        metric: "tsc --noEmit of a consumer file (list, get, narrowing, types entry): total time",
        unit: "ms",
        ours,
        floor,
        sdk,
        target: "SDK/ours ≥ 5",
        met: sdk / ours >= 5,
        note: `SDK/ours ${(sdk / ours).toFixed(1)}×; the floor is tsc itself with lib and @types/node`,
      },
      {
        figure: "6. type-check",
        metric: "the same, time above the floor (what the library's types add)",
        unit: "ms",
        ours: ours - floor,
        floor: undefined,
        sdk: sdk - floor,
        target: "SDK/ours ≥ 5",
        met: (sdk - floor) / (ours - floor) >= 5,
        note: `SDK/ours ${((sdk - floor) / (ours - floor)).toFixed(1)}×`,
      },
      row("files", "files", (d) => d.files),
      row("types", "types", (d) => d.types),
      row("memory", "MB", (d) => d.memoryMB),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
