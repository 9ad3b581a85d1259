/**
 * The compatibility report: what a new document changes for this package, before any file is
 * written. Two parts: what the package's code relies on (openapi/relies-on.yaml), each missing
 * piece a line saying what happens without it (a `required` one stops the build); and what the new
 * document removes or adds that users of the package meet (list filters, their values, response
 * fields, union members), compared with the document it replaces.
 */
import { type Json, type JsonObject, SpecError, deref, isObject } from "./json.ts";

export interface Reliance {
  operation: string;
  need: "required" | "optional";
  otherwise: string;
}

export interface ReliesOn {
  parameters: (Reliance & { name: string })[];
  body: (Reliance & { field: string })[];
  fields: (Reliance & { path: string })[];
  unions: (Reliance & { path: string; by: string; values: string[]; name?: string })[];
}

export interface Report {
  /** One line per finding, in the order: what stops the build, what degrades, what changed. */
  lines: string[];
  /** True when a `required` reliance is missing: the package cannot work with the new document. */
  fatal: boolean;
}

/** The facade method each operation backs, for the report's words. */
const FACADE: Record<string, string> = {
  listConversations: "conversations.list",
  getConversation: "conversations.get",
  deleteConversation: "conversations.delete",
  getConversationAudio: "conversations.audio",
  sendConversationFeedback: "conversations.sendFeedback",
  getConversationToken: "sessions.webrtcToken",
  getSignedUrl: "sessions.signedUrl",
  getAgentLink: "agents.link",
};

export function parseReliesOn(raw: unknown, file: string): ReliesOn {
  const fail = (msg: string): never => {
    throw new SpecError(`${file}: ${msg}`);
  };
  if (!isObject(raw)) return fail("expected a mapping");
  const list = (key: string, fields: string[]) => {
    const entries = raw[key] ?? [];
    if (!Array.isArray(entries)) return fail(`${key} must be a list`);
    entries.forEach((e, i) => {
      if (!isObject(e)) return fail(`${key} #${i + 1} is not a mapping`);
      for (const f of ["operation", "otherwise", ...fields])
        if (e[f] === undefined) fail(`${key} #${i + 1} has no ${f}`);
      if (e.need !== "required" && e.need !== "optional") fail(`${key} #${i + 1}: need must be required or optional`);
    });
    return entries as never;
  };
  return {
    parameters: list("parameters", ["name"]),
    body: list("body", ["field"]),
    fields: list("fields", ["path"]),
    unions: list("unions", ["path", "by", "values"]),
  };
}

function operation(doc: JsonObject, id: string): JsonObject | undefined {
  for (const item of Object.values(isObject(doc.paths) ? doc.paths : {})) {
    if (!isObject(item)) continue;
    for (const op of Object.values(item)) if (isObject(op) && op.operationId === id) return op;
  }
  return undefined;
}

/** The concrete schemas a schema stands for: through `$ref`, `allOf`, and the members of `anyOf`/`oneOf`. */
function expand(doc: JsonObject, node: Json | undefined, depth = 0): JsonObject[] {
  const schema = deref(doc, node);
  if (!isObject(schema) || depth > 8) return [];
  const out: JsonObject[] = [schema];
  for (const key of ["allOf", "anyOf", "oneOf"]) {
    const members = schema[key];
    if (Array.isArray(members)) for (const m of members) out.push(...expand(doc, m, depth + 1));
  }
  return out;
}

/** The schemas at a path (`a.b[].c`) below `root`; empty when the path does not exist. */
function schemasAt(doc: JsonObject, root: Json | undefined, path: string): JsonObject[] {
  let current = expand(doc, root);
  for (const token of path.split(/\.|(?=\[\])/).filter(Boolean)) {
    const next: JsonObject[] = [];
    for (const schema of current) {
      if (token === "[]") {
        if (schema.items !== undefined) next.push(...expand(doc, schema.items));
      } else if (isObject(schema.properties) && token in schema.properties) {
        next.push(...expand(doc, schema.properties[token]));
      }
    }
    current = next;
    if (current.length === 0) return [];
  }
  return current;
}

