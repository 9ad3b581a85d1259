import { execFile } from "node:child_process";
import { appendFile, cp, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../scripts/openapi/io.ts";

const run = promisify(execFile);

/** `npm run generate -- --check` in a scratch copy of the repository, so a test may make it stale. */
describe("generate --check", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "convai-generate-"));
    for (const entry of ["openapi", "scripts", "src/generated", "package.json", ".prettierrc.json"]) {
      await cp(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
    }
    await symlink(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const check = () =>
    run(process.execPath, [path.join(ROOT, "node_modules/tsx/dist/cli.mjs"), "scripts/generate.ts", "--check"], {
      cwd: dir,
    }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );

  it("passes on the checked-in output and fails naming the stale file", async () => {
    expect(await check()).toMatchObject({ code: 0 });
    await appendFile(path.join(dir, "src/generated/schema.ts"), "export type Extra = 1;\n");
    const types = await check();
    expect(types.code).toBe(1);
    expect(types.out).toContain("src/generated/schema.ts is stale");
    await appendFile(path.join(dir, "openapi/convai.yaml"), "x-extra: true\n");
    const spec = await check();
    expect(spec.code).toBe(1);
    expect(spec.out).toContain("openapi/convai.yaml is stale");
  });
});
