/** Small JSON-tree helpers shared by the spec pipeline. */

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

/** Thrown for every problem in the inputs; the message says which file and where. */
export class SpecError extends Error {
  override name = "SpecError";
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
}

export function clone<T extends Json>(value: T): T {
  return structuredClone(value);
}

/** JSON Pointer (RFC 6901) of a key path, for error messages. */
export function pointer(keys: readonly (string | number)[]): string {
  return keys.map((k) => "/" + String(k).replace(/~/g, "~0").replace(/\//g, "~1")).join("") || "/";
}

/** Visits every node depth-first; `visit` may return a replacement for the node. */
export function mapTree(node: Json, visit: (node: Json, at: readonly (string | number)[]) => Json): Json {
  const walk = (n: Json, at: (string | number)[]): Json => {
    let out: Json;
    if (Array.isArray(n)) out = n.map((v, i) => walk(v, [...at, i]));
    else if (isObject(n)) {
      out = {};
      for (const [k, v] of Object.entries(n)) out[k] = walk(v, [...at, k]);
    } else out = n;
    return visit(out, at);
  };
  return walk(node, []);
}

/** Calls `fn` for every `$ref` string in the tree with the pointer where it sits. */
export function forEachRef(node: Json, fn: (ref: string, at: string) => void, at: (string | number)[] = []): void {
  if (Array.isArray(node)) node.forEach((v, i) => forEachRef(v, fn, [...at, i]));
  else if (isObject(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string") fn(v, pointer(at));
      else forEachRef(v, fn, [...at, k]);
    }
  }
}

/** Every local `$ref` reached from `roots`, following each reference into `doc` (cycles visited once). */
export function reachedRefs(doc: JsonObject, roots: readonly (Json | undefined)[]): Set<string> {
  const reached = new Set<string>();
  const queue = roots.filter((root): root is Json => root !== undefined);
  while (queue.length) {
    forEachRef(queue.pop()!, (ref) => {
      if (reached.has(ref)) return;
      reached.add(ref);
      const target = resolveLocalRef(doc, ref);
      if (target !== undefined) queue.push(target);
    });
  }
  return reached;
}

/** Resolves a local reference (`#/components/schemas/X`) in `doc`, or undefined. */
export function resolveLocalRef(doc: JsonObject, ref: string): Json | undefined {
  if (!ref.startsWith("#/")) return undefined;
  let node: Json | undefined = doc;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    node = isObject(node) ? node[key] : undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

/** A node, or what its local `$ref` points at (followed a few times, so a cycle of refs ends). */
export function deref(doc: JsonObject, node: Json | undefined): Json | undefined {
  for (let i = 0; i < 8 && isObject(node) && typeof node.$ref === "string"; i++) node = resolveLocalRef(doc, node.$ref);
  return node;
}

/** The keys of a path item that hold operations. */
export const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** A copy of an object with its keys in sorted order (shallow). */
export function sortKeys<T>(obj: Record<string, T>, compare?: (a: string, b: string) => number): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(obj).sort(compare)) out[k] = obj[k]!;
  return out;
}
