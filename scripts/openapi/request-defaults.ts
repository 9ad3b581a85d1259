/**
 * Defaulted fields of request bodies are optional in the generated types.
 *
 * openapi-typescript (`defaultNonNullable`, on by default) types a property that has a `default`
 * as present, which is right for a response (the server fills the default in) and wrong for a
 * request (the server fills it in only when the caller leaves it out). It exempts schemas written
 * inline under `requestBody`, not the component schemas a body refers to, which is how every body
 * of the published document is written. Turning the option off would make every defaulted
 * response field optional too; instead, the properties of the schemas that only request bodies
 * reach get their `?` back here, where the types are generated. A schema that responses reach as
 * well keeps the response's reading.
 */
import type * as TS from "typescript";
import { typescript } from "./generator.ts";
import { type Json, type JsonObject, isObject, reachedRefs } from "./json.ts";

/** The key marking a property to print optional (in the copy of the document given to openapi-typescript only). */
const MARK = "x-convai-request-default";

/** Marks, below `schema`, each property that has a default and is not required. */
function mark(schema: Json | undefined, seen: Set<JsonObject>): number {
  if (!isObject(schema) || seen.has(schema)) return 0;
  seen.add(schema);
  let count = 0;
  const required = Array.isArray(schema.required) ? schema.required : [];
  if (isObject(schema.properties)) {
    for (const [name, property] of Object.entries(schema.properties)) {
      if (isObject(property) && property.default !== undefined && !required.includes(name)) {
        property[MARK] = true;
        count++;
      }
      count += mark(property, seen);
    }
  }
  for (const key of ["items", "additionalProperties", "not"]) count += mark(schema[key], seen);
  for (const key of ["anyOf", "oneOf", "allOf", "prefixItems"]) {
    const list = schema[key];
    if (Array.isArray(list)) for (const member of list) count += mark(member, seen);
  }
  return count;
}

/**
 * Marks `doc` (a copy, changed in place) so that `optionalRequestDefaults` prints each defaulted,
 * not required property of a request-only component schema with `?`. Returns how many it marked.
 *
 * @example
 * const doc = structuredClone(spec);
 * markRequestDefaults(doc);
 * await openapiTS(doc, { transformProperty: optionalRequestDefaults });
 */
export function markRequestDefaults(doc: JsonObject): number {
  const components = isObject(doc.components) ? doc.components : {};
  const schemas = isObject(components.schemas) ? components.schemas : {};
  const operations = Object.values(isObject(doc.paths) ? doc.paths : {}).flatMap((item) =>
    isObject(item) ? Object.values(item).filter(isObject) : [],
  );
  const SCHEMA = "#/components/schemas/";
  const schemasReached = (roots: (Json | undefined)[]) =>
    new Set(
      [...reachedRefs(doc, roots)].filter((ref) => ref.startsWith(SCHEMA)).map((ref) => ref.slice(SCHEMA.length)),
    );
  const requests = schemasReached([...operations.map((o) => o.requestBody), components.requestBodies]);
  // A parameter's schema is not a body: left as the responses' are.
  const responses = schemasReached([...operations.flatMap((o) => [o.responses, o.parameters]), components.responses]);
  const seen = new Set<JsonObject>();
  let count = 0;
  for (const name of requests) if (!responses.has(name)) count += mark(schemas[name], seen);
  return count;
}

/** openapi-typescript's `transformProperty`: a property `markRequestDefaults` marked is printed optional. */
export function optionalRequestDefaults(property: TS.PropertySignature, schema: unknown): TS.PropertySignature {
  if (!isObject(schema) || schema[MARK] !== true) return property;
  const ts = typescript();
  return ts.factory.updatePropertySignature(
    property,
    property.modifiers,
    property.name,
    ts.factory.createToken(ts.SyntaxKind.QuestionToken),
    property.type,
  );
}
