/** File handling of the spec pipeline: reading inputs, writing formatted, deterministic output. */
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { ROOT } from "../lib/root.ts";
import { gunzipSync } from "node:zlib";
import type * as TS from "typescript";
import {
  type BuildConfig,
  type BuildInput,
  type Fragment,
  OVERLAY_FILE,
  buildSpec,
  parseBuildConfig,
} from "./build.ts";
import { type ReliesOn, parseReliesOn } from "./compat.ts";
import { astToString, generate, typescript } from "./generator.ts";
import { recursiveAliases } from "./normalize.ts";
import { markRequestDefaults, optionalRequestDefaults } from "./request-defaults.ts";
import { type Overlay, parseOverlay } from "./overlay.ts";
import { type JsonObject, SpecError, isObject } from "./json.ts";
import { parseYaml, yamlLibrary } from "./yaml.ts";

export { ROOT };
export const SPEC_FILE = "openapi/convai.yaml";
export const BUILD_FILE = "openapi/build.yaml";
export const FRAGMENTS_DIR = "openapi/source";
export const RELIES_ON_FILE = "openapi/relies-on.yaml";

/** Where the checked-in document came from, recorded in it so `--check` can rebuild it. */
export interface BuildRecord {
  from: string;
  all?: boolean;
}

export function parseDocument(text: string, name: string): JsonObject {
  let doc: unknown;
  try {
    doc = name.endsWith(".json") ? JSON.parse(text) : parseYaml(text, name);
  } catch (err) {
    throw new SpecError(`${name}: cannot parse: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new SpecError(`${name}: not a mapping`);
  return doc;
}

export async function loadBuildConfig(root = ROOT): Promise<BuildConfig> {
  const file = path.join(root, BUILD_FILE);
  return parseBuildConfig(parseDocument(await readFile(file, "utf8"), BUILD_FILE), BUILD_FILE);
}

export async function loadOverlay(root = ROOT): Promise<Overlay> {
  return parseOverlay(parseDocument(await readFile(path.join(root, OVERLAY_FILE), "utf8"), OVERLAY_FILE), OVERLAY_FILE);
}

export async function loadReliesOn(root = ROOT): Promise<ReliesOn> {
  const file = path.join(root, RELIES_ON_FILE);
  return parseReliesOn(parseDocument(await readFile(file, "utf8"), RELIES_ON_FILE), RELIES_ON_FILE);
}

export async function readFragments(dir: string): Promise<Fragment[]> {
  const names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  return Promise.all(
    names.map(async (name) => ({ name, doc: parseDocument(await readFile(path.join(dir, name), "utf8"), name) })),
  );
}

/**
 * Builds the document for a record (`openapi/source`, or a standard document's path inside the
 * repository). What the build changed on the way that a reader should know of goes to `notes`.
 */
export async function buildFromRecord(
  record: BuildRecord,
  root = ROOT,
  notes: string[] = [],
  input?: BuildInput,
): Promise<JsonObject> {
  const config = await loadBuildConfig(root);
  const overlay = await loadOverlay(root);
  const doc = buildSpec(input ?? (await readBuildInput(record, root)), config, overlay, notes);
  doc["x-build"] = { ...record };
  return doc;
}

/** What a record names, read and parsed: the fragments, or a standard document (left as published: the build copies it). */
export async function readBuildInput(record: BuildRecord, root = ROOT): Promise<BuildInput> {
  const from = path.resolve(root, record.from);
  if (record.from.replace(/\/$/, "") === FRAGMENTS_DIR)
    return { kind: "fragments", fragments: await readFragments(from) };
  const text = await readDocumentText(from, record.from);
  const name = record.from.replace(/\.gz$/, "");
  return { kind: "standard", name, doc: parseDocument(text, name), all: record.all };
}

/** A document's text; a `.gz` file (as ElevenLabs' document is kept) is gunzipped first. */
export async function readDocumentText(file: string, name = file): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    throw new SpecError(`${name}: cannot read the document`);
  }
  if (!file.endsWith(".gz")) return bytes.toString("utf8");
  try {
    return gunzipSync(bytes).toString("utf8");
  } catch (err) {
    throw new SpecError(`${name}: cannot gunzip: ${(err as Error).message}`);
  }
}

export function readRecord(spec: JsonObject): BuildRecord {
  const record = spec["x-build"];
  if (!isObject(record) || typeof record.from !== "string") {
    throw new SpecError(`${SPEC_FILE} has no x-build record; rebuild it with npm run build:spec`);
  }
  return { from: record.from, ...(record.all === true ? { all: true } : {}) };
}

/**
 * The document as YAML. The `yaml` library's output with these options is already in prettier's
 * style (a test holds it to that, and `prettier --check` runs on the file), so it is not run
 * through prettier: on a large document that took ten times as long as writing it.
 */
export function serializeSpec(doc: JsonObject): string {
  const banner =
    "# Built by scripts/build-spec.ts from the source named in x-build, openapi/build.yaml and openapi/overlay.yaml.\n" +
    "# Do not edit: change those and run `npm run build:spec`.\n";
  return banner + yamlLibrary().stringify(doc, { aliasDuplicateObjects: false, lineWidth: 0 });
}

/**
 * The spec (as its YAML text, or already parsed) → TypeScript. `format: binary` becomes
 * `BinaryBody`, which is `Blob` wherever the program has one (openapi-typescript's documented
 * mapping for binary bodies) instead of `string`, which the body never is. The output is openapi-typescript's own printing, not run through prettier (which
 * ignores src/generated): formatting it cost more than generating it.
 */
export async function generateTypes(spec: string | JsonObject): Promise<string> {
  const doc = typeof spec === "string" ? parseDocument(spec, SPEC_FILE) : structuredClone(spec);
  const ts = typescript();
  markRequestDefaults(doc); // a defaulted field of a request body may be left out
  const nodes = generate(doc, {
    transformProperty: optionalRequestDefaults,
    transform(schema) {
      if (schema.format === "binary") return ts.factory.createTypeReferenceNode("BinaryBody");
      return undefined;
    },
  });
  const recursive = recursiveAliases(doc);
  const printed = recursive.length === 0 ? astToString(nodes) : astToString(hoistRecursiveAliases(nodes, recursive));
  const banner =
    "/**\n * Generated by scripts/generate.ts from openapi/convai.yaml with openapi-typescript.\n" +
    " * Do not edit: run `npm run generate`.\n */\n\n";
  // Not `Blob` by name: the types entry must compile without the DOM or Node's globals.
  const binary =
    "\n/** A binary body (the recording): `Blob` where the program's types have one (DOM, Node), else `unknown`. */\n" +
    "export type BinaryBody = typeof globalThis extends { Blob: { prototype: infer B } } ? B : unknown;\n";
  return banner + printed + binary;
}

/**
 * openapi-typescript prints a component as a property of the `components` interface, and refers
 * to components as `components["schemas"]["X"]`. A union that contains itself through an array or
 * a bare reference is then a property whose type needs itself first (TS2502). Such components
 * (`recursiveAliases`) are printed instead as top-level type aliases, which TypeScript lets
 * recurse, each naming the others of its cycle directly; the property refers to the alias.
 */
function hoistRecursiveAliases(nodes: TS.Node[], names: string[]): TS.Node[] {
  const ts = typescript();
  const f = ts.factory;
  const printer = ts.createPrinter();
  const file = ts.createSourceFile("schema.ts", "", ts.ScriptTarget.Latest);
  const taken = new Set<string>();
  const aliasOf = new Map<string, string>();
  for (const name of names) {
    const base = `Recursive${name.replace(/[^A-Za-z0-9_$]+(.)?/g, (_, c: string | undefined) => (c ?? "").toUpperCase())}`;
    let alias = base;
    for (let n = 2; taken.has(alias); n++) alias = `${base}${n}`;
    taken.add(alias);
    aliasOf.set(`components["schemas"][${JSON.stringify(name)}]`, alias);
  }
  const bodies = new Map<string, TS.TypeNode>();
  /** Replaces each `components["schemas"]["X"]` of the cycle by its alias. */
  const relink = <T extends TS.Node>(node: T): T =>
    ts.transform(node, [
      (context) => (root) => {
        const visit = (n: TS.Node): TS.Node => {
          if (ts.isIndexedAccessTypeNode(n)) {
            const alias = aliasOf.get(printer.printNode(ts.EmitHint.Unspecified, n, file));
            if (alias !== undefined) return f.createTypeReferenceNode(alias);
          }
          return ts.visitEachChild(n, visit, context);
        };
        return ts.visitNode(root, visit) as T;
      },
    ]).transformed[0]!;
  const out = nodes.map((node) => {
    if (!ts.isInterfaceDeclaration(node) || node.name.text !== "components") return node;
    const members = node.members.map((member) => {
      if (!ts.isPropertySignature(member) || !member.type || !ts.isTypeLiteralNode(member.type)) return member;
      if (!ts.isIdentifier(member.name) || member.name.text !== "schemas") return member;
      const schemas = member.type.members.map((schema) => {
        if (!ts.isPropertySignature(schema) || !schema.type) return schema;
        const name = ts.isIdentifier(schema.name) || ts.isStringLiteral(schema.name) ? schema.name.text : undefined;
        const alias = name === undefined ? undefined : aliasOf.get(`components["schemas"][${JSON.stringify(name)}]`);
        if (alias === undefined) return schema;
        bodies.set(alias, relink(schema.type));
        return f.updatePropertySignature(
          schema,
          schema.modifiers,
          schema.name,
          schema.questionToken,
          f.createTypeReferenceNode(alias),
        );
      });
      return f.updatePropertySignature(
        member,
        member.modifiers,
        member.name,
        member.questionToken,
        f.updateTypeLiteralNode(member.type, f.createNodeArray(schemas)),
      );
    });
    return f.updateInterfaceDeclaration(
      node,
      node.modifiers,
      node.name,
      node.typeParameters,
      node.heritageClauses,
      members,
    );
  });
  for (const [alias, body] of bodies) {
    out.push(f.createTypeAliasDeclaration([f.createModifier(ts.SyntaxKind.ExportKeyword)], alias, undefined, body));
  }
  return out;
}
