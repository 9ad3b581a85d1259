/** The `elevenlabs-convai` command: usage refused before any request, export and purge end to end, exit codes. */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXIT, main } from "../../src/cli/main.ts";
import { type Emulator, startEmulator } from "../../src/testing/index.ts";
import { expectMirror, finishedIds } from "./helpers.ts";

let emulator: Emulator;
let dir: string;

beforeEach(async () => {
  emulator = await startEmulator({ conversations: 40, audioBytes: 2_000 });
  dir = await mkdtemp(path.join(tmpdir(), "convai-cli-"));
});
afterEach(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

function sink(isTTY = false) {
  const chunks: string[] = [];
  return { write: (text: string) => chunks.push(text), isTTY, text: () => chunks.join("") };
}

async function run(args: string[], env: Record<string, string | undefined> = { ELEVENLABS_API_KEY: emulator.apiKey }) {
  const stdout = sink();
  const stderr = sink();
  const code = await main(args, { env, stdout, stderr });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe("elevenlabs-convai: bad usage exits 2 with one line, before any request", () => {
  const cases: [string, () => string[], RegExp, Record<string, string | undefined>?][] = [
    ["an unknown flag", () => ["export", "--out", dir, "--nope"], /Unknown option '--nope'/],
    ["no --out", () => ["export", "--base-url", emulator.baseUrl], /export needs --out DIR/],
    ["no key", () => ["export", "--out", dir, "--base-url", emulator.baseUrl], /ELEVENLABS_API_KEY/, {}],
    [
      "a key no header can carry",
      () => ["export", "--out", dir, "--base-url", emulator.baseUrl],
      /apiKey/,
      { ELEVENLABS_API_KEY: "xi key with spaces" },
    ],
    ["a bad --since", () => ["export", "--out", dir, "--since", "last week"], /--since must be a date/],
    [
      "--since after --until",
      () => ["export", "--out", dir, "--since", "2025-02-01", "--until", "2025-01-01"],
      /before --until/,
    ],
    ["--concurrency 0", () => ["export", "--out", dir, "--concurrency", "0"], /--concurrency must be an integer/],
    [
      "both --environment and --base-url",
      () => ["export", "--out", dir, "--environment", "eu", "--base-url", emulator.baseUrl],
      /not both/,
    ],
    ["an unknown environment", () => ["export", "--out", dir, "--environment", "mars"], /--environment must be one of/],
    [
      "a DIR that is a file",
      () => ["export", "--out", path.join(dir, "file"), "--base-url", emulator.baseUrl],
      /exists and is not a folder/,
    ],
    [
      "a DIR that cannot be created",
      () => ["export", "--out", path.join(dir, "file", "sub"), "--base-url", emulator.baseUrl],
      /cannot (create|use)/,
    ],
    ["an unknown command", () => ["exprot"], /unknown command "exprot"/],
    ["a purge without a bound", () => ["purge", "--out", dir, "--base-url", emulator.baseUrl], /without a bound/],
    ["a purge with a bad --before", () => ["purge", "--out", dir, "--before", "soon"], /--before must be a date/],
  ];
  it.each(cases)("%s", async (_, args, message, env) => {
    await writeFile(path.join(dir, "file"), "not a folder");
    const result = await run(args(), env ?? { ELEVENLABS_API_KEY: emulator.apiKey });
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).not.toContain(emulator.apiKey);
    expect(emulator.requestCount()).toBe(0);
  });
});

describe("elevenlabs-convai export", () => {
  it("--help shows every flag and exits 0", async () => {
    const result = await run(["export", "--help"]);
    expect(result.code).toBe(0);
    for (const flag of [
      "--out",
      "--since",
      "--until",
      "--agent-id",
      "--audio",
      "--concurrency",
      "--environment",
      "--base-url",
      "--json",
    ]) {
      expect(result.stdout).toContain(flag);
    }
    expect((await run(["purge", "--help"])).stdout).toContain("--yes");
  });

  it("mirrors the emulator, prints one summary line, and --json prints events then a summary", async () => {
    const first = await run(["export", "--out", dir, "--base-url", emulator.baseUrl, "--audio"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^exported \d+ conversations \(\d+ recordings, [\d.]+ [kM]B\)/);
    await expectMirror(dir, emulator, { audio: true });
    const second = await run(["export", "--out", dir, "--base-url", emulator.baseUrl, "--audio", "--json"]);
    expect(second.code).toBe(0);
    const events = second.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { event: string; exported?: number });
    expect(events.at(-1)).toMatchObject({ event: "summary", exported: 0, failed: 0 });
    expect(events.every((e) => e.event === "progress" || e.event === "summary")).toBe(true);
  });

  it("an agent filter exports only that agent's conversations", async () => {
    const agent = emulator.conversation(finishedIds(emulator)[0]!)!.agent_id;
    const result = await run(["export", "--out", dir, "--base-url", emulator.baseUrl, "--agent-id", agent]);
    expect(result.code).toBe(0);
    const ids = finishedIds(emulator).filter((id) => emulator.conversation(id)!.agent_id === agent);
    await expectMirror(dir, emulator, { audio: false, ids });
  });

  it("a failure after the start exits 1 with one line", async () => {
    emulator.fault("listConversations", {
      kind: "status",
      status: 403,
      body: { detail: { status: "forbidden", message: "No access" } },
    });
    const result = await run(["export", "--out", dir, "--base-url", emulator.baseUrl]);
    expect(result.code).toBe(EXIT.failed);
    expect(result.stderr).toMatch(/403/);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("elevenlabs-convai purge", () => {
  it("is a dry run without --yes, deletes with it, and a 404 counts as already deleted", async () => {
    const before =
      Math.max(...finishedIds(emulator).map((id) => emulator.conversation(id)!.metadata.start_time_unix_secs)) -
      3600 * 24;
    const doomed = finishedIds(emulator).filter(
      (id) => emulator.conversation(id)!.metadata.start_time_unix_secs < before,
    );
    expect(doomed.length).toBeGreaterThan(2);
    const dry = await run([
      "purge",
      "--out",
      dir,
      "--base-url",
      emulator.baseUrl,
      "--before",
      String(before),
      "--json",
    ]);
    expect(dry.code).toBe(0);
    expect(emulator.requestCount("deleteConversation")).toBe(0);
    expect(JSON.parse(dry.stdout.trim().split("\n").at(-1)!)).toMatchObject({
      event: "summary",
      dry_run: true,
      matched: doomed.length,
    });

    emulator.fault("deleteConversation", {
      kind: "status",
      status: 404,
      body: { detail: { status: "not_found", message: "gone" } },
    });
    const real = await run([
      "purge",
      "--out",
      dir,
      "--base-url",
      emulator.baseUrl,
      "--before",
      String(before),
      "--yes",
    ]);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(new RegExp(`deleted ${doomed.length - 1} conversations \\(1 already gone\\)`));
    const rows = (await readFile(path.join(dir, "purge-manifest.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { action: string; conversation_id: string });
    expect(rows.filter((r) => r.action === "would_delete")).toHaveLength(doomed.length);
    const done = rows.filter((r) => r.action === "deleted" || r.action === "already_deleted");
    expect(done.map((r) => r.conversation_id).sort()).toEqual([...doomed].sort());
    // The one the fault answered 404 for is the only one the emulator still has.
    const gone = rows.find((r) => r.action === "already_deleted")!.conversation_id;
    for (const id of doomed) expect(emulator.conversation(id) === undefined).toBe(id !== gone);
    // Unfinished conversations and later ones are never deleted.
    expect(emulator.conversationIds().length).toBe(40 - doomed.length + 1);
  });
});
