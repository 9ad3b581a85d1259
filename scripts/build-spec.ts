/**
 * Builds openapi/convai.yaml, then regenerates src/generated from it. Before writing anything it
 * prints the compatibility report (scripts/openapi/compat.ts): what the new document lacks that
 * the package relies on, and what it removes or adds; a missing `required` piece stops it. From a
 * published document it also prints what the reference pages have that the document lacks, and
 * where they disagree (scripts/openapi/pages.ts).
 *
 *   npm run build:spec                              from the fragments in openapi/source/
 *   npm run build:spec -- --from openapi.json       from a standard OpenAPI 3.x document (JSON or YAML)
 *   npm run build:spec -- --from openapi.json --all keep every operation, not only the eight
 *
 * A document from outside the repository is copied to openapi/upstream/ first, and that copy is
 * what x-build records: `npm run generate -- --check` (the one check of the spec and of what it
 * generates) must rebuild the same bytes on any clone, from any directory.
 */
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { compatibility } from "./openapi/compat.ts";
import {
  FRAGMENTS_DIR,
  RELIES_ON_FILE,
  ROOT,
  SPEC_FILE,
  buildFromRecord,
  loadBuildConfig,
  loadReliesOn,
  parseDocument,
  readBuildInput,
  readDocumentText,
  readFragments,
} from "./openapi/io.ts";
import { mergeFragments } from "./openapi/build.ts";
import { comparePages } from "./openapi/pages.ts";
import { type JsonObject, SpecError } from "./openapi/json.ts";
import { writeGenerated, writeSpec } from "./openapi/outputs.ts";

const UPSTREAM_DIR = "openapi/upstream";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { from: { type: "string" }, all: { type: "boolean" } },
  });
  const given = values.from === undefined ? undefined : path.resolve(values.from);
  const inside = given === undefined ? FRAGMENTS_DIR : inRepository(given);
  const notes: string[] = [];
  // A document from outside is built where it is; it is copied in only once the report allows it.
  const all: { all?: true } = values.all ? { all: true } : {};
  const record = { from: inside ?? given!, ...all };
  const input = await readBuildInput(record);
  const doc = await buildFromRecord(record, ROOT, notes, input);
  const previous = await readFile(path.join(ROOT, SPEC_FILE), "utf8").then(
    (text) => parseDocument(text, SPEC_FILE),
    () => undefined,
  );
  const relies = await loadReliesOn();
  const report = compatibility(doc, previous, relies, (await loadBuildConfig()).keepUnder);
  for (const note of notes) console.log(`note: ${note}`);
  if (report.lines.length > 0) {
    console.log(
      `compatibility with what the package relies on (${RELIES_ON_FILE}) and with the ${SPEC_FILE} it replaces:`,
    );
    for (const line of report.lines) console.log(`  - ${line}`);
  }
  if (input.kind === "standard") await printPagesComparison(input.doc, doc);
  if (report.fatal) {
    throw new SpecError(`the new document lacks what the package cannot work without (above); nothing was written`);
  }
  let from = inside;
  if (from === undefined) {
    from = await copyIn(given!);
    doc["x-build"] = { from, ...all } as JsonObject;
  }
  await writeSpec(doc);
  console.log(`wrote ${SPEC_FILE} from ${from} (${Object.keys(doc.paths as object).length} paths)`);
  for (const file of await writeGenerated(doc)) console.log(`wrote ${file}`);
}

/**
 * What the reference pages (openapi/source/) document and the published document lacks, and where
 * the two disagree (scripts/openapi/pages.ts). Information only: pages that cannot be read are
 * said so, and the build goes on.
 */
async function printPagesComparison(published: JsonObject, built: JsonObject): Promise<void> {
  let lines: string[];
  try {
    const pages = mergeFragments(await readFragments(path.join(ROOT, FRAGMENTS_DIR)), await loadBuildConfig());
    lines = comparePages(pages, published, built);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    console.log(`note: the reference pages (${FRAGMENTS_DIR}/) were not compared: ${err.message}`);
    return;
  }
  if (lines.length === 0) return;
  console.log(`the reference pages (${FRAGMENTS_DIR}/) against the document, where they differ:`);
  for (const line of lines) console.log(`  - ${line}`);
}

/** The input's path from the repository's root, or undefined when it lives elsewhere. */
function inRepository(absolute: string): string | undefined {
  const relative = path.relative(ROOT, absolute);
  if (relative.startsWith("..") || path.isAbsolute(relative)) return undefined;
  return relative.split(path.sep).join("/");
}

/**
 * Copies a document from outside the repository into openapi/upstream/, gzipped (a published
 * document is megabytes of one-line JSON; no formatter reads a `.gz`), and removes the copy it
 * replaces. Returns the copy's path from the root, which the spec records.
 */
async function copyIn(absolute: string): Promise<string> {
  const name = path.basename(absolute).replace(/\.gz$/, "");
  const target = `${UPSTREAM_DIR}/${name}.gz`;
  const text = await readDocumentText(absolute, absolute);
  await mkdir(path.join(ROOT, UPSTREAM_DIR), { recursive: true });
  for (const old of await readdir(path.join(ROOT, UPSTREAM_DIR))) {
    if (old !== `${name}.gz`) await rm(path.join(ROOT, UPSTREAM_DIR, old), { force: true });
  }
  // mtime 0 in the header: the same document gives the same bytes.
  await writeFile(path.join(ROOT, target), gzipSync(Buffer.from(text, "utf8"), { level: 9 }));
  console.log(`copied ${absolute} to ${target}, so the build can be checked on any clone`);
  return target;
}

main().catch((err: unknown) => {
  console.error(err instanceof SpecError ? `build-spec: ${err.message}` : err);
  process.exit(1);
});
