/**
 * The point corrections, as an OpenAPI Overlay 1.0 document (openapi/overlay.yaml): an ordered
 * list of actions, each a JSONPath `target`, a `description` (the reason) and an `update` merged
 * into what the target selects (or `remove`). Applied here, with two rules of our own on top of
 * the specification, both about never being silent:
 *
 * - an action whose target selects nothing is an error naming it: the document it was written
 *   for changed, and the correction must be looked at again;
 * - an entry appended to an array that already holds it (a parameter with the same `name` and
 *   `in`, or an equal value) is not appended twice, so a source that already has the fix keeps it.
 *
 * One extension: an action with `x-follow-refs: true` steps through `$ref`s on the way to its
 * target, so it can name an operation's schema without naming the component, whose name changes
 * upstream between versions. (A tool without the extension applies it to the `$ref` node.)
 *
 * A second: `x-fill-only: true` adds only the keys the target lacks, and never changes one the
 * document has: for what the reference pages document and the published
 * document lacks (the document wins where both say something). Each key it adds is noted.
 *
 * Targets use a subset of RFC 9535 JSONPath: `$`, `.name`, `['name']`, `[index]`, `[*]`/`.*`, and
 * the filter `[?@.field == 'value']` (children whose field equals a string).
 */
import { type Json, type JsonObject, SpecError, clone, deepEqual, isObject, resolveLocalRef } from "./json.ts";

export interface OverlayAction {
  target: string;
  description: string;
  update?: Json;
  remove?: boolean;
  "x-follow-refs"?: boolean;
  "x-fill-only"?: boolean;
}

export interface Overlay {
  overlay: string;
  info: { title: string; version: string };
  actions: OverlayAction[];
}

/** Checks an overlay document's shape, so a typo fails loudly rather than silently. */
export function parseOverlay(raw: unknown, file: string): Overlay {
  const fail = (msg: string): never => {
    throw new SpecError(`${file}: ${msg}`);
  };
  if (!isObject(raw)) return fail("expected a mapping at the top level");
  if (typeof raw.overlay !== "string" || !/^1\.0\.\d+$/.test(raw.overlay)) fail("overlay must be 1.0.x");
  if (!isObject(raw.info) || typeof raw.info.title !== "string" || typeof raw.info.version !== "string") {
    fail("info needs title and version");
  }
  if (!Array.isArray(raw.actions) || raw.actions.length === 0) fail("actions must list at least one action");
  (raw.actions as Json[]).forEach((action, i) => {
    const label = `action #${i + 1}`;
    if (!isObject(action)) return fail(`${label} is not a mapping`);
    if (typeof action.target !== "string") fail(`${label} has no target`);
    parsePath(action.target as string, `${file}: ${label}`);
    if (typeof action.description !== "string" || action.description.trim() === "") {
      fail(`${label} has no description: every correction says why`);
    }
    if (action.remove !== true && !("update" in action)) fail(`${label} needs update or remove: true`);
    const unknown = Object.keys(action).filter(
      (k) => !["target", "description", "update", "remove"].includes(k) && !k.startsWith("x-"),
    );
    if (unknown.length > 0) fail(`${label} has unknown fields: ${unknown.join(", ")}`);
  });
  return raw as unknown as Overlay;
}

type Segment = { key: string } | { index: number } | { all: true } | { field: string; equals: string };

/** The segments of a target, or an error naming what cannot be read. */
export function parsePath(target: string, where: string): Segment[] {
  if (!target.startsWith("$")) throw new SpecError(`${where}: target must start with $: ${target}`);
  const segments: Segment[] = [];
  const pattern =
    /\.([A-Za-z_$][\w$-]*)|\.\*|\[\*\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|\[\?@\.([A-Za-z_$][\w$]*)\s*==\s*'((?:[^'\\]|\\.)*)'\]/y;
  let at = 1;
  while (at < target.length) {
    pattern.lastIndex = at;
    const m = pattern.exec(target);
    if (m === null) throw new SpecError(`${where}: cannot read the target from character ${at + 1}: ${target}`);
    if (m[1] !== undefined) segments.push({ key: m[1] });
    else if (m[2] !== undefined) segments.push({ key: m[2].replace(/\\(.)/g, "$1") });
    else if (m[3] !== undefined) segments.push({ key: m[3].replace(/\\(.)/g, "$1") });
    else if (m[4] !== undefined) segments.push({ index: Number(m[4]) });
    else if (m[5] !== undefined) segments.push({ field: m[5], equals: m[6]!.replace(/\\(.)/g, "$1") });
    else segments.push({ all: true });
    at = pattern.lastIndex;
  }
  return segments;
}

