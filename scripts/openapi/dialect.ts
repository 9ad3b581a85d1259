/**
 * Mechanical fixes for the docs renderer's OpenAPI dialect (see openapi/README.md).
 * Each rule rewrites a construct that has exactly one standard meaning; corrections that
 * need judgement live in openapi/overlay.yaml instead. The AsyncAPI document of the agent socket
 * has a dialect of its own (Fern's), fixed here too: `normalizeFernLiterals`.
 */
import { type Json, type JsonObject, SpecError, isObject, mapTree, pointer } from "./json.ts";

const LITERAL_TYPE = /^[a-z]+Literal$/;

/**
 * - `enum: [{ value: x }, …]` → `enum: [x, …]`
 * - `enum: [{ type: stringLiteral, value: x }]` → `const: x, default: x`: the field holds one
 *   value, and the server always sends it (it is the field's default), so the generated type
 *   marks it present, as it does for the same schema in a standard export.
 * - `tags: [[a, b]]` → `tags: [a, b]`
 */
export function normalizeDialect(doc: JsonObject, source: string): JsonObject {
  return mapTree(doc, (node, at) => {
    if (!isObject(node)) return node;
    const fixed = fixEnum(node, at, source);
    if (Array.isArray(fixed.tags) && fixed.tags.some(Array.isArray)) {
      fixed.tags = fixed.tags.flat(Infinity as 1);
    }
    return fixed;
  }) as JsonObject;
}

function fixEnum(node: JsonObject, at: readonly (string | number)[], source: string): JsonObject {
  const members = node.enum;
  if (!Array.isArray(members) || !members.some(isObject)) return node;
  const where = `${source}: ${pointer([...at, "enum"])}`;
  const values = members.map((m) => {
    if (!isObject(m)) return m;
    if (!("value" in m)) throw new SpecError(`${where}: enum member ${JSON.stringify(m)} has no "value"`);
    return m.value as Json;
  });
  const { enum: _dropped, ...rest } = node;
  const literal = members.length === 1 && isObject(members[0]) && LITERAL_TYPE.test(String(members[0].type ?? ""));
  if (literal) return { ...rest, const: values[0]!, default: values[0]! };
  return { ...rest, enum: values };
}

const FERN_LITERAL = /^literal<"((?:[^"\\]|\\.)*)">$/;

/**
 * The AsyncAPI document's dialect: `x-fern-type: literal<"x">` → `const: x, default: x`. The
 * property holds that one value and the server always sends it, so it is marked present, as a
 * stringLiteral enum is above; without this, the discriminant of every event would be `unknown`.
 */
export function normalizeFernLiterals(doc: JsonObject, source: string): JsonObject {
  return mapTree(doc, (node, at) => {
    if (!isObject(node) || !("x-fern-type" in node)) return node;
    const { "x-fern-type": fern, ...rest } = node;
    const literal = typeof fern === "string" ? FERN_LITERAL.exec(fern) : null;
    if (literal === null)
      throw new SpecError(`${source}: ${pointer([...at, "x-fern-type"])}: cannot read ${JSON.stringify(fern)}`);
    const value = literal[1]!.replace(/\\(.)/g, "$1");
    return { type: "string", ...rest, const: value, default: value };
  }) as JsonObject;
}
