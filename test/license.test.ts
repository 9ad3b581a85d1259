/** The license the package is published under. */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";

describe("the license", () => {
  it("is MIT, as package.json says", async () => {
    const root = path.resolve(import.meta.dirname, "..");
    const pkg = JSON.parse(await readFile(path.join(root, "package.json"), "utf8")) as { license: string };
    expect(pkg.license).toBe("MIT");
    expect(await readFile(path.join(root, "LICENSE"), "utf8")).toMatch(/^MIT License\n/);
  });
});