interface Selected {
  parent: JsonObject | Json[] | undefined;
  key: string | number | undefined;
  node: Json;
}

function select(doc: JsonObject, segments: Segment[], followRefs: boolean): Selected[] {
  let current: Selected[] = [{ parent: undefined, key: undefined, node: doc }];
  for (const segment of segments) {
    const next: Selected[] = [];
    for (const { node: raw } of current) {
      let node = raw;
      if (followRefs && isObject(node) && typeof node.$ref === "string") node = resolveLocalRef(doc, node.$ref) ?? node;
      if ("field" in segment) {
        const children: [string | number, Json][] = Array.isArray(node)
          ? node.map((child, i) => [i, child])
          : isObject(node)
            ? Object.entries(node)
            : [];
        for (const [k, child] of children) {
          if (isObject(child) && child[segment.field] === segment.equals) {
            next.push({ parent: node as JsonObject | Json[], key: k, node: child });
          }
        }
      } else if ("all" in segment) {
        if (Array.isArray(node)) node.forEach((child, i) => next.push({ parent: node as Json[], key: i, node: child }));
        else if (isObject(node))
          for (const [k, child] of Object.entries(node)) next.push({ parent: node, key: k, node: child });
      } else if ("index" in segment) {
        if (Array.isArray(node) && segment.index < node.length) {
          next.push({ parent: node, key: segment.index, node: node[segment.index]! });
        }
      } else if (isObject(node) && segment.key in node) {
        next.push({ parent: node, key: segment.key, node: node[segment.key]! });
      }
    }
    current = next;
  }
  return current;
}

/** Applies every action in order. Throws naming the first action that selects nothing. */
export function applyOverlay(doc: JsonObject, overlay: Overlay, file: string, notes: string[] = []): void {
  overlay.actions.forEach((action, i) => {
    const label = `${file}: action #${i + 1} (${action.description.split("\n")[0]!.slice(0, 80).trim()})`;
    const selected = select(doc, parsePath(action.target, label), action["x-follow-refs"] === true);
    if (selected.length === 0 && action["x-fill-only"] === true) {
      // Knowledge the pages add where the document lacks it: a document without the place to put it is noted, not refused.
      notes.push(`not kept from the reference pages (the document has no ${action.target}): ${action.description}`);
      return;
    }
    if (selected.length === 0) {
      throw new SpecError(
        `${label} selects nothing: ${action.target}; the document changed, so look at the correction again`,
      );
    }
    for (const { parent, key, node } of selected) {
      if (action.remove === true) {
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else if (parent !== undefined) delete parent[key as string];
        else throw new SpecError(`${label}: cannot remove the whole document`);
      } else if (Array.isArray(node)) {
        const entry = action.update!;
        if (!node.some((e) => sameEntry(e, entry))) node.push(clone(entry));
      } else if (isObject(node) && isObject(action.update!)) {
        if (action["x-fill-only"] === true) {
          for (const key of fill(node, action.update))
            notes.push(`kept from the reference pages (the document lacks it): ${action.target} ${key}`);
        } else merge(node, action.update);
      } else {
        throw new SpecError(
          `${label}: the target is ${Array.isArray(node) ? "an array" : typeof node}, and update must be an object to merge into it`,
        );
      }
    }
  });
}

/** Merges `update` into `target`: objects key by key, to any depth; any other value replaces. */
function merge(target: JsonObject, update: JsonObject): void {
  for (const [key, value] of Object.entries(update)) {
    const current = target[key];
    if (isObject(current) && isObject(value)) merge(current, value);
    else target[key] = clone(value);
  }
}

/** Adds the keys of `update` that `target` lacks; one it has stays as it is, whole. Returns the keys added. */
function fill(target: JsonObject, update: JsonObject): string[] {
  const added: string[] = [];
  for (const [key, value] of Object.entries(update)) {
    if (target[key] !== undefined) continue;
    target[key] = clone(value);
    added.push(key);
  }
  return added;
}

function sameEntry(existing: Json, entry: Json): boolean {
  if (deepEqual(existing, entry)) return true;
  return (
    isObject(existing) &&
    isObject(entry) &&
    entry.name !== undefined &&
    existing.name === entry.name &&
    existing.in === entry.in
  );
}
