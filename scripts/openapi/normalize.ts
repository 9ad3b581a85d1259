/**
 * The normalizer of a standard document: what a published OpenAPI 3.x document carries that is not
 * OpenAPI, or that the generator reads differently from the wire.
 *
 * - Keywords: every object is walked by its kind (document, path item, operation, parameter,
 *   schema, …) and keeps only the fields OpenAPI 3.1 (and, for schemas, JSON Schema 2020-12) gives
 *   that kind, plus `x-` extensions. Everything else (`embed: true` on parameters, `optional`,
 *   `max_items` or a stray `name` in a schema) is removed, each removal noted with where it stood.
 *   An allow-list, not a list of what was seen: the next stray keyword goes the same way.
 * - Open records: `type: object` with no properties and no `additionalProperties` takes any keys
 *   (JSON Schema's meaning); openapi-typescript would type it `Record<string, never>`, so it gets
 *   `additionalProperties: true`.
 * - OpenAPI 3.0 `nullable: true` (a 3.1 document may still carry it) is written the 3.1 way.
 *
 * Recursive unions are the type generator's concern: see `recursiveAliases` and io.ts.
 */
import { METHODS, type Json, type JsonObject, isObject, pointer } from "./json.ts";

const SCHEMA_KEYS = new Set([
  // JSON Schema 2020-12: core, applicator, validation, unevaluated, format, content, meta-data.
  "$schema",
  "$id",
  "$ref",
  "$anchor",
  "$dynamicRef",
  "$dynamicAnchor",
  "$defs",
  "$comment",
  "$vocabulary",
  "allOf",
  "anyOf",
  "oneOf",
  "not",
  "if",
  "then",
  "else",
  "dependentSchemas",
  "prefixItems",
  "items",
  "contains",
  "properties",
  "patternProperties",
  "additionalProperties",
  "propertyNames",
  "unevaluatedItems",
  "unevaluatedProperties",
  "type",
  "enum",
  "const",
  "multipleOf",
  "maximum",
  "exclusiveMaximum",
  "minimum",
  "exclusiveMinimum",
  "maxLength",
  "minLength",
  "pattern",
  "maxItems",
  "minItems",
  "uniqueItems",
  "maxContains",
  "minContains",
  "maxProperties",
  "minProperties",
  "required",
  "dependentRequired",
  "format",
  "contentEncoding",
  "contentMediaType",
  "contentSchema",
  "title",
  "description",
  "default",
  "deprecated",
  "readOnly",
  "writeOnly",
  "examples",
  // OpenAPI 3.1 §4.8.24: the Schema Object's own fields.
  "discriminator",
  "xml",
  "externalDocs",
  "example",
]);

/** Schema keywords whose value is one subschema / a map of them / a list of them. */
const ONE_SCHEMA = [
  "items",
  "additionalProperties",
  "not",
  "if",
  "then",
  "else",
  "contains",
  "propertyNames",
  "unevaluatedItems",
  "unevaluatedProperties",
  "contentSchema",
];
const SCHEMA_MAPS = ["properties", "patternProperties", "$defs", "dependentSchemas"];
const SCHEMA_LISTS = ["allOf", "anyOf", "oneOf", "prefixItems"];

const FIELDS = {
  document: [
    "openapi",
    "info",
    "jsonSchemaDialect",
    "servers",
    "paths",
    "webhooks",
    "components",
    "security",
    "tags",
    "externalDocs",
  ],
  pathItem: ["$ref", "summary", "description", ...METHODS, "servers", "parameters"],
  operation: [
    "tags",
    "summary",
    "description",
    "externalDocs",
    "operationId",
    "parameters",
    "requestBody",
    "responses",
    "callbacks",
    "deprecated",
    "security",
    "servers",
  ],
  parameter: [
    "$ref",
    "name",
    "in",
    "description",
    "required",
    "deprecated",
    "allowEmptyValue",
    "style",
    "explode",
    "allowReserved",
    "schema",
    "example",
    "examples",
    "content",
  ],
  header: [
    "$ref",
    "description",
    "required",
    "deprecated",
    "allowEmptyValue",
    "style",
    "explode",
    "allowReserved",
    "schema",
    "example",
    "examples",
    "content",
  ],
  requestBody: ["$ref", "description", "content", "required"],
  response: ["$ref", "description", "headers", "content", "links"],
  mediaType: ["schema", "example", "examples", "encoding"],
  components: [
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "callbacks",
    "pathItems",
  ],
} satisfies Record<string, string[]>;

