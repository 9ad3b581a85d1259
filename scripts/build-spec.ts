/**
 * Builds openapi/convai.yaml, then regenerates src/generated from it.
 *
 *   npm run build:spec                              from the fragments in openapi/source/
 *   npm run build:spec -- --from openapi.json       from a standard OpenAPI 3.x document (JSON or YAML)
 *   npm run build:spec -- --from openapi.json --all keep every operation, not only the eight
 *   npm run build:spec -- --check                   fail if convai.yaml is not what its recorded source builds
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { FRAGMENTS_DIR, ROOT, SPEC_FILE, buildFromRecord } from "./openapi/io.ts";
import { SpecError } from "./openapi/json.ts";
import { staleSpec, writeGenerated, writeSpec } from "./openapi/outputs.ts";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { from: { type: "string" }, all: { type: "boolean" }, check: { type: "boolean" } },
  });
  if (values.check) {
    const stale = await staleSpec();
    if (stale) throw new SpecError(stale);
    console.log(`${SPEC_FILE} is up to date`);
    return;
  }
  const from = values.from ? path.relative(ROOT, path.resolve(values.from)) : FRAGMENTS_DIR;
  const doc = await buildFromRecord({ from, ...(values.all ? { all: true } : {}) });
  await writeSpec(doc);
  console.log(`wrote ${SPEC_FILE} from ${from} (${Object.keys(doc.paths as object).length} paths)`);
  for (const file of await writeGenerated(doc)) console.log(`wrote ${file}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof SpecError ? `build-spec: ${err.message}` : err);
  process.exit(1);
});
