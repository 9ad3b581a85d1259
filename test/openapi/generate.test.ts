import { execFile } from "node:child_process";
import { appendFile, cp, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/openapi/io.ts";

const run = promisify(execFile);

/** `npm run generate -- --check` in a scratch copy of the repository, so a test may make it stale. */
// Each check rebuilds from the published document (megabytes of JSON): minutes on a busy machine, not seconds.
describe("generate --check", { timeout: 120_000 }, () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "convai-generate-"));
    for (const entry of ["openapi", "scripts", "src/generated", "package.json", ".prettierrc.json"]) {
      await cp(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
    }
    await symlink(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const tsx = (cwd: string, ...args: string[]) =>
    run(process.execPath, [path.join(ROOT, "node_modules/tsx/dist/cli.mjs"), ...args], { cwd }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
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

  it("records a document from outside the repository as a copy inside it, so --check works from anywhere", async () => {
    const outside = await mkdtemp(path.join(tmpdir(), "convai-upstream-"));
    try {
      const published = path.join(outside, "published.yaml");
      await cp(path.join(ROOT, "openapi/convai.yaml"), published);
      const built = await tsx(outside, path.join(dir, "scripts/build-spec.ts"), "--from", published);
      expect(built.code, built.out).toBe(0);
      expect(built.out).toContain("copied");
      // What the pages have and this document lacks is listed, and build:spec goes on.
      expect(built.out).toContain(
        "response field `metadata.whatsapp.whatsapp_business_account_id` of getConversation: on the reference pages, not in the document; not kept: the document wins",
      );
      expect(await readFile(path.join(dir, "openapi/convai.yaml"), "utf8")).toContain(
        "from: openapi/upstream/published.yaml.gz",
      );
      await rm(outside, { recursive: true, force: true }); // the original is gone: the copy is what counts
      for (const cwd of [dir, path.join(dir, "scripts"), tmpdir()]) {
        const checked = await tsx(cwd, path.join(dir, "scripts/generate.ts"), "--check");
        expect(checked.code, `${cwd}: ${checked.out}`).toBe(0);
      }
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
