/**
 * The runtime side of the generated code: a table of the document's operations by operationId,
 * with each one's method, path, the kind of its success body, and what its query and JSON body
 * take (name, type, enum members, bounds, required, array or not). The client calls operations
 * by id through it and checks every query and body against it before a request, so no verb,
 * path or filter name is written by hand, and a filter the API adds works once regenerated.
 */
import type { ValueSpec as CheckedSpec } from "../../src/core/params.ts";
import { METHODS, type Json, type JsonObject, deref, isObject, sortKeys } from "./json.ts";

/**
 * How a success body is read: `object`, JSON the spec documents as an object (an empty or other
 * body is an error); `json`, any JSON or none; `stream`, handed over unread; `empty`, nothing to read.
 */
export type ResponseKind = "object" | "json" | "stream" | "empty";

/**
 * What one parameter (or top-level body field) takes: the shape src/core/params.ts checks
 * against (defined there, once), writable here where it is built.
 */
export type ValueSpec = { -readonly [K in keyof CheckedSpec]: Writable<CheckedSpec[K]> };
type Writable<T> = T extends readonly (infer Item)[] ? Item[] : T;

export interface OperationRow {
  operationId: string;
  method: string;
  path: string;
  response: ResponseKind;
  query: Record<string, ValueSpec>;
  /** Top-level fields of a JSON object body; undefined when the operation takes none. */
  body: Record<string, ValueSpec> | undefined;
}

/** The operations of a built document, sorted by operationId. */
export function operationRows(doc: JsonObject): OperationRow[] {
  const rows: OperationRow[] = [];
  for (const [path, item] of Object.entries(isObject(doc.paths) ? doc.paths : {})) {
    if (!isObject(item)) continue;
    const shared = Array.isArray(item.parameters) ? item.parameters : [];
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op) || typeof op.operationId !== "string") continue;
      rows.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        path,
        response: responseKind(doc, op),
        query: queryOf(doc, [...shared, ...(Array.isArray(op.parameters) ? op.parameters : [])]),
        body: bodyOf(doc, op),
      });
    }
  }
  return rows.sort((a, b) => (a.operationId < b.operationId ? -1 : a.operationId > b.operationId ? 1 : 0));
}

function responseKind(doc: JsonObject, op: JsonObject): ResponseKind {
  const responses = isObject(op.responses) ? op.responses : {};
  const success = Object.keys(responses)
    .filter((code) => /^2\d\d$/.test(code))
    .sort()[0];
  const response = success === undefined ? undefined : deref(doc, responses[success]);
  const content = isObject(response) && isObject(response.content) ? response.content : {};
  const json = Object.keys(content).find((type) => /[/+]json\b/.test(type));
  if (json === undefined) return Object.keys(content).length === 0 ? "empty" : "stream";
  const media = content[json];
  const schema = isObject(media) ? deref(doc, media.schema) : undefined;
  const object = isObject(schema) && (schema.type === "object" || isObject(schema.properties));
  return object ? "object" : "json";
}

function queryOf(doc: JsonObject, parameters: Json[]): Record<string, ValueSpec> {
  const out: Record<string, ValueSpec> = {};
  for (const raw of parameters) {
    const param = deref(doc, raw);
    if (!isObject(param) || param.in !== "query" || typeof param.name !== "string") continue;
    const spec = valueSpec(doc, param.schema);
    // null leaves a query parameter out whatever its schema says (src/core/params.ts): not written.
    delete spec.nullable;
    if (param.required === true) spec.required = true;
    out[param.name] = spec;
  }
  return sortKeys(out);
}

function bodyOf(doc: JsonObject, op: JsonObject): Record<string, ValueSpec> | undefined {
  const body = deref(doc, op.requestBody);
  const content = isObject(body) && isObject(body.content) ? body.content : {};
  const json = Object.keys(content).find((type) => /[/+]json\b/.test(type));
  const media = json === undefined ? undefined : content[json];
  const schema = isObject(media) ? deref(doc, media.schema) : undefined;
  if (!isObject(schema) || !isObject(schema.properties)) return undefined;
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const out: Record<string, ValueSpec> = {};
  for (const [name, property] of Object.entries(schema.properties)) {
    const spec = valueSpec(doc, property);
    if (required.has(name)) spec.required = true;
    out[name] = spec;
  }
  return sortKeys(out);
}

