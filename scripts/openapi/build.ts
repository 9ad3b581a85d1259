/**
 * Builds the normalized OpenAPI 3.1 document (openapi/convai.yaml) from either the reference
 * pages' fragments or a standard OpenAPI 3.x document. Pure: inputs in, document out; the
 * command line and file handling are in scripts/build-spec.ts.
 */
import { normalizeDialect } from "./dialect.ts";
import { normalizeNotes, normalizeObjects } from "./normalize.ts";
import { type Overlay, applyOverlay } from "./overlay.ts";
import {
  METHODS,
  type Json,
  type JsonObject,
  SpecError,
  clone,
  deepEqual,
  forEachRef,
  isObject,
  reachedRefs,
  resolveLocalRef,
  sortKeys,
} from "./json.ts";

export interface OperationEntry {
  method: string;
  path: string;
  operationId: string;
  /** Kept when the document has it; its absence does not stop the build. */
  optional?: boolean;
}

/** openapi/build.yaml: what the build keeps and the structural changes it makes. */
export interface BuildConfig {
  info: JsonObject;
  servers: Json[];
  operations: OperationEntry[];
  /** Path prefixes under which every operation is kept, with a derived id. */
  keepUnder?: string[];
  security: { scheme: string; header: string };
  validationError: { schema: string; schemas: JsonObject };
  resolve: Record<string, { source: string; reason: string }>;
}

export interface Fragment {
  /** File name, used in error messages. */
  name: string;
  doc: JsonObject;
}

export type BuildInput =
  { kind: "fragments"; fragments: Fragment[] } | { kind: "standard"; name: string; doc: JsonObject; all?: boolean };

export const OVERLAY_FILE = "openapi/overlay.yaml";

/** Checks the shape of openapi/build.yaml so a typo fails loudly, not silently. */
export function parseBuildConfig(raw: unknown, file = "openapi/build.yaml"): BuildConfig {
  const fail = (msg: string): never => {
    throw new SpecError(`${file}: ${msg}`);
  };
  if (!isObject(raw)) fail("expected a mapping at the top level");
  const p = raw as JsonObject;
  if (!Array.isArray(p.operations) || p.operations.length === 0) fail("`operations` must list the operations");
  const ids = new Set<string>();
  for (const op of p.operations as Json[]) {
    if (!isObject(op) || typeof op.method !== "string" || typeof op.path !== "string") {
      fail(`each operation needs method, path and operationId: ${JSON.stringify(op)}`);
    }
    const id = (op as JsonObject).operationId;
    if (typeof id !== "string" || !/^[a-z][A-Za-z0-9]*$/.test(id))
      fail(`operationId ${JSON.stringify(id)} is not camelCase`);
    if (ids.has(id as string)) fail(`operationId ${String(id)} is used twice`);
    ids.add(id as string);
  }
  const sec = p.security;
  if (!isObject(sec) || typeof sec.scheme !== "string" || typeof sec.header !== "string") {
    fail("`security` needs scheme and header");
  }
  const ve = p.validationError;
  if (!isObject(ve) || typeof ve.schema !== "string" || !isObject(ve.schemas)) {
    fail("`validationError` needs schema and schemas");
  }
  if ("patches" in p) fail("`patches` moved to openapi/overlay.yaml, an OpenAPI Overlay document");
  const resolve = (p.resolve ?? {}) as JsonObject;
  for (const [name, r] of Object.entries(resolve)) {
    if (!isObject(r) || typeof r.source !== "string" || typeof r.reason !== "string" || !r.reason.trim()) {
      fail(`resolve.${name} needs source and reason`);
    }
  }
  const keepUnder = p.keepUnder ?? [];
  if (!Array.isArray(keepUnder) || !keepUnder.every((k) => typeof k === "string" && k.startsWith("/")))
    fail("`keepUnder` must list path prefixes starting with /");
  return {
    info: isObject(p.info) ? p.info : { title: "API", version: "1" },
    servers: Array.isArray(p.servers) ? p.servers : [],
    operations: p.operations as unknown as OperationEntry[],
    keepUnder: keepUnder as string[],
    security: sec as unknown as BuildConfig["security"],
    validationError: ve as unknown as BuildConfig["validationError"],
    resolve: resolve as unknown as BuildConfig["resolve"],
  };
}

/**
 * The whole pipeline. The output depends only on the inputs (same input, same document). What it
 * changed on the way that a reader should know of (keys dropped) is pushed onto `notes`.
 */
