/** purgeConversations: refuses without a bound, dry run by default, only finished conversations. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createConvaiClient } from "../../src/index.ts";
import { purgeConversations } from "../../src/node.ts";
import { type Emulator, startEmulator } from "../../src/testing/index.ts";
import { FINISHED } from "./helpers.ts";

let emulator: Emulator;
let dir: string;
beforeEach(async () => {
  emulator = await startEmulator({ conversations: 50, seed: 4 });
  dir = await mkdtemp(path.join(tmpdir(), "convai-purge-"));
});
afterEach(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});
const client = () => createConvaiClient({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, maxConcurrency: 4 });

describe("purgeConversations", () => {
  it("refuses to run without a bound, or with bad options, before any request", async () => {
    await expect(purgeConversations(client(), { out: dir })).rejects.toThrow(/without a bound/);
    await expect(purgeConversations(client(), { out: dir, agentId: "" })).rejects.toThrow(/agentId/);
    await expect(purgeConversations(client(), { out: dir, before: "2025" as never })).rejects.toThrow(/before/);
    await expect(purgeConversations(client(), { out: dir, agentId: "a", concurrency: 0 })).rejects.toThrow(
      /concurrency/,
    );
    expect(emulator.requestCount()).toBe(0);
  });

  it("is a dry run by default; with dryRun: false deletes only the finished conversations of the agent", async () => {
    const agent = emulator.conversation(emulator.conversationIds()[0]!)!.agent_id;
    const mine = emulator.conversationIds().filter((id) => emulator.conversation(id)!.agent_id === agent);
    const finished = mine.filter((id) => FINISHED.has(emulator.conversation(id)!.status));
    const dry = await purgeConversations(client(), { out: dir, agentId: agent });
    expect(dry).toMatchObject({ dryRun: true, matched: finished.length, deleted: 0 });
    expect(emulator.requestCount("deleteConversation")).toBe(0);
    const real = await purgeConversations(client(), { out: dir, agentId: agent, dryRun: false });
    expect(real).toMatchObject({ dryRun: false, matched: finished.length, deleted: finished.length });
    for (const id of mine) expect(emulator.conversation(id) === undefined).toBe(finished.includes(id));
    const rows = (await readFile(real.manifest, "utf8")).trim().split("\n");
    expect(rows).toHaveLength(2 * finished.length);
    // Again: nothing left to delete.
    expect(await purgeConversations(client(), { out: dir, agentId: agent, dryRun: false })).toMatchObject({
      matched: 0,
    });
  });
});