/**
 * What a schema accepts, reduced to what can be checked without a validator: its scalar type
 * (through `$ref`s, `anyOf`/`oneOf` with null, 3.1 type lists), enum members or a `const`,
 * numeric bounds, arrays of such, and whether null is allowed. Anything richer is `any`.
 */
export function valueSpec(doc: JsonObject, raw: Json | undefined): ValueSpec {
  const schema = deref(doc, raw);
  if (!isObject(schema)) return { type: "any" };
  const union = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
  if (union !== undefined) {
    const members = union.map((m) => deref(doc, m));
    const nulls = members.filter((m) => isObject(m) && m.type === "null");
    const rest = members.filter((m) => !nulls.includes(m));
    let spec: ValueSpec;
    if (rest.length === 1) spec = valueSpec(doc, rest[0]);
    else {
      const specs = rest.map((m) => valueSpec(doc, m));
      const enums = specs.every((s) => s.enum !== undefined && !s.array && s.type === specs[0]!.type);
      spec =
        enums && specs.length > 0
          ? { type: specs[0]!.type, enum: [...new Set(specs.flatMap((s) => s.enum!))] }
          : { type: "any" };
    }
    if (nulls.length > 0) spec.nullable = true;
    return spec;
  }
  const types = (Array.isArray(schema.type) ? schema.type : schema.type === undefined ? [] : [schema.type]).map(String);
  const nullable = types.includes("null") || schema.nullable === true;
  const base = types.filter((t) => t !== "null");
  let spec: ValueSpec;
  if (base.length === 1 && base[0] === "array") {
    spec = { ...valueSpec(doc, schema.items), array: true };
    delete spec.nullable;
  } else {
    const values = schema.const !== undefined ? [schema.const] : Array.isArray(schema.enum) ? schema.enum : undefined;
    const members = values?.filter((v): v is string | number | boolean => v !== null && typeof v !== "object");
    const type =
      base.length === 1 && ["string", "integer", "number", "boolean"].includes(base[0]!)
        ? (base[0] as ValueSpec["type"])
        : members !== undefined && members.length > 0 && members.every((m) => typeof m === "string")
          ? "string"
          : "any";
    spec = { type };
    if (members !== undefined && members.length > 0) spec.enum = members;
    if (values?.includes(null)) spec.nullable = true;
    for (const bound of ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"] as const) {
      if (typeof schema[bound] === "number") spec[bound] = schema[bound];
    }
  }
  if (nullable) spec.nullable = true;
  return spec;
}

/**
 * The TypeScript module written to src/generated/operations.ts: one constant per operation, and
 * three tables of them. `OPERATIONS` has every operation (the emulator, the Node helpers and the
 * tests read it); `FACADE_OPERATIONS` only those a facade method calls (`facade`, openapi/build.yaml's
 * `operations`), the client's table, so a bundle of the client leaves the others out; and
 * `STREAM_ROUTES`, what `convai.api` needs of the rest: which requests answer with a stream.
 */
export function operationsModule(doc: JsonObject, facade: readonly string[]): string {
  const literal = (value: unknown): string => {
    if (value === undefined) return "undefined";
    if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
    if (isObject(value as Json)) {
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      const key = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k));
      return entries.length === 0 ? "{}" : `{ ${entries.map(([k, v]) => `${key(k)}: ${literal(v)}`).join(", ")} }`;
    }
    return JSON.stringify(value);
  };
  const all = operationRows(doc);
  // The constant's name: the id with a suffix, so that no id (`delete`, `new`) makes a reserved word.
  const name = (id: string) => `${id}Operation`;
  const constants = all
    .map((r) => {
      const { operationId, ...row } = r;
      const lines = Object.entries(row).map(([k, v]) => `  ${k}: ${literal(v)},`);
      return `const ${name(operationId)} = {\n${lines.join("\n")}\n} as const;\n`;
    })
    .join("\n");
  const table = (rows: OperationRow[]) =>
    `{\n${rows.map((r) => `  ${r.operationId}: ${name(r.operationId)},`).join("\n")}\n} as const`;
  const wanted = new Set(facade);
  const streams = all
    .filter((r) => r.response === "stream")
    .map((r) => {
      // The path template, matched at the end of the URL's path (the base URL may carry a prefix).
      const pattern = `${r.path.replace(/[.*+?^$()|[\]\\/]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/?#]+")}(?:[?#]|$)`;
      return `  { method: ${JSON.stringify(r.method)}, pattern: /${pattern}/ },`;
    });
  return (
    "/**\n * Generated by scripts/generate.ts from openapi/convai.yaml: each operation's method, path and\n" +
    " * success body, and what its query and JSON body take. Do not edit: run `npm run generate`.\n */\n\n" +
    constants +
    "\n/** Every operation of the document, by operationId. */\n" +
    `export const OPERATIONS = ${table(all)};\n\n` +
    "/** The operations a facade method calls (openapi/build.yaml's `operations`): the client's table. */\n" +
    `export const FACADE_OPERATIONS = ${table(all.filter((r) => wanted.has(r.operationId)))};\n\n` +
    "/** The requests answered with a stream (for `convai.api`): the method, and the path template matched at the end of the URL's path. */\n" +
    `export const STREAM_ROUTES: readonly { readonly method: string; readonly pattern: RegExp }[] = [\n${streams.join("\n")}\n];\n\n` +
    "export type OperationId = keyof typeof OPERATIONS;\n" +
    "export type FacadeOperationId = keyof typeof FACADE_OPERATIONS;\n"
  );
}