export function buildSpec(input: BuildInput, patches: BuildConfig, overlay: Overlay, notes: string[] = []): JsonObject {
  let doc: JsonObject;
  let all = false;
  if (input.kind === "fragments") {
    if (input.fragments.length === 0) throw new SpecError("no fragments to build from");
    doc = mergeFragments(input.fragments, patches);
    doc.info = clone(patches.info);
  } else {
    if (typeof input.doc.openapi !== "string" || !/^3\.[01]\./.test(input.doc.openapi)) {
      throw new SpecError(`${input.name}: not an OpenAPI 3.0 or 3.1 document (openapi: ${String(input.doc.openapi)})`);
    }
    doc = clone(input.doc);
    all = input.all ?? false;
  }
  doc.openapi = "3.1.1";
  if (!Array.isArray(doc.servers) || doc.servers.length === 0) doc.servers = clone(patches.servers as Json);
  selectOperations(doc, patches, all, input.kind === "fragments" ? "the fragments" : input.name);
  applySecurity(doc, patches);
  applyValidationError(doc, patches);
  applyOverlay(doc, overlay, OVERLAY_FILE, notes);
  // Pruned first: a published document is megabytes, and only what the kept operations reach is
  // rewritten and checked (the dialect fixes change no reference and no operation).
  if (!all) pruneComponents(doc);
  if (input.kind === "standard") doc = normalizeDialect(doc, input.name);
  checkRefs(doc, "the built document");
  // Last, so it sees only what is kept, the overlay's additions included.
  notes.push(...normalizeNotes(normalizeObjects(doc)));
  return ordered(doc);
}

/** Merges the per-page fragments: operations field by field, components only when identical. */
export function mergeFragments(fragments: Fragment[], patches: BuildConfig): JsonObject {
  const sorted = [...fragments].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const normalized = sorted.map((f) => ({ name: f.name, doc: normalizeDialect(clone(f.doc), f.name) }));
  const paths: JsonObject = {};
  const versions = new Map<string, { name: string; op: Json }[]>();
  const components: Record<string, JsonObject> = {};
  const componentOrigin = new Map<string, string>();

  for (const { name, doc } of normalized) {
    if (typeof doc.openapi !== "string" || !doc.openapi.startsWith("3.")) {
      throw new SpecError(`${name}: not an OpenAPI 3 fragment`);
    }
    for (const [path, item] of Object.entries(isObject(doc.paths) ? doc.paths : {})) {
      if (!isObject(item)) continue;
      const target = (paths[path] ??= {}) as JsonObject;
      for (const [method, op] of Object.entries(item)) {
        const key = `${method.toUpperCase()} ${path}`;
        const earlier = versions.get(key) ?? [];
        versions.set(key, [...earlier, { name, op }]);
        const seen = target[method];
        target[method] = seen === undefined ? op : mergeOperation(seen, op, [key], earlier, name);
      }
    }
    for (const [section, entries] of Object.entries(isObject(doc.components) ? doc.components : {})) {
      if (!isObject(entries)) continue;
      const target = (components[section] ??= {});
      for (const [cname, body] of Object.entries(entries)) {
        const key = `${section}/${cname}`;
        const first = componentOrigin.get(key);
        if (first === undefined) {
          target[cname] = body;
          componentOrigin.set(key, name);
        } else if (!deepEqual(target[cname], body)) {
          const resolution = patches.resolve[cname];
          if (!resolution || (resolution.source !== first && resolution.source !== name)) {
            throw new SpecError(
              `components.${section}.${cname} is defined differently in ${first} and ${name}; ` +
                `add resolve.${cname} to openapi/build.yaml to choose one`,
            );
          }
          if (resolution.source === name) target[cname] = body;
          // Later sources compare against the chosen body; remember who supplied it.
          componentOrigin.set(key, resolution.source);
        }
      }
    }
  }
  // Each fragment's references must resolve in the merged components.
  const merged: JsonObject = { openapi: "3.1.1", info: {}, paths, components };
  for (const { name, doc } of normalized) {
    forEachRef(doc, (ref, at) => {
      if (resolveLocalRef(merged, ref) === undefined) {
        throw new SpecError(`${name}: $ref ${ref} at ${at} does not resolve`);
      }
    });
  }
  return merged;
}

