/**
 * Mechanical fixes for the docs renderer's OpenAPI dialect (see openapi/README.md).
 * Each rule rewrites a construct that has exactly one standard meaning; corrections that
 * need judgement live in openapi/patches.yaml instead.
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
