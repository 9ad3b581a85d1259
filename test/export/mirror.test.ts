/** exportConversations against the emulator over loopback: correctness, incremental runs, pending, abort, recovery. */
import { mkdtemp, readFile, rm, writeFile, appendFile, readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createConvaiClient } from "../../src/index.ts";
import { type ExportEvent, exportConversations } from "../../src/node.ts";
import { type Emulator, makeConversation, startEmulator } from "../../src/testing/index.ts";
import { expectMirror, expectTablesMatch, finishedIds, manifestRows, partials, tableRows } from "./helpers.ts";

let emulator: Emulator;
let dir: string;
const client = (options = {}) =>
  createConvaiClient({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, maxConcurrency: 8, ...options });

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "convai-export-"));
});
afterEach(async () => {
  await emulator?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Every file of the folder with its inode, size and modification time (a replaced file has a new inode). */
async function snapshot(folder: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await readdir(folder, { recursive: true })) {
    const s = await stat(path.join(folder, name));
    if (s.isFile()) out[name] = `${s.ino}:${s.size}:${s.mtimeMs}`;
  }
  return out;
}

/** An emulator serving `n` conversations 60 s apart, the newest at `top`, with the given statuses. */
async function spaced(n: number, status: (i: number) => "done" | "failed" | "in-progress" = () => "done") {
  emulator = await startEmulator({ conversations: 0, audioBytes: 3_000 });
  const top = 1_763_000_000;
  for (let i = 0; i < n; i++) {
    emulator.addConversation(
      makeConversation({
        seed: i + 1,
        conversation_id: `conv_${String(i).padStart(5, "0")}`,
        start_time_unix_secs: top - i * 60,
        status: status(i),
        turns: 4,
      }),
    );
  }
  return top;
}

describe("exportConversations", () => {
  it("mirrors every finished conversation byte for byte, with its recording, a true manifest and the tables", async () => {
    emulator = await startEmulator({ conversations: 120, audioBytes: 3_000, seed: 3 });
    const events: ExportEvent["type"][] = [];
    const result = await exportConversations(client(), {
      out: dir,
      audio: true,
      onProgress: (e) => events.push(e.type),
    });
    const finished = finishedIds(emulator);
    expect(finished.length).toBeGreaterThan(50);
    expect(finished.length).toBeLessThan(120); // the seed has some in progress: they are left pending
    await expectMirror(dir, emulator, { audio: true });
    expect(result.exported).toBe(finished.length);
    expect(result.pending).toBe(120 - finished.length);
    expect(result.listComplete).toBe(true);
    expect(events).toContain("exported");
    expect(events).toContain("tables");

    const table = async (name: string) =>
      (await readFile(path.join(dir, "tables", `${name}.jsonl`), "utf8"))
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const conversations = await table("conversations");
    expect(conversations.map((r) => r.conversation_id).sort()).toEqual([...finished].sort());
    expect(conversations.every((r) => r.schema_version === 1)).toBe(true);
    const turns = await table("turns");
    const expectedTurns = finished.reduce((n, id) => n + emulator.conversation(id)!.transcript.length, 0);
    expect(turns).toHaveLength(expectedTurns);
    const first = emulator.conversation(finished[0]!)!;
    const firstTurns = turns.filter((t) => t.conversation_id === first.conversation_id);
    expect(firstTurns.map((t) => t.turn_index)).toEqual(first.transcript.map((_, i) => i));
    expect(firstTurns.map((t) => t.message)).toEqual(first.transcript.map((t) => t.message ?? null));
    const calls = await table("tool_calls");
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.some((c) => c.result_value !== null && typeof c.result_turn_index === "number")).toBe(true);
    expect((await table("evaluation_results")).length).toBeGreaterThan(0);
    expect((await table("data_collection_results")).length).toBeGreaterThan(0);
  });

  it("a second run with nothing new makes list requests only, only as far back as needed, and writes nothing", async () => {
    await spaced(150);
    const first = await exportConversations(client(), { out: dir, audio: true });
    expect(first.exported).toBe(150);
    expect(first.listRequests).toBe(2);
    const before = await snapshot(dir);
    emulator.resetRequests();
    const second = await exportConversations(client(), { out: dir, audio: true });
    expect(second.exported).toBe(0);
    expect(emulator.requests.map((r) => r.operationId)).toEqual(["listConversations"]);
    expect(second.listRequests).toBe(1);
    expect(second.tables).toBeUndefined(); // nothing changed: the tables already match
    // Not a file of the folder was replaced or touched: not the state, not the manifest, not the tables.
    expect(await snapshot(dir)).toEqual(before);
    await expectMirror(dir, emulator, { audio: true });
  });

  it("a second run reads no conversation file, not even of one without a recording in the overlap", async () => {
    await spaced(150);
    const first = await exportConversations(client(), { out: dir, audio: true });
    expect(first.exported).toBe(150);
    // Conversations 60 s apart: the first ten are in the 600 s the next run looks at again.
    const quiet = Array.from({ length: 10 }, (_, i) => `conv_${String(i).padStart(5, "0")}`).filter(
      (id) => emulator.audio(id) === undefined,
    );
    expect(quiet.length).toBeGreaterThan(0);
    // Files the next run must not read: if it did (to learn again that there is no recording), it would fail on them.
    const texts = await Promise.all(quiet.map((id) => readFile(path.join(dir, "conversations", `${id}.json`), "utf8")));
    for (const id of quiet) await writeFile(path.join(dir, "conversations", `${id}.json`), "not json");
    const second = await exportConversations(client(), { out: dir, audio: true });
    expect(second).toMatchObject({ exported: 0, failed: 0, handled: second.skipped });
    for (const [i, id] of quiet.entries()) await writeFile(path.join(dir, "conversations", `${id}.json`), texts[i]!);
    await expectMirror(dir, emulator, { audio: true });
  });

  it("a run that adds conversations appends their rows without reading the conversations already there", async () => {
    const top = await spaced(40);
    await exportConversations(client(), { out: dir });
    // A file the next run must not read: if it did (rebuilding the tables), it would fail on it.
    const old = path.join(dir, "conversations", "conv_00020.json");
    const text = await readFile(old, "utf8");
    await writeFile(old, "not json");
    emulator.addConversation(
      makeConversation({ seed: 900, conversation_id: "conv_new", start_time_unix_secs: top + 60, status: "done" }),
    );
    const next = await exportConversations(client(), { out: dir });
    expect(next.exported).toBe(1);
    expect(next.tables?.conversations).toBe(41);
    await writeFile(old, text);
    await expectTablesMatch(dir);
    expect((await tableRows(dir, "conversations")).filter((r) => r.conversation_id === "conv_new")).toHaveLength(1);
  });

  it("a conversation in progress is left pending and fetched on the first run after it finishes", async () => {
    const top = await spaced(150, (i) => (i === 120 ? "in-progress" : "done"));
    const late = "conv_00120";
    const first = await exportConversations(client(), { out: dir });
    expect(first.pending).toBe(1);
    const state = JSON.parse(await readFile(path.join(dir, ".state.json"), "utf8"));
    expect(Object.keys(Object.values<{ pending: object }>(state.scopes)[0]!.pending)).toEqual([late]);

    // Still in progress: listed again (down to it), nothing fetched.
    emulator.resetRequests();
    await exportConversations(client(), { out: dir });
    expect(emulator.requestCount("getConversation")).toBe(0);

    // It finishes, and a new conversation arrives: the next run fetches exactly those two.
    emulator.addConversation(
      makeConversation({ seed: 121, conversation_id: late, start_time_unix_secs: top - 120 * 60, status: "done" }),
    );
    emulator.addConversation(
      makeConversation({ seed: 999, conversation_id: "conv_new", start_time_unix_secs: top + 60, status: "failed" }),
    );
    emulator.resetRequests();
    const third = await exportConversations(client(), { out: dir });
    expect(third.exported).toBe(2);
    expect(
      emulator.requests
        .filter((r) => r.operationId === "getConversation")
        .map((r) => r.path.split("/").pop())
        .sort(),
    ).toEqual([late, "conv_new"]);
    await expectMirror(dir, emulator, { audio: false });
    const after = JSON.parse(await readFile(path.join(dir, ".state.json"), "utf8"));
    expect(Object.values<{ pending: object }>(after.scopes)[0]!.pending).toEqual({});
  });

  /**
   * A client whose list answers the emulator gives, with `extra(n)` (n: the list request, from 1)
   * naming earlier list requests whose conversations are served again at the head of that page.
   */
  function repeatingClient(extra: (n: number) => number[]) {
    const pages: { conversations: unknown[] }[] = [];
    return client({
      fetch: async (request: Request) => {
        const response = await fetch(request);
        if (!request.url.includes("/v1/convai/conversations?")) return response;
        const page = (await response.json()) as { conversations: unknown[] };
        pages.push(page);
        const again = extra(pages.length).flatMap((n) => pages[n - 1]!.conversations);
        const body = JSON.stringify({ ...page, conversations: [...again, ...page.conversations] });
        return new Response(body, { status: response.status, headers: { "content-type": "application/json" } });
      },
    });
  }

  it("conversations listed again, one page back or many, are each exported once and counted once", async () => {
    await spaced(450, (i) => (i % 9 === 4 ? "in-progress" : "done"));
    // Page 3 repeats page 2 (the page before); page 4 repeats page 1 (long gone from the window);
    // page 5 repeats pages 1, 3 and itself so far (page 4).
    const convai = repeatingClient((n) => ({ 3: [2], 4: [1], 5: [1, 3, 4] })[n] ?? []);
    const result = await exportConversations(convai, { out: dir, audio: true, concurrency: 4 });
    expect(result.listRequests).toBe(5);
    expect(result.listed).toBe(450);
    expect(result.handled).toBe(450);
    expect(result.exported).toBe(400);
    expect(result.pending).toBe(50);
    const details = emulator.requests.filter((r) => r.operationId === "getConversation").map((r) => r.path);
    expect(new Set(details).size).toBe(details.length);
    const audio = emulator.requests.filter((r) => r.operationId === "getConversationAudio").map((r) => r.path);
    expect(new Set(audio).size).toBe(audio.length);
    await expectMirror(dir, emulator, { audio: true });
    const rows = await manifestRows(dir);
    expect(new Set(rows.map((r) => r.path)).size).toBe(rows.length);
  });

  it("a start time shared by more than a page of conversations, with a page served twice: each handled once", async () => {
    emulator = await startEmulator({ conversations: 0, audioBytes: 1_000 });
    for (let i = 0; i < 330; i++) {
      emulator.addConversation(
        makeConversation({
          seed: i + 1,
          conversation_id: `conv_${String(i).padStart(5, "0")}`,
          start_time_unix_secs: i < 250 ? 1_763_000_000 : 1_763_000_000 - i,
          status: i % 7 === 3 ? "processing" : "done",
          turns: 2,
        }),
      );
    }
    const convai = repeatingClient((n) => ({ 3: [1, 2], 4: [3] })[n] ?? []);
    const result = await exportConversations(convai, { out: dir, audio: true, concurrency: 4 });
    expect(result.listed).toBe(330);
    expect(result.exported + result.pending).toBe(330);
    expect(result.pending).toBe(47);
    await expectMirror(dir, emulator, { audio: true });
    const second = await exportConversations(client(), { out: dir, audio: true });
    expect(second.exported).toBe(0);
    expect(second.pending).toBe(47);
  });

  it("a conversation that appears late, within the overlap, is still exported", async () => {
    const top = await spaced(50);
    await exportConversations(client(), { out: dir });
    emulator.addConversation(
      makeConversation({ seed: 7_777, conversation_id: "conv_late", start_time_unix_secs: top - 90, status: "done" }),
    );
    const again = await exportConversations(client(), { out: dir });
    expect(again.exported).toBe(1);
    await expectMirror(dir, emulator, { audio: false });
  });

  it("an abort stops the run without a partial file; the next run finishes, each conversation once", async () => {
    emulator = await startEmulator({ conversations: 0, audioBytes: 20_000 });
    for (let i = 0; i < 150; i++) {
      emulator.addConversation(
        makeConversation({ seed: i + 1, conversation_id: `conv_${i}`, start_time_unix_secs: 1_763_000_000 - i * 60 }),
      );
    }
    const controller = new AbortController();
    let exported = 0;
    const run = exportConversations(client(), {
      out: dir,
      audio: true,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === "exported" && ++exported === 30) controller.abort(new Error("stop here"));
      },
    });
    await expect(run).rejects.toThrow("stop here");
    expect(await partials(dir)).toEqual([]);
    const files = await readdir(path.join(dir, "conversations"));
    expect(files.length).toBeGreaterThanOrEqual(30);
    expect(files.length).toBeLessThan(150);
    await expectTablesMatch(dir);
    const rest = await exportConversations(client(), { out: dir, audio: true });
    expect(rest.exported).toBe(150 - files.length);
    await expectTablesMatch(dir);
    await expectMirror(dir, emulator, { audio: true });
  });

  it("a stopped run leaves tables that match the folder; the next run appends to them what it adds", async () => {
    const top = await spaced(50);
    const first = await exportConversations(client(), { out: dir });
    expect(first.tables?.conversations).toBe(50);
    for (let i = 1; i <= 10; i++) {
      emulator.addConversation(
        makeConversation({ seed: 500 + i, conversation_id: `conv_new${i}`, start_time_unix_secs: top + i * 60 }),
      );
    }
    const controller = new AbortController();
    let exported = 0;
    const stopped = exportConversations(client(), {
      out: dir,
      concurrency: 1,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === "exported" && ++exported === 5) controller.abort(new Error("stop"));
      },
    });
    await expect(stopped).rejects.toThrow("stop");
    await expectTablesMatch(dir);
    expect((await tableRows(dir, "conversations")).length).toBeLessThan(60);
    emulator.resetRequests();
    const next = await exportConversations(client(), { out: dir });
    expect(next.exported).toBeGreaterThan(0);
    expect(next.tables?.conversations).toBe(60);
    expect(emulator.requestCount("getConversation")).toBe(next.exported);
    await expectTablesMatch(dir);
    await expectMirror(dir, emulator, { audio: false });
  });

  it("tables whose writes failed, or that are missing, are rebuilt from the folder", async () => {
    await spaced(30);
    await exportConversations(client(), { out: dir });
    // The state says a run was stopped before its tables (as a failed table commit leaves it).
    const statePath = path.join(dir, ".state.json");
    const state = JSON.parse(await readFile(statePath, "utf8"));
    await writeFile(statePath, JSON.stringify({ ...state, tablesCurrent: false }));
    await writeFile(path.join(dir, "tables", "turns.jsonl"), "");
    const again = await exportConversations(client(), { out: dir });
    expect(again.tables?.conversations).toBe(30);
    await expectTablesMatch(dir);
    await rm(path.join(dir, "tables", "tool_calls.jsonl"));
    const third = await exportConversations(client(), { out: dir });
    expect(third.tables?.conversations).toBe(30);
    await expectTablesMatch(dir);
  });

  it("after an abrupt end, the manifest is rebuilt from the folder and temporary files go", async () => {
    await spaced(80);
    await exportConversations(client(), { out: dir, audio: true });
    const manifest = path.join(dir, "manifest.jsonl");
    const lines = (await readFile(manifest, "utf8")).split("\n").filter(Boolean);
    // A run killed mid-write: a row lost, a row twice, a torn last line, a temporary file, the state saying "running".
    await writeFile(manifest, [...lines.slice(1), lines[2], '{"path":"conversations/x'].join("\n"));
    await writeFile(path.join(dir, "conversations", ".conv_00001.json.0b5e2a9c-1d3f-4e5a-8b7c-9d0e1f2a3b4c.part"), "{");
    const statePath = path.join(dir, ".state.json");
    const state = JSON.parse(await readFile(statePath, "utf8"));
    await writeFile(statePath, JSON.stringify({ ...state, running: true }));
    const result = await exportConversations(client(), { out: dir, audio: true });
    expect(result.recovered).toBe(true);
    await expectMirror(dir, emulator, { audio: true });
    expect((await manifestRows(dir)).length).toBe(lines.length);
  });

  it("refuses bad options before any request", async () => {
    emulator = await startEmulator({ conversations: 3 });
    const convai = client();
    const file = path.join(dir, "a-file");
    await writeFile(file, "x");
    await appendFile(file, "y");
    await expect(exportConversations(convai, { out: "" })).rejects.toThrow(/out must be a folder path/);
    await expect(exportConversations(convai, { out: dir, concurrency: 0 })).rejects.toThrow(/concurrency/);
    await expect(exportConversations(convai, { out: dir, since: 10, until: 5 })).rejects.toThrow(
      /since must be before/,
    );
    await expect(exportConversations(convai, { out: dir, since: "yesterday" as never })).rejects.toThrow(/since/);
    await expect(exportConversations(convai, { out: file })).rejects.toThrow(/exists and is not a folder/);
    await expect(exportConversations(convai, { out: path.join(file, "sub") })).rejects.toThrow(TypeError);
    await expect(
      exportConversations(convai, { out: dir, signal: AbortSignal.abort(new Error("already")) }),
    ).rejects.toThrow("already");
    expect(emulator.requestCount()).toBe(0);
  });

  it("an id that could name another place is refused, and nothing is written outside the folder", async () => {
    await spaced(3);
    emulator.addConversation(
      makeConversation({ seed: 5, conversation_id: "../../escape", start_time_unix_secs: 1_763_000_100 }),
    );
    const result = await exportConversations(client(), { out: path.join(dir, "mirror") });
    expect(result.failed).toBe(1);
    expect(result.exported).toBe(3);
    expect((await readdir(dir)).sort()).toEqual(["mirror"]);
  });

  it("leaves no abort listener per request on a signal that outlives the requests", async () => {
    await spaced(60);
    // Listeners on each signal, added and not yet removed: a Request made with a signal removes its
    // own only when it is collected, so a signal shared by every request of the run would gather one each.
    const live = new Map<AbortSignal, number>();
    let most = 0;
    const { addEventListener, removeEventListener } = AbortSignal.prototype;
    AbortSignal.prototype.addEventListener = function (
      this: AbortSignal,
      ...args: Parameters<typeof addEventListener>
    ) {
      if (args[0] === "abort") most = Math.max(most, live.set(this, (live.get(this) ?? 0) + 1).get(this)!);
      return addEventListener.apply(this, args);
    };
    AbortSignal.prototype.removeEventListener = function (
      this: AbortSignal,
      ...args: Parameters<typeof removeEventListener>
    ) {
      if (args[0] === "abort") live.set(this, (live.get(this) ?? 1) - 1);
      return removeEventListener.apply(this, args);
    };
    try {
      const result = await exportConversations(client(), { out: dir, concurrency: 4 });
      expect(result.exported).toBe(60);
    } finally {
      Object.assign(AbortSignal.prototype, { addEventListener, removeEventListener });
    }
    expect(most).toBeLessThan(20); // the requests in flight at once, not the 120 of the run
  });

  it("prints no listener-leak warning at the default pool of 16 with recordings", async () => {
    await spaced(80);
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      expect((await exportConversations(client(), { out: dir, audio: true })).exported).toBe(80);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).not.toContain("MaxListenersExceededWarning");
  });

  it("a 401 stops the run with the API's error", async () => {
    emulator = await startEmulator({ conversations: 5 });
    const convai = createConvaiClient({ apiKey: "xi-wrong-key-123456", baseUrl: emulator.baseUrl });
    await expect(exportConversations(convai, { out: dir })).rejects.toMatchObject({ status: 401 });
  });
});
