/**
 * The README's `node:http` webhook receiver, run as written in a child process (importing the
 * sources, on a free port): it makes the folder it writes to, answers bad deliveries 400, and one
 * failure never stops it. In the slow project: it starts a child process.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { signWebhook } from "../../src/testing/index.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SECRET = "wsec_5e1f0d2c3b4a5968";

describe("the README's webhook receiver", () => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  it("the README's node:http receiver runs as written: it makes ./out, answers bad deliveries 400 and keeps running", async () => {
    const readme = await readFile(path.join(ROOT, "README.md"), "utf8");
    const block = /```ts\n(import \{ createServer[\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toContain(".listen(8080)");
    const dir = await mkdtemp(path.join(tmpdir(), "readme-receiver-"));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    // As written, but importing the sources and listening on a free port it reports.
    const source = block!
      .replaceAll('"elevenlabs-convai"', JSON.stringify(pathToFileURL(path.join(ROOT, "src/index.ts")).href))
      .replace(
        ".listen(8080)",
        '.listen(0, "127.0.0.1", function (this: any) { console.log(`port ${this.address().port}`); })',
      );
    await writeFile(path.join(dir, "receiver.mts"), source);
    const child = spawn(process.execPath, [path.join(ROOT, "node_modules/tsx/dist/cli.mjs"), "receiver.mts"], {
      cwd: dir,
      env: { ...process.env, ELEVENLABS_WEBHOOK_SECRET: SECRET },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let exited = false;
    child.on("exit", () => (exited = true));
    closers.push(async () => void child.kill());
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += String(chunk)));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on("data", (chunk) => {
        const match = /port (\d+)/.exec(String(chunk));
        if (match) resolve(Number(match[1]));
      });
      child.on("exit", (code) => reject(new Error(`the receiver exited (${code}): ${stderr}`)));
    });
    const post = (body: string, headers: Record<string, string | string[]>) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: "127.0.0.1", port, method: "POST", path: "/", headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end(body);
      });
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({
      type: "post_call_transcription",
      event_timestamp: now,
      data: { conversation_id: "conv_readme" },
    });
    const signature = signWebhook(body, SECRET, { timestamp: now });
    expect(await post(body, {})).toBe(400);
    expect(await post(body, { "elevenlabs-signature": [signature, signature] })).toBe(400);
    expect(await post(body, { "elevenlabs-signature": signature.replace("v0=", "v0=0") })).toBe(400);
    expect(await post(body, { "elevenlabs-signature": signature })).toBe(200);
    const written = path.join(dir, "out/conv_readme.json");
    // Written after the answer: read once it is whole (or the receiver died trying).
    const parsed = async (): Promise<unknown> => {
      try {
        return JSON.parse(await readFile(written, "utf8"));
      } catch {
        return undefined;
      }
    };
    let saved: unknown;
    while ((saved = await parsed()) === undefined && !exited) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stderr).toBe("");
    expect(saved).toEqual({ conversation_id: "conv_readme" });
    expect(await post(body, { "elevenlabs-signature": signature })).toBe(200); // still up
    expect(exited).toBe(false);
  }, 30_000);
});
