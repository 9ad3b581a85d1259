/**
 * What the pipeline writes and how it knows that what is checked in is current: the spec
 * (openapi/convai.yaml) and the generated code (src/generated/), each rebuilt from its input and
 * compared byte for byte by `--check`.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { type JsonObject } from "./json.ts";
import {
  ROOT,
  SPEC_FILE,
  buildFromRecord,
  loadBuildConfig,
  generateTypes,
  parseDocument,
  readRecord,
  serializeSpec,
} from "./io.ts";
import { ASYNCAPI_FILE, MONITOR_FILE, monitorModule } from "./asyncapi.ts";
import { operationsModule, responsesModule } from "./operations.ts";

export const TYPES_FILE = "src/generated/schema.ts";
export const OPERATIONS_FILE = "src/generated/operations.ts";
export const RESPONSES_FILE = "src/generated/responses.ts";

/** Every generated file for a spec (its YAML text, or already parsed), by path from the root. */
export async function generatedFiles(spec: string | JsonObject, root = ROOT): Promise<Map<string, string>> {
  const doc = typeof spec === "string" ? parseDocument(spec, SPEC_FILE) : spec;
  const asyncapi = parseDocument(await readFile(path.join(root, ASYNCAPI_FILE), "utf8"), ASYNCAPI_FILE);
  const facade = (await loadBuildConfig(root)).operations.map((o) => o.operationId);
  return new Map([
    [TYPES_FILE, await generateTypes(doc)],
    [OPERATIONS_FILE, operationsModule(doc, facade)],
    [RESPONSES_FILE, responsesModule(doc)],
    [MONITOR_FILE, await monitorModule(asyncapi)],
  ]);
}

/** Writes the generated files for `doc` (the document just built), or for openapi/convai.yaml as it is on disk. */
export async function writeGenerated(doc?: JsonObject, root = ROOT): Promise<string[]> {
  const files = await generatedFiles(doc ?? (await readFile(path.join(root, SPEC_FILE), "utf8")), root);
  for (const [file, text] of files) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  return [...files.keys()];
}

/** Writes the spec just built to openapi/convai.yaml. */
export async function writeSpec(doc: JsonObject, root = ROOT): Promise<void> {
  await writeFile(path.join(root, SPEC_FILE), serializeSpec(doc));
}

/** openapi/convai.yaml as checked in: its text, and the document parsed from it. */
async function checkedInSpec(root: string): Promise<{ text: string; doc: JsonObject }> {
  const text = await readFile(path.join(root, SPEC_FILE), "utf8");
  return { text, doc: parseDocument(text, SPEC_FILE) };
}

/** Returns the stale spec's message, or undefined when convai.yaml is what its recorded source builds. */
export async function staleSpec(root = ROOT, spec?: { text: string; doc: JsonObject }): Promise<string | undefined> {
  const { text, doc } = spec ?? (await checkedInSpec(root));
  const expected = serializeSpec(await buildFromRecord(readRecord(doc), root));
  return text === expected
    ? undefined
    : `${SPEC_FILE} is stale: it differs from what its source builds; run npm run build:spec`;
}

/** One message per stale file: the spec against its source, each generated file against the spec. */
export async function staleFiles(root = ROOT): Promise<string[]> {
  const stale: string[] = [];
  const spec = await checkedInSpec(root);
  const specStale = await staleSpec(root, spec);
  if (specStale) stale.push(specStale);
  for (const [file, expected] of await generatedFiles(spec.doc, root)) {
    const current = await readFile(path.join(root, file), "utf8").catch(() => "");
    if (current !== expected)
      stale.push(`${file} is stale: it differs from what ${SPEC_FILE} generates; run npm run generate`);
  }
  return stale;
}