type Kind = keyof typeof FIELDS;
const ALLOWED = Object.fromEntries(Object.entries(FIELDS).map(([k, v]) => [k, new Set(v)])) as Record<
  Kind,
  Set<string>
>;

/** One removal: the keyword and the JSON Pointer of the object it stood in. */
export interface Removal {
  key: string;
  at: string;
}

/** What `normalizeObjects` changed, each with the JSON Pointer of where. */
export interface Normalized {
  /** Fields an object of its kind cannot have, removed (in document order). */
  removed: Removal[];
  /** Object schemas that said nothing of their keys, now `additionalProperties: true`. */
  opened: string[];
  /** OpenAPI 3.0 `nullable: true` rewritten the 3.1 way. */
  nullable: string[];
}

/**
 * Walks the document by the kind of each object and, in place: removes every field that kind
 * cannot have (`x-` extensions stay); in schemas, rewrites `nullable: true` the 3.1 way and opens
 * object schemas that say nothing of their keys. Examples are data and are not walked.
 */
export function normalizeObjects(doc: JsonObject): Normalized {
  const result: Normalized = { removed: [], opened: [], nullable: [] };
  const keep = (node: JsonObject, allowed: Set<string>, at: (string | number)[]) => {
    for (const key of Object.keys(node)) {
      if (allowed.has(key) || key.startsWith("x-")) continue;
      delete node[key];
      result.removed.push({ key, at: pointer(at) });
    }
  };
  const each = (map: Json | undefined, at: (string | number)[], fn: (node: Json, at: (string | number)[]) => void) => {
    if (isObject(map)) for (const [k, v] of Object.entries(map)) fn(v, [...at, k]);
  };
  const schema = (node: Json | undefined, at: (string | number)[]): void => {
    if (!isObject(node)) return; // `true`/`false` schemas, or a wrong value the lint reports
    if ("nullable" in node) {
      if (node.nullable === true) result.nullable.push(pointer(at));
      const { nullable, ...rest } = node;
      for (const k of Object.keys(node)) delete node[k];
      Object.assign(node, nullable === true ? nullableOf(rest) : rest);
    }
    keep(node, SCHEMA_KEYS, at);
    if (saysNothingAboutKeys(node)) {
      node.additionalProperties = true;
      result.opened.push(pointer(at));
    }
    for (const k of ONE_SCHEMA) schema(node[k], [...at, k]);
    for (const k of SCHEMA_MAPS) each(node[k], [...at, k], schema);
    for (const k of SCHEMA_LISTS) {
      const list = node[k];
      if (Array.isArray(list)) list.forEach((s, i) => schema(s, [...at, k, i]));
    }
  };
  const content = (node: Json | undefined, at: (string | number)[]) =>
    each(node, at, (media, where) => {
      if (!isObject(media)) return;
      keep(media, ALLOWED.mediaType, where);
      schema(media.schema, [...where, "schema"]);
    });
  const parameterLike = (kind: "parameter" | "header") => (node: Json, at: (string | number)[]) => {
    if (!isObject(node)) return;
    keep(node, ALLOWED[kind], at);
    schema(node.schema, [...at, "schema"]);
    content(node.content, [...at, "content"]);
  };
  const parameter = parameterLike("parameter");
  const header = parameterLike("header");
  const requestBody = (node: Json | undefined, at: (string | number)[]) => {
    if (!isObject(node)) return;
    keep(node, ALLOWED.requestBody, at);
    content(node.content, [...at, "content"]);
  };
  const response = (node: Json, at: (string | number)[]) => {
    if (!isObject(node)) return;
    keep(node, ALLOWED.response, at);
    each(node.headers, [...at, "headers"], header);
    content(node.content, [...at, "content"]);
  };
  const pathItem = (node: Json, at: (string | number)[]) => {
    if (!isObject(node)) return;
    keep(node, ALLOWED.pathItem, at);
    const params = node.parameters;
    if (Array.isArray(params)) params.forEach((p, i) => parameter(p, [...at, "parameters", i]));
    for (const method of METHODS) {
      const op = node[method];
      if (!isObject(op)) continue;
      const where = [...at, method];
      keep(op, ALLOWED.operation, where);
      if (Array.isArray(op.parameters)) op.parameters.forEach((p, i) => parameter(p, [...where, "parameters", i]));
      requestBody(op.requestBody, [...where, "requestBody"]);
      each(op.responses, [...where, "responses"], response);
      each(op.callbacks, [...where, "callbacks"], (cb, w) => each(cb, w, pathItem));
    }
  };
  keep(doc, ALLOWED.document, []);
  each(doc.paths, ["paths"], pathItem);
  each(doc.webhooks, ["webhooks"], pathItem);
  const components = doc.components;
  if (isObject(components)) {
    keep(components, ALLOWED.components, ["components"]);
    each(components.schemas, ["components", "schemas"], schema);
    each(components.parameters, ["components", "parameters"], parameter);
    each(components.headers, ["components", "headers"], header);
    each(components.responses, ["components", "responses"], response);
    each(components.requestBodies, ["components", "requestBodies"], requestBody);
    each(components.pathItems, ["components", "pathItems"], pathItem);
  }
  return result;
}