function okSchema(doc: JsonObject, op: JsonObject | undefined): Json | undefined {
  const response = deref(doc, isObject(op?.responses) ? op.responses["200"] : undefined);
  const content = isObject(response) && isObject(response.content) ? response.content : {};
  const media = content["application/json"];
  return isObject(media) ? media.schema : undefined;
}

function bodySchema(doc: JsonObject, op: JsonObject | undefined): Json | undefined {
  const body = deref(doc, op?.requestBody);
  const content = isObject(body) && isObject(body.content) ? body.content : {};
  const media = content["application/json"];
  return isObject(media) ? media.schema : undefined;
}

function queryParams(doc: JsonObject, op: JsonObject | undefined): Map<string, JsonObject> {
  const out = new Map<string, JsonObject>();
  for (const raw of Array.isArray(op?.parameters) ? op.parameters : []) {
    const p = deref(doc, raw);
    if (isObject(p) && p.in === "query" && typeof p.name === "string") out.set(p.name, p);
  }
  return out;
}

/** The string values `key` takes across the members of the union at `schemas`: consts, enums, discriminator mappings. */
function unionValues(doc: JsonObject, schemas: JsonObject[], key: string): Set<string> {
  const values = new Set<string>();
  for (const schema of schemas) {
    const discriminator = schema.discriminator;
    if (isObject(discriminator) && discriminator.propertyName === key && isObject(discriminator.mapping)) {
      for (const value of Object.keys(discriminator.mapping)) values.add(value);
    }
    const property = isObject(schema.properties) ? schema.properties[key] : undefined;
    for (const s of expand(doc, property)) {
      if (typeof s.const === "string") values.add(s.const);
      if (Array.isArray(s.enum)) for (const v of s.enum) if (typeof v === "string") values.add(v);
    }
  }
  return values;
}

/** The enum members a query parameter takes (through nullable wrappers). */
function enumOf(doc: JsonObject, param: JsonObject | undefined): Set<string> {
  const out = new Set<string>();
  for (const s of expand(doc, param?.schema)) {
    if (Array.isArray(s.enum)) for (const v of s.enum) if (typeof v === "string") out.add(v);
    if (typeof s.const === "string") out.add(s.const);
  }
  return out;
}

/** Response field paths to depth 2 of an operation's 200 body (`a`, `a.b`). */
function fieldPaths(doc: JsonObject, op: JsonObject | undefined): Set<string> {
  const out = new Set<string>();
  for (const schema of expand(doc, okSchema(doc, op))) {
    for (const [name, child] of Object.entries(isObject(schema.properties) ? schema.properties : {})) {
      out.add(name);
      for (const inner of expand(doc, child)) {
        for (const nested of Object.keys(isObject(inner.properties) ? inner.properties : {}))
          out.add(`${name}.${nested}`);
      }
    }
  }
  return out;
}

/** What a response field is, as far as the report compares it. */
interface FieldFacts {
  values: Set<string>;
  required: boolean;
  nullable: boolean;
}

/**
 * The fields of an operation's 200 body to depth 4 (deeper ones are configuration echoed back) (`a`, `a.b`, `a[].c`), each with the string
 * values it may take (enums and consts), whether every member that has it requires it, and
 * whether it may be null. Union members are merged.
 */
