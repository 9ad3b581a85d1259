/**
 * What the emulator serves follows the spec it was generated from, whatever the version: its data
 * builders write the fields a conversation has had over the API's versions, and each success body
 * is shaped here by the operation's JSON Schema (src/generated/responses.ts) before it is sent. A
 * required field the data lacks is filled from the schema (its default, const, first enum member,
 * or the type's zero: the data stays realistic where the builders know the field, and valid where
 * they do not); a field the schema does not declare is left out (a document that lacks it types
 * no such field); a union member is chosen by what the value already says (its `type`, its const
 * fields).
 */
import { type JsonSchema, RESPONSES } from "../../generated/responses.ts";

type Schema = Exclude<JsonSchema, boolean>;
type Value = unknown;

const defs = RESPONSES.$defs;

const resolved = new Map<JsonSchema, Schema | undefined>();

/** The schema a `$ref` chain ends at (cached: the same schema objects are met again and again). */
function resolve(schema: JsonSchema | undefined): Schema | undefined {
  if (schema === undefined) return undefined;
  let out = resolved.get(schema);
  if (out !== undefined || resolved.has(schema)) return out;
  let s: JsonSchema | undefined = schema;
  for (let i = 0; i < 16 && typeof s === "object" && typeof s.$ref === "string"; i++) {
    s = defs[s.$ref.replace("#/$defs/", "")];
  }
  out = typeof s === "object" ? s : undefined;
  resolved.set(schema, out);
  return out;
}

function typesOf(schema: Schema): string[] {
  const t = schema.type;
  return Array.isArray(t) ? (t as string[]) : typeof t === "string" ? [t] : [];
}

function members(schema: Schema): JsonSchema[] | undefined {
  const list = schema.anyOf ?? schema.oneOf;
  return Array.isArray(list) ? (list as JsonSchema[]) : undefined;
}

function isRecord(value: Value): value is Record<string, Value> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function jsonType(value: Value): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function typeFits(schema: Schema, value: Value): boolean {
  const types = typesOf(schema);
  const t = jsonType(value);
  if (schema.const !== undefined) return schema.const === value;
  if (Array.isArray(schema.enum)) return (schema.enum as Value[]).includes(value);
  if (types.length === 0) return true; // a schema that names no type takes any value
  return types.includes(t) || (t === "integer" && types.includes("number"));
}

/** How well `value` fits a union member: -1 not at all; higher for each const/enum field it matches. */
function fit(member: JsonSchema, value: Value, depth = 0): number {
  const schema = resolve(member);
  if (schema === undefined) return member === false ? -1 : 0;
  const inner = members(schema);
  if (inner !== undefined) return depth > 4 ? 0 : Math.max(-1, ...inner.map((m) => fit(m, value, depth + 1)));
  const objectLike = schema.properties !== undefined || typesOf(schema).includes("object");
  if (objectLike) {
    if (!isRecord(value)) return -1;
    let score = 1;
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const [name, property] of Object.entries(properties)) {
      const p = resolve(property);
      if (p === undefined) continue;
      const fixed =
        p.const !== undefined ? [p.const] : Array.isArray(p.enum) && p.enum.length === 1 ? p.enum : undefined;
      if (fixed === undefined) {
        if (name in value) score += 0.01;
        continue;
      }
      if (!(name in value)) continue;
      if (!fixed.includes(value[name])) return -1; // another member's discriminant
      score += 10;
    }
    return score;
  }
  return typeFits(schema, value) ? 1 : -1;
}

/** A value for a schema the data says nothing about. */
export function fill(schema: JsonSchema | undefined, depth = 0): Value {
  const s = resolve(schema);
  if (s === undefined || depth > 12) return null;
  if (s.default !== undefined) return conform(s.default, s, depth + 1);
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0] as Value;
  const union = members(s);
  if (union !== undefined) {
    const nullable = union.some((m) => typesOf(resolve(m) ?? {}).includes("null"));
    return nullable ? null : fill(union[0], depth + 1);
  }
  if (Array.isArray(s.allOf) && s.allOf.length > 0) return fill(s.allOf[0] as JsonSchema, depth + 1);
  const types = typesOf(s);
  if (types.includes("null")) return null;
  const minimum = typeof s.minimum === "number" ? s.minimum : 0;
  switch (types[0]) {
    case "string":
      return "";
    case "integer":
      return Math.ceil(minimum);
    case "number":
      return minimum;
    case "boolean":
      return false;
    case "array":
      return [];
  }
  const out: Record<string, Value> = {};
  const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
  for (const name of (s.required ?? []) as string[]) out[name] = fill(properties[name], depth + 1);
  return out;
}

