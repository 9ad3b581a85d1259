/** The README's DuckDB query runs over a mirror's tables, and gives what the conversations hold. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConvaiClient } from "../../src/index.ts";
import { exportConversations } from "../../src/node.ts";
import { type Emulator, startEmulator } from "../../src/testing/index.ts";
import { finishedIds } from "./helpers.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
let emulator: Emulator;
let dir: string;

beforeAll(async () => {
  emulator = await startEmulator({ conversations: 60, seed: 9 });
  dir = await mkdtemp(path.join(tmpdir(), "convai-duckdb-"));
  await exportConversations(createConvaiClient({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl }), { out: dir });
});
afterAll(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

/** The SQL block after the README's `<!-- export-duckdb-query -->` marker. */
async function readmeQuery(): Promise<string> {
  const readme = await readFile(path.join(ROOT, "README.md"), "utf8");
  const after = readme.slice(readme.indexOf("<!-- export-duckdb-query -->"));
  const match = /```sql\n([\s\S]*?)```/.exec(after);
  if (!match) throw new Error("README: no sql block after the export-duckdb-query marker");
  return match[1]!;
}

describe("the README's DuckDB query over DIR/tables", () => {
  it("runs, and counts what the conversations hold", async () => {
    const sql = (await readmeQuery()).replaceAll("'out/tables/", `'${dir}/tables/`);
    const db = await DuckDBInstance.create(":memory:");
    const connection = await db.connect();
    const rows = (await connection.runAndReadAll(sql)).getRowObjects();
    connection.closeSync();

    const expected = new Map<string, { conversations: number; user_turns: number; tool_calls: number }>();
    for (const id of finishedIds(emulator)) {
      const c = emulator.conversation(id)!;
      const e = expected.get(c.agent_id) ?? { conversations: 0, user_turns: 0, tool_calls: 0 };
      e.conversations++;
      e.user_turns += c.transcript.filter((t) => t.role === "user").length;
      e.tool_calls += c.transcript.reduce((n, t) => n + (t.tool_calls?.length ?? 0), 0);
      expected.set(c.agent_id, e);
    }
    expect(
      rows.map((r) => ({
        agent_id: r.agent_id,
        conversations: Number(r.conversations),
        user_turns: Number(r.user_turns),
        tool_calls: Number(r.tool_calls),
      })),
    ).toEqual(
      [...expected.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([agent_id, e]) => ({ agent_id, ...e })),
    );
  });
});