/** Schema keywords that say nothing about which values are valid: left out of the emulator's schemas. */
const ANNOTATIONS = new Set([
  "title",
  "description",
  "example",
  "examples",
  "discriminator",
  "xml",
  "externalDocs",
  "deprecated",
  "readOnly",
  "writeOnly",
  "$comment",
  "format",
  "contentMediaType",
  "contentEncoding",
]);

/**
 * The JSON Schema (2020-12) of each operation's JSON success body, for the emulator, which shapes
 * what it serves to it (src/testing/state/conform.ts), and for the test that validates what it
 * serves. Components become `$defs`; annotations are left out.
 */
export function responseSchemas(doc: JsonObject): { $defs: JsonObject; operations: JsonObject } {
  const relink = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(relink);
    if (!isObject(node)) return node;
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(node)) {
      if (ANNOTATIONS.has(k) || k.startsWith("x-")) continue;
      if (k === "$ref" && typeof v === "string") out.$ref = v.replace("#/components/schemas/", "#/$defs/");
      else if (k === "properties" && isObject(v))
        out.properties = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, relink(s)]));
      else out[k] = relink(v);
    }
    return out;
  };
  const operations: JsonObject = {};
  for (const [path, item] of Object.entries(isObject(doc.paths) ? doc.paths : {})) {
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op) || typeof op.operationId !== "string" || !isObject(op.responses)) continue;
      const code = Object.keys(op.responses)
        .filter((c) => /^2\d\d$/.test(c))
        .sort()[0];
      const response = code === undefined ? undefined : deref(doc, op.responses[code]);
      const content = isObject(response) && isObject(response.content) ? response.content : {};
      const json = Object.keys(content).find((type) => /[/+]json\b/.test(type));
      const media = json === undefined ? undefined : content[json];
      if (isObject(media) && media.schema !== undefined) operations[op.operationId] = relink(media.schema);
      void path;
    }
  }
  const schemas = isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {};
  const $defs: JsonObject = {};
  for (const [name, schema] of Object.entries(schemas)) $defs[name] = relink(schema);
  return { $defs, operations: sortKeys(operations) };
}

/** The TypeScript module written to src/generated/responses.ts (parsed at load: cheaper to type-check than a literal). */
export function responsesModule(doc: JsonObject): string {
  const text = JSON.stringify(responseSchemas(doc));
  return (
    "/**\n * Generated by scripts/generate.ts from openapi/convai.yaml: the JSON Schema of each operation's\n" +
    " * success body, for the emulator. Do not edit: run `npm run generate`.\n */\n\n" +
    "/** A JSON Schema (2020-12), as far as the emulator reads one. */\n" +
    "export type JsonSchema = boolean | { readonly [keyword: string]: unknown };\n\n" +
    "export const RESPONSES: { readonly $defs: Readonly<Record<string, JsonSchema>>; readonly operations: Readonly<Record<string, JsonSchema>> } =\n" +
    `  /* @__PURE__ */ JSON.parse(${JSON.stringify(text)});\n`
  );
}