function responseFacts(doc: JsonObject, op: JsonObject | undefined): Map<string, FieldFacts> {
  const out = new Map<string, FieldFacts>();
  const visit = (schemas: JsonObject[], path: string, depth: number) => {
    if (depth > 3) return;
    const children = new Map<string, { schemas: JsonObject[]; required: boolean; nullable: boolean }>();
    for (const schema of schemas) {
      const required = new Set(Array.isArray(schema.required) ? schema.required : []);
      for (const [name, child] of Object.entries(isObject(schema.properties) ? schema.properties : {})) {
        const members = expand(doc, child);
        const entry = children.get(name) ?? { schemas: [], required: true, nullable: false };
        entry.schemas.push(...members);
        entry.required &&= required.has(name);
        entry.nullable ||= members.some(
          (m) => m.type === "null" || (Array.isArray(m.type) && m.type.includes("null")) || m.const === null,
        );
        children.set(name, entry);
      }
      if (schema.items !== undefined) visit(expand(doc, schema.items), `${path}[]`, depth + 1);
    }
    for (const [name, { schemas: members, required, nullable }] of children) {
      const at = path === "" ? name : `${path}.${name}`;
      const values = new Set<string>();
      for (const m of members) {
        if (typeof m.const === "string") values.add(m.const);
        if (Array.isArray(m.enum)) for (const v of m.enum) if (typeof v === "string") values.add(v);
      }
      out.set(at, { values, required, nullable });
      visit(members, at, depth + 1);
    }
  };
  visit(expand(doc, okSchema(doc, op)), "", 0);
  return out;
}

/** What the facade does with a value a response enum gains. */
function onNewValue(id: string, path: string): string {
  if (path === "status" || path === "conversations[].status") {
    return "`waitUntilDone` and `reconcileConversations` count it as finished (every status but initiated, in-progress and processing is); `ConversationStatus` gains it";
  }
  return "passed through as it comes; the field's type gains it (an exhaustive `switch` on it stops compiling until it is handled)";
}

/** The operations under the paths the build keeps (`keepUnder`), by `METHOD path`. */
function operationKeys(doc: JsonObject, prefixes: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, item] of Object.entries(isObject(doc.paths) ? doc.paths : {})) {
    if (
      !isObject(item) ||
      !prefixes.some((p) => path === p.replace(/\/$/, "") || path.startsWith(p.endsWith("/") ? p : `${p}/`))
    )
      continue;
    for (const [method, op] of Object.entries(item)) {
      if (isObject(op) && typeof op.operationId === "string")
        out.set(`${method.toUpperCase()} ${path}`, op.operationId);
    }
  }
  return out;
}

