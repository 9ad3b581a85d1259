/**
 * Builds openapi/convai.yaml, then regenerates src/generated from it. Before writing anything it
 * prints the compatibility report (scripts/openapi/compat.ts): what the new document lacks that
 * the package relies on, and what it removes or adds; a missing `required` piece stops it.
 *
 *   npm run build:spec                              from the fragments in openapi/source/
 *   npm run build:spec -- --from openapi.json       from a standard OpenAPI 3.x document (JSON or YAML)
 *   npm run build:spec -- --from openapi.json --all keep every operation, not only the eight
 *
 * A document from outside the repository is copied to openapi/upstream/ first, and that copy is
 * what x-build records: `npm run generate -- --check` (the one check of the spec and of what it
 * generates) must rebuild the same bytes on any clone, from any directory.
 */
import { copyFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { compatibility } from "./openapi/compat.ts";
import {
  FRAGMENTS_DIR,
  RELIES_ON_FILE,
  ROOT,
  SPEC_FILE,
  buildFromRecord,
  loadReliesOn,
  parseDocument,
} from "./openapi/io.ts";
import { SpecError } from "./openapi/json.ts";
import { writeGenerated, writeSpec } from "./openapi/outputs.ts";

const UPSTREAM_DIR = "openapi/upstream";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { from: { type: "string" }, all: { type: "boolean" } },
  });
  const from = values.from ? await inRepository(values.from) : FRAGMENTS_DIR;
  const notes: string[] = [];
  const doc = await buildFromRecord({ from, ...(values.all ? { all: true } : {}) }, ROOT, notes);
  const previous = await readFile(path.join(ROOT, SPEC_FILE), "utf8").then(
    (text) => parseDocument(text, SPEC_FILE),
    () => undefined,
  );
  const relies = await loadReliesOn();
  const report = compatibility(doc, previous, relies);
  for (const note of notes) console.log(`note: ${note}`);
  if (report.lines.length > 0) {
    console.log(
      `compatibility with what the package relies on (${RELIES_ON_FILE}) and with the ${SPEC_FILE} it replaces:`,
    );
    for (const line of report.lines) console.log(`  - ${line}`);
  }
  if (report.fatal) {
    throw new SpecError(`the new document lacks what the package cannot work without (above); nothing was written`);
  }
  await writeSpec(doc);
  console.log(`wrote ${SPEC_FILE} from ${from} (${Object.keys(doc.paths as object).length} paths)`);
  for (const file of await writeGenerated(doc)) console.log(`wrote ${file}`);
}

/** The input's path from the repository's root, copying it into openapi/upstream/ when it lives elsewhere. */
async function inRepository(input: string): Promise<string> {
  const absolute = path.resolve(input);
  const relative = path.relative(ROOT, absolute);
  if (!relative.startsWith("..") && !path.isAbsolute(relative)) return relative.split(path.sep).join("/");
  const target = path.join(UPSTREAM_DIR, path.basename(absolute));
  await mkdir(path.join(ROOT, UPSTREAM_DIR), { recursive: true });
  await copyFile(absolute, path.join(ROOT, target));
  console.log(`copied ${input} to ${target}, so the build can be checked on any clone`);
  return target;
}

main().catch((err: unknown) => {
  console.error(err instanceof SpecError ? `build-spec: ${err.message}` : err);
  process.exit(1);
});
