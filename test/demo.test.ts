import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");

it("npm start walks through the API against the emulator and exits 0", async () => {
  const cwd = await mkdtemp(path.join(tmpdir(), "convai-demo-"));
  try {
    const env = { ...process.env };
    delete env.ELEVENLABS_API_KEY;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(ROOT, "node_modules/tsx/dist/cli.mjs"), path.join(ROOT, "examples/demo.ts")],
      { cwd, env, timeout: 60_000 },
    );
    expect(stdout).toContain("against the local emulator");
    expect(stdout).toMatch(/1\. Conversations, newest first\n {3}60 conversations in 3 pages/);
    expect(stdout).toMatch(/2\. Transcript of conv_\w+ \(\d+ turns\)/);
    expect(stdout).toContain("system transfer_to_number: transferred to");
    expect(stdout).toContain("(the API sent no type)");
    expect(stdout).toMatch(/saved 1,500,000 bytes of audio\/mpeg to out\/conv_\w+\.mp3/);
    const [, tokenId] = /conversation (conv_\w+) \(from the token/.exec(stdout) ?? [];
    expect(tokenId).toBeDefined();
    expect(stdout).toContain(`watching ${tokenId} live on the monitoring socket`);
    expect(stdout).toMatch(/ {5}user: {2}\S/);
    expect(stdout).toContain("… ended the call with end_call");
    expect(stdout).toContain(`after the call: ${tokenId} is done`);
    expect(stdout).toContain("the same id");
    expect(await readdir(path.join(cwd, "out"))).toHaveLength(1);
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
});
