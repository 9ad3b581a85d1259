/**
 * openapi/convai.yaml → src/generated/schema.ts (openapi-typescript).
 *
 *   npm run generate               write the types
 *   npm run generate -- --check    exit 1, naming the file, when convai.yaml or the types are stale
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { type JsonObject, SpecError } from "./openapi/json.ts";
import { ROOT, SPEC_FILE, TYPES_FILE, generateTypes } from "./openapi/io.ts";

/** Writes the types for `doc` (the document just built), or for openapi/convai.yaml as it is on disk. */
export async function writeTypes(doc?: JsonObject): Promise<void> {
  const out = await generateTypes(doc ?? (await readFile(path.join(ROOT, SPEC_FILE), "utf8")));
  await mkdir(path.dirname(path.join(ROOT, TYPES_FILE)), { recursive: true });
  await writeFile(path.join(ROOT, TYPES_FILE), out);
  console.log(`wrote ${TYPES_FILE}`);
}

async function check(): Promise<string[]> {
  const { checkSpec } = await import("./build-spec.ts");
  const stale: string[] = [];
  const specStale = await checkSpec();
  if (specStale) stale.push(specStale);
  const expected = await generateTypes(await readFile(path.join(ROOT, SPEC_FILE), "utf8"));
  const current = await readFile(path.join(ROOT, TYPES_FILE), "utf8").catch(() => "");
  if (current !== expected)
    stale.push(`${TYPES_FILE} is stale: it differs from what ${SPEC_FILE} generates; run npm run generate`);
  return stale;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { check: { type: "boolean" } } });
  if (!values.check) return writeTypes();
  const stale = await check();
  if (stale.length) throw new SpecError(stale.join("\n"));
  console.log(`${SPEC_FILE} and ${TYPES_FILE} are up to date`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error(err instanceof SpecError ? `generate: ${err.message}` : err);
    process.exit(1);
  });
}
