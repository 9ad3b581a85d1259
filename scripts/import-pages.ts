/**
 * Copies the OpenAPI fragments embedded in API reference pages into openapi/source/,
 * one file per page, byte for byte (only the ```yaml blocks are taken).
 *
 *   npm run import:pages -- ../shared/seeds
 *
 * A file may hold several pages (each starts with a "# Title" line); the output name is
 * `<source-file-prefix>-<page-title-slug>.yaml`, so the same page published twice stays two files.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

export interface PageFragment {
  title: string;
  yaml: string;
}

/** Splits a page file into pages and returns each page's embedded OpenAPI YAML block. */
export function extractFragments(text: string): PageFragment[] {
  const out: PageFragment[] = [];
  let title = "";
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith("# ")) title = line.slice(2).trim();
    if (line.trim() !== "```yaml") continue;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i]!.trim() !== "```"; i++) body.push(lines[i]!);
    const yaml = body.join("\n");
    if (/^openapi:\s*3\./m.test(yaml)) out.push({ title, yaml: yaml.endsWith("\n") ? yaml : yaml + "\n" });
  }
  return out;
}

export function slug(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

async function main(): Promise<void> {
  const from = process.argv[2];
  if (!from) {
    console.error("usage: npm run import:pages -- <folder of reference pages>");
    process.exit(2);
  }
  const outDir = path.resolve("openapi/source");
  await mkdir(outDir, { recursive: true });
  for (const name of (await readdir(from)).sort()) {
    if (!name.endsWith(".txt")) continue;
    const prefix = name.split("_")[0]!;
    for (const { title, yaml } of extractFragments(await readFile(path.join(from, name), "utf8"))) {
      const file = `${prefix}-${slug(title)}.yaml`;
      await writeFile(path.join(outDir, file), yaml);
      console.log(`${name} → openapi/source/${file}`);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