/**
 * Two pages describing one operation: fields present in only one are kept, parameters are
 * merged by name and location, and two different values for one field are an error naming the
 * pages that disagree. Key order follows the first page (sources are taken in file-name order).
 */
function mergeOperation(a: Json, b: Json, at: string[], earlier: { name: string; op: Json }[], source: string): Json {
  if (deepEqual(a, b)) return a;
  const last = at[at.length - 1];
  if (Array.isArray(a) && Array.isArray(b) && last === "parameters") {
    const out = [...a];
    for (const param of b) {
      const i = out.findIndex((p) => isObject(p) && isObject(param) && p.name === param.name && p.in === param.in);
      if (i < 0) out.push(param);
      else out[i] = mergeOperation(out[i]!, param, [...at, String((param as JsonObject).name)], earlier, source);
    }
    return out;
  }
  if (isObject(a) && isObject(b)) {
    const out: JsonObject = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in a ? mergeOperation(a[k]!, v, [...at, k], earlier, source) : v;
    return out;
  }
  const from = earlier.filter((e) => deepEqual(valueAt(e.op, at.slice(1)), a)).map((e) => e.name);
  throw new SpecError(
    `${at.join(" ")} differs between ${from.join(", ") || "earlier pages"} (${JSON.stringify(a)}) ` +
      `and ${source} (${JSON.stringify(b)}); make the sources agree or add a patch`,
  );
}

/** The value at a merge path; after `parameters` a key is a parameter's name. */
function valueAt(node: Json | undefined, keys: string[]): Json | undefined {
  return keys.reduce<Json | undefined>((n, k, i) => {
    if (Array.isArray(n) && keys[i - 1] === "parameters") return n.find((p) => isObject(p) && p.name === k);
    return isObject(n) ? n[k] : undefined;
  }, node);
}

function operationsOf(doc: JsonObject): [string, string, JsonObject][] {
  const out: [string, string, JsonObject][] = [];
  for (const [path, item] of Object.entries(isObject(doc.paths) ? doc.paths : {})) {
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (isObject(op)) out.push([path, method, op]);
    }
  }
  return out;
}

/** Keeps the listed operations (or all), and gives each a unique camelCase operationId. */
function selectOperations(doc: JsonObject, patches: BuildConfig, all: boolean, source: string): void {
  const wanted = new Map(patches.operations.map((o) => [`${o.method.toLowerCase()} ${o.path}`, o.operationId]));
  const found = new Set<string>();
  const used = new Set(patches.operations.map((o) => o.operationId));
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const [path, method, op] of operationsOf(doc)) {
    const key = `${method} ${path}`;
    const id = wanted.get(key);
    if (id !== undefined) {
      op.operationId = id;
      found.add(key);
    } else if (all || (patches.keepUnder ?? []).some((prefix) => under(path, prefix))) {
      // FastAPI names end in `_route`, which says nothing.
      const given = typeof op.operationId === "string" ? op.operationId.replace(/_route$/, "") : key;
      op.operationId = uniqueId(camelCase(given), used);
    } else {
      delete (paths[path] as JsonObject)[method];
    }
  }
  const optional = new Set(
    patches.operations.filter((o) => o.optional).map((o) => `${o.method.toLowerCase()} ${o.path}`),
  );
  const missing = [...wanted.keys()].filter((k) => !found.has(k) && !optional.has(k));
  if (missing.length) {
    throw new SpecError(`${source} lacks ${missing.map((k) => k.replace(/^\w+/, (m) => m.toUpperCase())).join(", ")}`);
  }
  for (const [path, item] of Object.entries(paths)) {
    if (isObject(item) && !METHODS.some((m) => m in item)) delete paths[path];
  }
  // An operation the document publishes without a summary gets one from its id, so the lint passes.
  for (const [, , op] of operationsOf(doc)) {
    if (typeof op.summary !== "string" || op.summary.trim() === "") op.summary = sentence(String(op.operationId));
  }
}

/** `getConversationInsights` → `Get conversation insights`. */
function sentence(id: string): string {
  const words = id.split(/(?<=[a-z0-9])(?=[A-Z])/).map((w) => w.toLowerCase());
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Whether `path` is `prefix` or below it (`/a/b` is under `/a` and `/a/`, `/ab` is under neither). */
function under(path: string, prefix: string): boolean {
  if (prefix.endsWith("/")) return path.startsWith(prefix);
  return path === prefix || path.startsWith(`${prefix}/`);
}

export function camelCase(text: string): string {
  const words = text.split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/).filter(Boolean);
  const out = words
    .map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1).toLowerCase()))
    .join("");
  return /^[0-9]/.test(out) ? `op${out}` : out || "operation";
}