/** The report for `next`, against what the package relies on and against `previous` (undefined: no comparison). */
export function compatibility(
  next: JsonObject,
  previous: JsonObject | undefined,
  relies: ReliesOn,
  keepUnder: readonly string[] = ["/v1/convai/conversations", "/v1/convai/conversation/"],
): Report {
  const stops: string[] = [];
  const degrades: string[] = [];
  const changes: string[] = [];
  const say = (r: Reliance, what: string) =>
    (r.need === "required" ? stops : degrades).push(
      `${what}: not in the new document; ${r.otherwise}${r.need === "required" ? " (required: the build stops)" : ""}`,
    );
  for (const r of relies.parameters) {
    if (!queryParams(next, operation(next, r.operation)).has(r.name))
      say(r, `query parameter \`${r.name}\` of ${r.operation}`);
  }
  for (const r of relies.body) {
    if (schemasAt(next, bodySchema(next, operation(next, r.operation)), r.field).length === 0) {
      say(r, `body field \`${r.field}\` of ${r.operation}`);
    }
  }
  for (const r of relies.fields) {
    if (schemasAt(next, okSchema(next, operation(next, r.operation)), r.path).length === 0) {
      say(r, `response field \`${r.path}\` of ${r.operation}`);
    }
  }
  const unionAt = (doc: JsonObject, r: ReliesOn["unions"][number]) =>
    unionValues(doc, schemasAt(doc, okSchema(doc, operation(doc, r.operation)), r.path), r.by);
  const unionsAfter = new Map(relies.unions.map((r) => [r, unionAt(next, r)]));
  for (const r of relies.unions) {
    const values = unionsAfter.get(r)!;
    const missing = r.values.filter((v) => !values.has(v));
    if (values.size === 0) say(r, `the union by \`${r.by}\` at \`${r.path}\` of ${r.operation}`);
    else for (const v of missing) say(r, `\`${r.by}: ${v}\` in the union at \`${r.path}\` of ${r.operation}`);
  }
  if (previous !== undefined) {
    for (const [id, facade] of Object.entries(FACADE)) {
      const before = queryParams(previous, operation(previous, id));
      const after = queryParams(next, operation(next, id));
      for (const name of before.keys()) {
        if (!after.has(name))
          changes.push(`query parameter \`${name}\` of ${id}: not in the new document; \`${facade}\` will refuse it`);
        else {
          const kept = enumOf(next, after.get(name));
          const removed = [...enumOf(previous, before.get(name))].filter((v) => !kept.has(v));
          for (const v of removed)
            changes.push(`\`${name}: ${v}\` of ${id}: not in the new document; \`${facade}\` will refuse it`);
        }
      }
      for (const name of after.keys()) {
        if (!before.has(name)) changes.push(`query parameter \`${name}\` of ${id}: new; \`${facade}\` accepts it`);
      }
      const fieldsBefore = fieldPaths(previous, operation(previous, id));
      const fieldsAfter = fieldPaths(next, operation(next, id));
      for (const path of fieldsBefore) {
        if (!fieldsAfter.has(path))
          changes.push(`response field \`${path}\` of ${id}: not in the new document; its type is gone`);
      }
      const factsBefore = responseFacts(previous, operation(previous, id));
      for (const [path, after] of responseFacts(next, operation(next, id))) {
        const before = factsBefore.get(path);
        if (before === undefined) {
          if (
            (after.required && factsBefore.has(path.replace(/(\[\])?\.[^.]+$/, ""))) ||
            (after.required && !path.includes("."))
          )
            changes.push(
              `response field \`${path}\` of ${id}: new and required; the emulator fills it from the schema where its data lacks it`,
            );
          continue;
        }
        const added = [...after.values].filter((v) => before.values.size > 0 && !before.values.has(v));
        if (added.length > 0)
          changes.push(
            `response values of \`${path}\` of ${id}: new ${added.map((v) => `\`${v}\``).join(", ")}; ${onNewValue(id, path)}`,
          );
        if (after.required && !before.required)
          changes.push(
            `response field \`${path}\` of ${id}: now required; its type loses \`?\`, and the emulator fills it from the schema where its data lacks it`,
          );
        if (after.nullable && !before.nullable)
          changes.push(
            `response field \`${path}\` of ${id}: may now be null; its type gains \`| null\`, so code that reads it must check`,
          );
      }
    }
    const opsBefore = operationKeys(previous, keepUnder);
    for (const [key, opId] of operationKeys(next, keepUnder)) {
      if (!opsBefore.has(key))
        changes.push(
          `operation ${key} (${opId}): new under the conversation paths; typed for \`convai.api\` (an operation the emulator does not emulate answers 501)`,
        );
    }
    const opsAfter = operationKeys(next, keepUnder);
    for (const [key, opId] of opsBefore) {
      if (!opsAfter.has(key))
        changes.push(`operation ${key} (${opId}): not in the new document; \`convai.api\` no longer types it`);
    }
    for (const r of relies.unions) {
      const before = unionAt(previous, r);
      const after = unionsAfter.get(r)!;
      for (const v of before)
        if (!after.has(v))
          changes.push(
            `\`${r.by}: ${v}\` at \`${r.path}\`${r.name ? ` (${r.name})` : ""}: union member not in the new document; a handler for it no longer type-checks`,
          );
      for (const v of after)
        if (!before.has(v))
          changes.push(
            `\`${r.by}: ${v}\` at \`${r.path}\`${r.name ? ` (${r.name})` : ""}: new union member; an exhaustive match without \`_\` stops compiling until it is handled, and at run time \`_\` gets it`,
          );
    }
  }
  return { lines: [...stops, ...degrades, ...changes], fatal: stops.length > 0 };
}
