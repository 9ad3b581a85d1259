/**
 * The reference pages against the published document. The pages (their OpenAPI fragments, in
 * openapi/source/) are older and say less, but some of what they say the document lacks. For every
 * operation the pages publish: its parameters, its JSON body's fields, and its 200 response's
 * fields and their nested objects, each with its types and its enum values. What the pages have
 * and the document lacks is listed, with whether the build kept it (an `x-fill-only` action of
 * openapi/overlay.yaml keeps it, optional); where both say something and disagree (the types, the
 * enum values), the line says what each says and which side the built document follows (the
 * document, unless the overlay says otherwise).
 */
import { METHODS, type Json, type JsonObject, deref, isObject } from "./json.ts";

/** What a parameter or a field is, as far as the comparison goes. */
interface Facts {
  /** The JSON types it may take, `null` aside (empty: not stated, e.g. a bare union). */
  types: Set<string>;
  /** The string values of its enums and consts (empty: not an enumeration). */
  values: Set<string>;
}

/** How deep the fields are followed below an operation's body or response (`a.b[].c` is depth 3). */
const DEPTH = 6;

/** The concrete schemas a schema stands for: through `$ref`, `allOf`, and the members of `anyOf`/`oneOf`. */
function expand(doc: JsonObject, node: Json | undefined, seen: ReadonlySet<Json> = new Set()): JsonObject[] {
  const schema = deref(doc, node);
  if (!isObject(schema) || seen.has(schema)) return [];
  const inner = new Set(seen).add(schema);
  const out: JsonObject[] = [schema];
  for (const key of ["allOf", "anyOf", "oneOf"]) {
    const members = schema[key];
    if (Array.isArray(members)) for (const m of members) out.push(...expand(doc, m, inner));
  }
  return out;
}

function factsOf(schemas: JsonObject[]): Facts {
  const types = new Set<string>();
  const values = new Set<string>();
  for (const s of schemas) {
    for (const t of Array.isArray(s.type) ? s.type : [s.type]) if (typeof t === "string" && t !== "null") types.add(t);
    if (typeof s.const === "string") values.add(s.const);
    if (Array.isArray(s.enum)) for (const v of s.enum) if (typeof v === "string") values.add(v);
  }
  // An integer is a number: a side that says `number` where the other says `integer` still disagrees.
  return { types, values };
}

/** Every field below a schema to DEPTH (`a`, `a.b`, `a[].c`), union members merged, with its facts. */
function fields(doc: JsonObject, root: Json | undefined): Map<string, Facts> {
  const out = new Map<string, Facts>();
  const visit = (schemas: JsonObject[], path: string, depth: number) => {
    if (depth >= DEPTH) return;
    const children = new Map<string, JsonObject[]>();
    for (const schema of schemas) {
      for (const [name, child] of Object.entries(isObject(schema.properties) ? schema.properties : {}))
        children.set(name, [...(children.get(name) ?? []), ...expand(doc, child)]);
      if (schema.items !== undefined) visit(expand(doc, schema.items), `${path}[]`, depth + 1);
    }
    for (const [name, members] of children) {
      const at = path === "" ? name : `${path}.${name}`;
      out.set(at, factsOf(members));
      visit(members, at, depth + 1);
    }
  };
  visit(expand(doc, root), "", 0);
  return out;
}

function jsonSchema(doc: JsonObject, holder: Json | undefined): Json | undefined {
  const resolved = deref(doc, holder);
  const content = isObject(resolved) && isObject(resolved.content) ? resolved.content : {};
  const media = content["application/json"];
  return isObject(media) ? media.schema : undefined;
}

/** An operation's parameters (`query page_size`), JSON body fields (`body.a`) and 200 response fields (`a.b`). */
export function operationFacts(doc: JsonObject, op: JsonObject): Map<string, Facts> {
  const out = new Map<string, Facts>();
  for (const raw of Array.isArray(op.parameters) ? op.parameters : []) {
    const p = deref(doc, raw);
    if (!isObject(p) || typeof p.name !== "string" || typeof p.in !== "string" || p.in === "header") continue;
    out.set(`${p.in} parameter \`${p.name}\``, factsOf(expand(doc, p.schema)));
  }
  for (const [at, facts] of fields(doc, jsonSchema(doc, op.requestBody))) out.set(`body field \`${at}\``, facts);
  const ok = isObject(op.responses) ? op.responses["200"] : undefined;
  for (const [at, facts] of fields(doc, jsonSchema(doc, ok))) out.set(`response field \`${at}\``, facts);
  return out;
}