/** The notes a reader gets for what `normalizeObjects` changed: one line per keyword, naming every place. */
export function normalizeNotes(changes: Normalized): string[] {
  const byKey = new Map<string, string[]>();
  for (const r of changes.removed) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r.at]);
  const notes = [...byKey].map(
    ([key, places]) =>
      `removed the non-standard keyword \`${key}\` (${count(places.length, "place")}): ${places.join(", ")}`,
  );
  if (changes.nullable.length > 0)
    notes.push(`rewrote \`nullable: true\` the OpenAPI 3.1 way (${count(changes.nullable.length, "schema")})`);
  if (changes.opened.length > 0)
    notes.push(
      `object schemas without properties take any keys (additionalProperties: true): ${changes.opened.join(", ")}`,
    );
  return notes;
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

/** Whether a schema is an object type that says nothing about its keys. */
function saysNothingAboutKeys(schema: JsonObject): boolean {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (!types.includes("object")) return false;
  if (isObject(schema.properties) && Object.keys(schema.properties).length > 0) return false;
  const says = [
    "additionalProperties",
    "patternProperties",
    "unevaluatedProperties",
    "$ref",
    "allOf",
    "anyOf",
    "oneOf",
  ];
  return says.every((k) => schema[k] === undefined);
}

/** A 3.0 schema with `nullable: true` (already taken off), as 3.1 says it. */
function nullableOf(rest: JsonObject): JsonObject {
  if (typeof rest.type === "string") {
    const typed: JsonObject = { ...rest, type: [rest.type, "null"] };
    if (Array.isArray(rest.enum) && !rest.enum.includes(null)) typed.enum = [...rest.enum, null];
    return typed;
  }
  if (Array.isArray(rest.type)) return rest.type.includes("null") ? rest : { ...rest, type: [...rest.type, "null"] };
  return { anyOf: [rest, { type: "null" }] };
}

/**
 * The component schemas that openapi-typescript would turn into an alias referring to itself
 * (TS2502): those on a cycle of references through positions it prints eagerly (the schema
 * itself, a `$ref`, the members of `anyOf`/`oneOf`/`allOf`, array `items`). A reference from
 * an object's properties is printed as an object type, which may recurse, so it is no edge.
 */
export function recursiveAliases(doc: JsonObject): string[] {
  const schemas =
    isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : ({} as JsonObject);
  const prefix = "#/components/schemas/";
  const edges = new Map<string, Set<string>>();
  const eager = (node: Json | undefined, out: Set<string>) => {
    if (!isObject(node)) return;
    if (typeof node.$ref === "string" && node.$ref.startsWith(prefix))
      out.add(componentName(node.$ref.slice(prefix.length)));
    for (const k of ["anyOf", "oneOf", "allOf", "prefixItems"]) {
      const list = node[k];
      if (Array.isArray(list)) for (const m of list) eager(m, out);
    }
    eager(node.items, out);
  };
  for (const [name, schema] of Object.entries(schemas)) {
    const out = new Set<string>();
    eager(schema, out);
    edges.set(name, out);
  }
  // A name is on a cycle when it reaches itself.
  const onCycle: string[] = [];
  for (const name of edges.keys()) {
    const seen = new Set<string>();
    const stack = [...(edges.get(name) ?? [])];
    while (stack.length) {
      const next = stack.pop()!;
      if (next === name) {
        onCycle.push(name);
        break;
      }
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(edges.get(next) ?? []));
    }
  }
  return onCycle.sort();
}

/** A component name from the last token of its JSON Pointer. */
function componentName(token: string): string {
  return decodeURIComponent(token).replace(/~1/g, "/").replace(/~0/g, "~");
}
