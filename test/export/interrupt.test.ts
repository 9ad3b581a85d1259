/**
 * The command stopped at random points (slow): SIGINT exits 130 after saving its progress, a
 * kill -9 leaves no partial file visible, and the next run goes on: in the end every finished
 * conversation is in the mirror exactly once, byte for byte.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile, readdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Emulator, makeConversation, startEmulator } from "../../src/testing/index.ts";
import { expectMirror, finishedIds, served } from "./helpers.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const CLI = path.join(ROOT, "src/cli/index.ts");
const N = 600;

let emulator: Emulator;
let dir: string;
afterEach(async () => {
  await emulator?.close();
  await rm(dir, { recursive: true, force: true });
});

function start(args: string[]): {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: string | null; stderr: string }>;
} {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ELEVENLABS_API_KEY: emulator.apiKey },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk));
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, exited };
}

/** Waits until the mirror holds at least `n` conversations (or the run ended). */
async function untilExported(n: number, exited: Promise<unknown>): Promise<void> {
  let ended = false;
  void exited.then(() => (ended = true));
  for (;;) {
    const files = await readdir(path.join(dir, "conversations")).catch(() => []);
    if (files.filter((f) => f.endsWith(".json") && !f.startsWith(".")).length >= n || ended) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every conversation file visible in the mirror is complete: as the emulator serves it. */
async function expectNoPartialFile(): Promise<void> {
  for (const name of await readdir(path.join(dir, "conversations"))) {
    if (name.startsWith(".")) continue; // a temporary name: never a mirror file
    const id = name.replace(/\.json$/, "");
    expect((await readFile(path.join(dir, "conversations", name))).equals(await served(emulator, id))).toBe(true);
  }
  for (const name of await readdir(path.join(dir, "audio"))) {
    if (name.startsWith(".")) continue;
    const id = name.replace(/\.mp3$/, "");
    expect(Buffer.from(emulator.audio(id)!).equals(await readFile(path.join(dir, "audio", name)))).toBe(true);
  }
}

describe("elevenlabs-convai export, interrupted", () => {
  it("SIGINT and kill -9 at random points, then a resume: nothing missing or twice", { timeout: 300_000 }, async () => {
    emulator = await startEmulator({ conversations: 0, audioBytes: 30_000, latencyMs: 4 });
    for (let i = 0; i < N; i++) {
      emulator.addConversation(
        makeConversation({
          seed: i + 1,
          conversation_id: `conv_${String(i).padStart(4, "0")}`,
          start_time_unix_secs: 1_763_000_000 - i * 30,
          status: i % 17 === 5 ? "failed" : "done",
        }),
      );
    }
    dir = await mkdtemp(path.join(tmpdir(), "convai-interrupt-"));
    const args = ["export", "--out", dir, "--base-url", emulator.baseUrl, "--audio", "--concurrency", "4"];
    const random = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

    const first = start(args);
    await untilExported(random(20, 150), first.exited);
    first.child.kill("SIGINT");
    const interrupted = await first.exited;
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toMatch(/interrupted; progress saved/);
    await expectNoPartialFile();
    const state = JSON.parse(await readFile(path.join(dir, ".state.json"), "utf8"));
    expect(state.running).toBe(false);

    const second = start(args);
    const before = (await readdir(path.join(dir, "conversations"))).length;
    await untilExported(before + random(20, 200), second.exited);
    second.child.kill("SIGKILL");
    expect((await second.exited).signal).toBe("SIGKILL");
    await expectNoPartialFile();

    const third = start(args);
    const finished = await third.exited;
    expect(finished.stderr).not.toContain("elevenlabs-convai:"); // progress lines only, no error
    expect(finished.code).toBe(0);
    expect(finishedIds(emulator)).toHaveLength(N);
    await expectMirror(dir, emulator, { audio: true });
  });
});
