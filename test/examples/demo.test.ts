import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "../../scripts/lib/root.ts";
import { promisify } from "node:util";
import { expect, it } from "vitest";

it("npm start walks through the API against the emulator and exits 0", async () => {
  const cwd = await mkdtemp(path.join(tmpdir(), "convai-demo-"));
  try {
    const env = { ...process.env };
    delete env.ELEVENLABS_API_KEY;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(ROOT, "node_modules/tsx/dist/cli.mjs"), path.join(ROOT, "examples/demo.ts")],
      { cwd, env, timeout: 300_000 },
    );
    expect(stdout).toContain("against the local emulator");
    expect(stdout).toMatch(/1\. Conversations, newest first\n {3}60 conversations in 3 pages/);
    expect(stdout).toMatch(/2\. Transcript of conv_\w+ \(\d+ turns\)/);
    expect(stdout).toContain("system transfer_to_number: transferred to");
    expect(stdout).toContain("(the API sent no type)");
    const [, saved] =
      /saved 1,500,000 bytes of audio\/mpeg to (\S+elevenlabs-convai-demo-\w+\/conv_\w+\.mp3)/.exec(stdout) ?? [];
    expect(saved).toBeDefined();
    expect((await stat(saved!)).size).toBe(1_500_000);
    await rm(path.dirname(saved!), { recursive: true, force: true });
    const [, tokenId] = /conversation (conv_\w+) \(from the (?:token|response)/.exec(stdout) ?? [];
    expect(tokenId).toBeDefined();
    expect(stdout).toContain(`watching ${tokenId} live on the monitoring socket`);
    expect(stdout).toMatch(/ {5}user: {2}\S/);
    expect(stdout).toContain("… ended the call with end_call");
    expect(stdout).toContain(`after the call: ${tokenId} is done`);
    expect(stdout).toContain("the same id");
    expect(await readdir(cwd)).toEqual([]); // nothing left where it ran
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
});