/** `value` shaped to `schema`: required fields filled, undeclared ones left out, nested values likewise. */
export function conform(value: Value, schema: JsonSchema | undefined, depth = 0): Value {
  const s = resolve(schema);
  if (s === undefined || depth > 64) return value;
  if (value === undefined) return fill(s, depth);
  const union = members(s);
  if (union !== undefined) {
    if (value === null && union.some((m) => typesOf(resolve(m) ?? {}).includes("null"))) return null;
    let best: JsonSchema | undefined;
    let bestFit = -1;
    for (const member of union) {
      const f = fit(member, value);
      if (f > bestFit) [best, bestFit] = [member, f];
    }
    // No member takes it (a variant this version lacks): the first member's shape, filled.
    return best === undefined ? fill(union[0], depth + 1) : conform(value, best, depth + 1);
  }
  if (Array.isArray(s.allOf)) {
    let out: Value = value;
    for (const part of s.allOf as JsonSchema[]) out = conform(out, part, depth + 1);
    return out;
  }
  const types = typesOf(s);
  if (s.properties !== undefined || types.includes("object")) {
    if (!isRecord(value)) return value === null && types.includes("null") ? null : fill(s, depth);
    const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
    const extra = s.additionalProperties;
    const out: Record<string, Value> = {};
    for (const [name, field] of Object.entries(value)) {
      if (field === undefined) continue;
      if (Object.hasOwn(properties, name)) out[name] = conform(field, properties[name], depth + 1);
      else if (extra === true || (typeof extra === "object" && extra !== null))
        out[name] = extra === true ? field : conform(field, extra as JsonSchema, depth + 1);
      else if (extra === undefined && s.properties === undefined) out[name] = field; // an open object
      // else: a field this version of the document does not declare
    }
    for (const name of (s.required ?? []) as string[]) {
      if (!(name in out)) out[name] = fill(properties[name], depth + 1);
    }
    return out;
  }
  if (types.includes("array")) {
    if (!Array.isArray(value)) return value === null && types.includes("null") ? null : [];
    const items = s.items as JsonSchema | undefined;
    return items === undefined ? value : value.map((item) => conform(item, items, depth + 1));
  }
  return typeFits(s, value) ? value : fill(s, depth);
}

/** The JSON body `operation` serves, shaped to the spec (unchanged for an operation without a JSON schema). */
export function conformBody(operation: string, body: Value): Value {
  const schema = RESPONSES.operations[operation];
  return schema === undefined ? body : conform(body, schema);
}

/** Whether the spec's schema at `operation`'s body declares a union member with `key: value` somewhere below. */
export function declaresValue(schema: JsonSchema | undefined, key: string, value: string): boolean {
  const seen = new Set<JsonSchema>();
  const walk = (node: JsonSchema | undefined): boolean => {
    const s = resolve(node);
    if (s === undefined || seen.has(s)) return false;
    seen.add(s);
    const p = resolve(((s.properties ?? {}) as Record<string, JsonSchema>)[key]);
    if (p !== undefined && (p.const === value || (Array.isArray(p.enum) && p.enum.includes(value)))) return true;
    for (const k of ["anyOf", "oneOf", "allOf", "prefixItems"]) {
      const list = s[k];
      if (Array.isArray(list) && list.some((m) => walk(m as JsonSchema))) return true;
    }
    for (const k of ["items", "additionalProperties"]) if (walk(s[k] as JsonSchema | undefined)) return true;
    return Object.values((s.properties ?? {}) as Record<string, JsonSchema>).some(walk);
  };
  return walk(schema);
}

/** Whether the spec requires `field` in `operation`'s success body. */
export function requiresField(operation: string, field: string): boolean {
  const schema = resolve(RESPONSES.operations[operation]);
  return Array.isArray(schema?.required) && schema.required.includes(field);
}

/** The non-null members of a union (nested unions flattened), or the schema itself. */
function branches(schema: JsonSchema | undefined, depth = 0): Schema[] {
  const s = resolve(schema);
  if (s === undefined || depth > 8) return [];
  const union = members(s);
  if (union === undefined) return typesOf(s).length === 1 && typesOf(s)[0] === "null" ? [] : [s];
  return union.flatMap((m) => branches(m, depth + 1));
}

/** The values `schema` fixes its property `key` to (its const, or its enum). */
function fixedValues(schema: Schema, key: string): string[] {
  const p = resolve(((schema.properties ?? {}) as Record<string, JsonSchema>)[key]);
  if (p === undefined) return [];
  const values = branches(p).flatMap((b) => (b.const !== undefined ? [b.const] : Array.isArray(b.enum) ? b.enum : []));
  return values.filter((v): v is string => typeof v === "string");
}

/**
 * The members of a union in `operation`'s success body, by the value of their discriminant `key`:
 * `path` leads to the union (`[]` for an array's items, `type=system` for the member of a union
 * whose `type` is `system`). Empty where the spec has no such place. What the emulator reads to
 * write every member a version of the document declares, and its tests to check it did.
 *
 * @example
 * membersAt("getConversation", ["metadata", "phone_call"], "type"); // Map { "twilio" => …, "sip_trunking" => … }
 */
export function membersAt(operation: string, path: readonly string[], key: string): Map<string, JsonSchema> {
  let here: Schema[] = branches(RESPONSES.operations[operation]);
  for (const step of path) {
    const [field, value] = step.split("=");
    if (value !== undefined) here = here.filter((s) => fixedValues(s, field!).includes(value));
    else if (step === "[]") here = here.flatMap((s) => branches(s.items as JsonSchema | undefined));
    else here = here.flatMap((s) => branches(((s.properties ?? {}) as Record<string, JsonSchema>)[step]));
  }
  const out = new Map<string, JsonSchema>();
  for (const member of here) for (const value of fixedValues(member, key)) if (!out.has(value)) out.set(value, member);
  return out;
}
