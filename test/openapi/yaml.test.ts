import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "../../scripts/openapi/io.ts";
import { parseYaml } from "../../scripts/openapi/yaml.ts";

/** Every YAML file the spec pipeline reads, by path from the root. */
async function pipelineYaml(): Promise<string[]> {
  const files: string[] = [];
  for (const dir of ["openapi", "openapi/source", "openapi/asyncapi", "test/fixtures"]) {
    for (const name of (await readdir(path.join(ROOT, dir))).sort())
      if (/\.ya?ml$/.test(name)) files.push(`${dir}/${name}`);
  }
  return files;
}

describe("reading YAML", () => {
  it("reads every file the pipeline reads to the values `yaml` gives", async () => {
    const files = await pipelineYaml();
    expect(files).toContain("openapi/convai.yaml");
    for (const file of files) {
      const text = await readFile(path.join(ROOT, file), "utf8");
      expect(parseYaml(text, file), file).toEqual(parse(text, { maxAliasCount: -1 }));
    }
  });

  it("resolves plain scalars as `yaml`'s core schema does (YAML 1.2), not as YAML 1.1", () => {
    const text = [
      "a: ~",
      "b: null",
      "c:",
      "d: True",
      "e: FALSE",
      "f: yes",
      "g: off",
      "h: 0o17",
      "i: 0x1F",
      "j: 0b101",
      "k: 1_000",
      "l: +12",
      "m: -0.5",
      "n: .5",
      "o: 1e3",
      "p: 1.",
      "q: .inf",
      "r: -.Inf",
      "s: .nan",
      "t: 2026-08-22",
      "u: 0012",
      "v: '12'",
      "w: 12:30",
      "x: NULL",
      "y: Null",
      "z: 1.5E-3",
      "aa: 0o8",
      "ab: 0X1F",
    ].join("\n");
    const expected = parse(text);
    expect(parseYaml(text, "t.yaml")).toEqual(expected);
    expect(expected).toMatchObject({ f: "yes", g: "off", j: "0b101", k: "1_000", t: "2026-08-22", aa: "0o8" });
  });

  it("leaves to `yaml` what js-yaml refuses: tags, and its errors for a duplicate key", () => {
    const tagged = "a: !!str 12\nb: !!binary aGk=\nc: !custom 3\n";
    expect(parseYaml(tagged, "t.yaml")).toEqual(parse(tagged));
    expect(() => parseYaml("a: 1\na: 2\n", "t.yaml")).toThrow(/unique/);
  });
});
