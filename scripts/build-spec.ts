/**
 * Builds openapi/convai.yaml, then regenerates src/generated from it.
 *
 *   npm run build:spec                              from the fragments in openapi/source/
 *   npm run build:spec -- --from openapi.json       from a standard OpenAPI 3.x document (JSON or YAML)
 *   npm run build:spec -- --from openapi.json --all keep every operation, not only the eight
 *   npm run build:spec -- --check                   fail if convai.yaml is not what its recorded source builds
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { SpecError } from "./openapi/json.ts";
import { FRAGMENTS_DIR, ROOT, SPEC_FILE, buildFromRecord, readRecord, serializeSpec } from "./openapi/io.ts";
import { writeTypes } from "./generate.ts";

/** Returns the stale file's message, or undefined when convai.yaml is current. */
export async function checkSpec(): Promise<string | undefined> {
  const current = await readFile(path.join(ROOT, SPEC_FILE), "utf8");
  const expected = serializeSpec(await buildFromRecord(readRecord(current)));
  return current === expected
    ? undefined
    : `${SPEC_FILE} is stale: it differs from what its source builds; run npm run build:spec`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { from: { type: "string" }, all: { type: "boolean" }, check: { type: "boolean" } },
  });
  if (values.check) {
    const stale = await checkSpec();
    if (stale) throw new SpecError(stale);
    console.log(`${SPEC_FILE} is up to date`);
    return;
  }
  const from = values.from ? path.relative(ROOT, path.resolve(values.from)) : FRAGMENTS_DIR;
  const doc = await buildFromRecord({ from, ...(values.all ? { all: true } : {}) });
  await writeFile(path.join(ROOT, SPEC_FILE), serializeSpec(doc));
  const paths = Object.keys(doc.paths as object).length;
  console.log(`wrote ${SPEC_FILE} from ${from} (${paths} paths)`);
  await writeTypes(doc);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error(err instanceof SpecError ? `build-spec: ${err.message}` : err);
    process.exit(1);
  });
}