function operationAt(doc: JsonObject, path: string, method: string): JsonObject | undefined {
  const item = isObject(doc.paths) ? doc.paths[path] : undefined;
  const op = isObject(item) ? item[method] : undefined;
  return isObject(op) ? op : undefined;
}

const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((v) => b.has(v));
const list = (values: Iterable<string>) => [...values].map((v) => `\`${v}\``).join(", ");

/** The key of the field a field key's field is nested in (`a[].b` → `a`), if any. */
function parentKey(key: string): string | undefined {
  const match = /^(.* field `)(.*)\.[^.]+`$/.exec(key);
  return match ? `${match[1]}${match[2]!.replace(/(\[\])+$/, "")}\`` : undefined;
}

/**
 * The lines of the comparison: `pages` is the reference pages' merged fragments, `published` the
 * document as published (before the build), `built` what the build made of it (which says what was
 * kept and which side won). Only the operations the pages publish are compared.
 */
export function comparePages(pages: JsonObject, published: JsonObject, built: JsonObject): string[] {
  const lines: string[] = [];
  for (const [path, item] of Object.entries(isObject(pages.paths) ? pages.paths : {})) {
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const pageOp = isObject(item[method]) ? item[method] : undefined;
      if (pageOp === undefined) continue;
      const builtOp = operationAt(built, path, method);
      const name = typeof builtOp?.operationId === "string" ? builtOp.operationId : `${method.toUpperCase()} ${path}`;
      const publishedOp = operationAt(published, path, method);
      if (publishedOp === undefined) {
        lines.push(
          `operation ${method.toUpperCase()} ${path}: on the reference pages, not in the document; ${builtOp ? "kept" : "not kept"}`,
        );
        continue;
      }
      const onPages = operationFacts(pages, pageOp);
      const inDocument = operationFacts(published, publishedOp);
      const inBuilt = builtOp ? operationFacts(built, builtOp) : new Map<string, Facts>();
      for (const [key, page] of onPages) {
        const doc = inDocument.get(key);
        const result = inBuilt.get(key);
        if (doc === undefined) {
          // Only the outermost missing field: its nested fields go with it.
          const parent = parentKey(key);
          if (parent !== undefined && onPages.has(parent) && !inDocument.has(parent)) continue;
          lines.push(
            `${key} of ${name}: on the reference pages, not in the document; ${
              result ? "kept, optional (openapi/overlay.yaml)" : "not kept: the document wins"
            }`,
          );
          continue;
        }
        const winner = (pick: (f: Facts) => Set<string>) =>
          result === undefined
            ? "the built document has neither"
            : sameSet(pick(result), pick(doc))
              ? "the document wins"
              : sameSet(pick(result), pick(page))
                ? "the pages win (openapi/overlay.yaml)"
                : "the built document follows openapi/overlay.yaml";
        if (page.types.size > 0 && doc.types.size > 0 && !sameSet(page.types, doc.types)) {
          lines.push(
            `${key} of ${name}: the pages type it ${[...page.types].join(" | ")}, the document ${[...doc.types].join(" | ")}; ${winner((f) => f.types)}`,
          );
        }
        const pagesOnly = [...page.values].filter((v) => !doc.values.has(v));
        if (page.values.size > 0 && doc.values.size > 0 && pagesOnly.length > 0) {
          lines.push(
            `${key} of ${name}: the pages list ${list(pagesOnly)}, the document does not (its values: ${list(doc.values)}); ${winner((f) => f.values)}`,
          );
        } else if (page.values.size > 0 && doc.values.size === 0 && doc.types.has("string")) {
          lines.push(
            `${key} of ${name}: the pages restrict it to ${list(page.values)}, the document to no list of values; ${winner((f) => f.values)}`,
          );
        }
      }
    }
  }
  return lines;
}
