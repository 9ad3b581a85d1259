/**
 * Checks a query or a JSON body against what the spec says the operation takes (the generated
 * table in src/generated/operations.ts), before any request: unknown names, wrong types, values
 * outside an enum or its bounds, an object where a value belongs. A filter the API adds is
 * accepted as soon as the types are regenerated; one it removes is refused by name.
 */
import { LONE_SURROGATE, describe } from "./input.ts";

/** What one parameter or body field takes (the generated table's shape). */
export interface ValueSpec {
  readonly type: "string" | "integer" | "number" | "boolean" | "any";
  readonly array?: true;
  readonly enum?: readonly (string | number | boolean)[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly required?: true;
  readonly nullable?: true;
}

/** The longest string sent in a query: a URL much longer is refused by servers, with an error that echoes it. */
export const MAX_QUERY_VALUE_LENGTH = 4096;

/**
 * Throws a `TypeError`/`RangeError` naming the first value `values` may not hold under `specs`.
 * `where` names the method, `kind` the place ("query parameter", "body field").
 */
export function checkValues(
  where: string,
  kind: "query parameter" | "body field",
  specs: Readonly<Record<string, ValueSpec>>,
  values: unknown,
): void {
  if (values === undefined) values = {};
  if (values === null || typeof values !== "object" || Array.isArray(values)) {
    throw new TypeError(
      `${where}: ${kind === "query parameter" ? "query" : "body"} must be an object, got ${describe(values)}`,
    );
  }
  const record = values as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    if (!Object.hasOwn(specs, name)) {
      const known = Object.keys(specs);
      throw new TypeError(
        `${where}: unknown ${kind} ${JSON.stringify(name.slice(0, 100))}` +
          (known.length > 0 ? `; the API takes ${known.join(", ")}` : "; the API takes none"),
      );
    }
    const value = record[name];
    if (value === undefined) continue;
    const spec = specs[name]!;
    // null leaves a query parameter out (it is not sent); in a body, only a nullable field takes it.
    if (value === null) {
      if (kind === "body field" && !spec.nullable) throw new TypeError(`${where}: ${name} may not be null`);
      continue;
    }
    if (spec.array) {
      if (!Array.isArray(value)) throw new TypeError(`${where}: ${name} must be an array, got ${describe(value)}`);
      value.forEach((item, i) => checkValue(where, `${name}[${i}]`, spec, item, kind));
    } else checkValue(where, name, spec, value, kind);
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.required && record[name] === undefined) throw new TypeError(`${where}: ${name} is required`);
  }
}

function checkValue(where: string, name: string, spec: ValueSpec, value: unknown, kind: string): void {
  const fail = (expected: string): never => {
    throw new TypeError(`${where}: ${name} must be ${expected}, got ${describe(value)}`);
  };
  switch (spec.type) {
    case "string":
      if (typeof value !== "string") fail("a string");
      break;
    case "integer":
      if (typeof value !== "number" || !Number.isSafeInteger(value)) fail("an integer");
      break;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) fail("a finite number");
      break;
    case "boolean":
      if (typeof value !== "boolean") fail("true or false");
      break;
    default:
      // Untyped: anything JSON in a body; in a query only what a query can carry.
      if (kind === "query parameter" && typeof value === "object") fail("a string, a number or a boolean");
  }
  if (spec.enum !== undefined && !spec.enum.includes(value as string)) {
    throw new TypeError(
      `${where}: ${name} must be one of ${spec.enum.map((v) => JSON.stringify(v)).join(", ")}, got ${describe(value)}`,
    );
  }
  if (typeof value === "number") {
    const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = spec;
    if (
      (minimum !== undefined && value < minimum) ||
      (maximum !== undefined && value > maximum) ||
      (exclusiveMinimum !== undefined && value <= exclusiveMinimum) ||
      (exclusiveMaximum !== undefined && value >= exclusiveMaximum)
    ) {
      const low =
        minimum !== undefined ? `from ${minimum}` : exclusiveMinimum !== undefined ? `above ${exclusiveMinimum}` : "";
      const high =
        maximum !== undefined ? `to ${maximum}` : exclusiveMaximum !== undefined ? `below ${exclusiveMaximum}` : "";
      throw new RangeError(`${where}: ${name} must be ${[low, high].filter(Boolean).join(" ")}, got ${value}`);
    }
  }
  if (typeof value === "string" && kind === "query parameter") {
    if (value.length > MAX_QUERY_VALUE_LENGTH) {
      throw new RangeError(
        `${where}: ${name} is ${value.length} characters long; a query value is at most ${MAX_QUERY_VALUE_LENGTH}`,
      );
    }
    if (LONE_SURROGATE.test(value))
      throw new TypeError(`${where}: ${name} has a lone surrogate (broken UTF-16) and cannot be sent`);
  }
}
