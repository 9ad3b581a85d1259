/** saveConversationAudio: the file appears only when every byte arrived. */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type ConvaiClient, ConvaiConnectionError, createConvaiClient } from "../src/index.ts";
import { saveConversationAudio } from "../src/node.ts";
import { type Emulator, startEmulator } from "../src/testing/index.ts";
import { clientWith, rejectionOf } from "./helpers.ts";
import { noise } from "./servers.ts";

let emulator: Emulator;
let convai: ConvaiClient;
let dir: string;
let id: string;

beforeAll(async () => {
  emulator = await startEmulator({ conversations: 10, audioBytes: 1_000_000 });
  convai = createConvaiClient({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, maxRetries: 0 });
  id = emulator.conversationIds()[0]!;
});
afterAll(() => emulator.close());
beforeEach(async () => {
  emulator.clearFaults();
  dir = await mkdtemp(path.join(tmpdir(), "convai-audio-"));
  return () => rm(dir, { recursive: true, force: true });
});

const digest = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("saveConversationAudio", () => {
  it("saves exactly the emulator's bytes, reporting progress up to the total", async () => {
    const progress: { bytes: number; total: number | undefined }[] = [];
    const file = path.join(dir, "call.mp3");
    const saved = await saveConversationAudio(convai, id, file, { onProgress: (p) => progress.push(p) });
    expect(saved).toEqual({ path: file, bytes: 1_000_000, contentType: "audio/mpeg" });
    expect(digest(await readFile(file))).toBe(digest(emulator.audio(id)!));
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toEqual({ bytes: 1_000_000, total: 1_000_000 });
    expect(progress.every((p, i) => i === 0 || p.bytes > progress[i - 1]!.bytes)).toBe(true);
    expect(await readdir(dir)).toEqual(["call.mp3"]);
  });

  it("leaves no file when the body is cut short, and says how many bytes arrived of how many", async () => {
    emulator.fault("getConversationAudio", { kind: "truncate", bytes: 250_000 });
    const error = await rejectionOf(saveConversationAudio(convai, id, path.join(dir, "cut.mp3")));
    expect(error).toBeInstanceOf(ConvaiConnectionError);
    // The count is what reached the reader: at most what the server sent before it hung up.
    const [, arrived] = /cut short: (\d+) of 1000000 bytes arrived/.exec((error as Error).message) ?? [];
    expect(Number(arrived)).toBeGreaterThan(0);
    expect(Number(arrived)).toBeLessThanOrEqual(250_000);
    expect(await readdir(dir)).toEqual([]);
  });

  it("leaves no file when aborted mid-stream, rejecting with the reason", async () => {
    const controller = new AbortController();
    const reason = new Error("cancelled by user");
    const error = await rejectionOf(
      saveConversationAudio(convai, id, path.join(dir, "aborted.mp3"), {
        signal: controller.signal,
        onProgress: ({ bytes }) => bytes > 100_000 && controller.abort(reason),
      }),
    );
    expect(error).toBe(reason);
    expect(await readdir(dir)).toEqual([]);
  });

  it("throws before creating anything when there is no recording", async () => {
    const silent = emulator.conversationIds().find((c) => emulator.audio(c) === undefined)!;
    expect(await rejectionOf(saveConversationAudio(convai, silent, path.join(dir, "none.mp3")))).toMatchObject({
      status: 404,
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it("passes a file-system error through as it is", async () => {
    const error = await rejectionOf(saveConversationAudio(convai, id, path.join(dir, "missing", "x.mp3")));
    expect(error).toMatchObject({ code: "ENOENT" });
  });
});

describe("the README's examples", () => {
  it("make the folder they save into before the first write: saving into a missing folder fails", async () => {
    const readme = await readFile(path.join(import.meta.dirname, "../README.md"), "utf8");
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => b.includes("./out/"));
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const block of blocks) {
      const made = block.indexOf('mkdir("out", { recursive: true })');
      expect(made, block).toBeGreaterThan(-1);
      expect(made, block).toBeLessThan(block.indexOf("./out/"));
    }
    // Why: the target's folder is not made, and the error says so.
    const error = await rejectionOf(saveConversationAudio(convai, id, path.join(dir, "missing/a.mp3")));
    expect((error as NodeJS.ErrnoException).code).toBe("ENOENT");
  });
});

describe("saving only over regular files", () => {
  it("refuses a symlink, a FIFO, a directory, a socket and a device at the target, before any request", async () => {
    const { convai, calls } = clientWith(() => new Response(noise(10), { headers: { "content-type": "audio/mpeg" } }));
    const place = path.join(dir, "targets");
    await mkdir(place, { recursive: true });
    const victim = path.join(place, "victim.txt");
    await writeFile(victim, "keep me");
    const targets: [string, string][] = [];
    await symlink(victim, path.join(place, "link.mp3"));
    targets.push(["link.mp3", "a symbolic link"]);
    execFileSync("mkfifo", [path.join(place, "fifo.mp3")]);
    targets.push(["fifo.mp3", "a FIFO"]);
    await mkdir(path.join(place, "dir.mp3"));
    targets.push(["dir.mp3", "a directory"]);
    const socketServer = createNetServer().listen(path.join(place, "sock.mp3"));
    await new Promise((resolve) => socketServer.once("listening", resolve));
    targets.push(["sock.mp3", "a socket"]);
    try {
      execFileSync("mknod", [path.join(place, "dev.mp3"), "c", "1", "3"], { stdio: "ignore" });
      targets.push(["dev.mp3", "a device"]);
    } catch {
      // Not allowed to make a device node here: the other kinds still run.
    }
    try {
      for (const [name, kind] of targets) {
        const error = await rejectionOf(saveConversationAudio(convai, "c", path.join(place, name)));
        expect(String(error), name).toContain(`exists and is ${kind}`);
      }
      expect(calls).toHaveLength(0);
      expect(await readFile(victim, "utf8")).toBe("keep me");
      expect((await readdir(place)).sort()).toEqual([...targets.map(([n]) => n), "victim.txt"].sort());
    } finally {
      socketServer.close();
    }
  });

  it("replaces a regular file", async () => {
    const { convai } = clientWith(() => new Response(noise(10), { headers: { "content-type": "audio/mpeg" } }));
    const file = path.join(dir, "regular.mp3");
    await writeFile(file, "old");
    await saveConversationAudio(convai, "c", file);
    expect(await readFile(file)).toEqual(noise(10));
  });
});