function uniqueId(base: string, used: Set<string>): string {
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}${n}`;
  used.add(id);
  return id;
}

/** The API-key header parameter becomes a security scheme on the operations that took it. */
function applySecurity(doc: JsonObject, patches: BuildConfig): void {
  const header = patches.security.header.toLowerCase();
  const components = (doc.components = isObject(doc.components) ? doc.components : {});
  const schemes = (components.securitySchemes = isObject(components.securitySchemes) ? components.securitySchemes : {});
  // Reuse a scheme the source already declares for the same header.
  let name = Object.entries(schemes).find(
    ([, s]) => isObject(s) && s.type === "apiKey" && s.in === "header" && String(s.name).toLowerCase() === header,
  )?.[0];
  if (name === undefined) {
    name = patches.security.scheme;
    schemes[name] = { type: "apiKey", in: "header", name: patches.security.header };
  }
  for (const [, , op] of operationsOf(doc)) {
    const params = Array.isArray(op.parameters) ? op.parameters : [];
    const isKey = (p: Json) => isObject(p) && p.in === "header" && String(p.name).toLowerCase() === header;
    const hadKey = params.some(isKey);
    if (hadKey) op.parameters = params.filter((p) => !isKey(p));
    // Every operation of this API takes the key: one kept without a word of it gets the scheme too.
    if (hadKey || op.security === undefined) op.security = [{ [name]: [] }];
  }
}

/** Empty 422 responses get the validation-error body the API sends. */
function applyValidationError(doc: JsonObject, patches: BuildConfig): void {
  const { schema, schemas } = patches.validationError;
  let used = false;
  for (const [, , op] of operationsOf(doc)) {
    const responses = isObject(op.responses) ? op.responses : undefined;
    const r422 = responses?.["422"];
    if (!isObject(r422) || "$ref" in r422) continue; // a shared response: the source defines it
    if (isObject(r422.content) && Object.keys(r422.content).length > 0) continue;
    r422.content = { "application/json": { schema: { $ref: `#/components/schemas/${schema}` } } };
    used = true;
  }
  if (!used) return;
  const components = doc.components as JsonObject;
  const target = (components.schemas = isObject(components.schemas) ? components.schemas : {});
  for (const [name, body] of Object.entries(schemas)) target[name] ??= clone(body);
}

/** Every `$ref` must point at something in the document. */
export function checkRefs(doc: JsonObject, source: string): void {
  const broken: string[] = [];
  forEachRef(doc, (ref, at) => {
    if (resolveLocalRef(doc, ref) === undefined) broken.push(`${ref} (at ${at})`);
  });
  if (broken.length) throw new SpecError(`${source}: unresolved $ref: ${broken.join(", ")}`);
}

/** Drops components nothing reaches from the operations. */
function pruneComponents(doc: JsonObject): void {
  const components = isObject(doc.components) ? doc.components : {};
  const reached = reachedRefs(doc, [doc.paths]);
  for (const [section, entries] of Object.entries(components)) {
    if (section === "securitySchemes" || !isObject(entries)) continue;
    for (const name of Object.keys(entries)) {
      if (!reached.has(`#/components/${section}/${name}`)) delete entries[name];
    }
    if (Object.keys(entries).length === 0) delete components[section];
  }
}

/** Stable order: top-level keys conventional, paths and components sorted by name. */
function ordered(doc: JsonObject): JsonObject {
  const paths = sortKeys(isObject(doc.paths) ? doc.paths : {});
  for (const [p, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    paths[p] = sortKeys(item, (a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  }
  const components = sortKeys(isObject(doc.components) ? doc.components : {});
  for (const [section, entries] of Object.entries(components)) {
    if (isObject(entries)) components[section] = sortKeys(entries);
  }
  const top = ["openapi", "info", "servers", "security", "tags", "paths", "webhooks", "components"];
  const out: JsonObject = {};
  for (const k of top)
    if (doc[k] !== undefined) out[k] = k === "paths" ? paths : k === "components" ? components : doc[k]!;
  for (const k of Object.keys(doc).sort()) if (!(k in out)) out[k] = doc[k]!;
  return out;
}

function rank(key: string): number {
  const i = METHODS.indexOf(key);
  return i < 0 ? -1 : i;
}
