/**
 * Request validation that answers the way the API's FastAPI server does: a 422 whose `detail`
 * lists every problem with its location (`["query", "page_size"]`), a message and a type.
 */
import type { ValidationIssue } from "../../types.ts";

/** One entry of a 422 `detail`, with the offending `input` as FastAPI adds it. */
export type Issue = ValidationIssue & { input?: unknown };

const TRUE = new Set(["true", "1", "yes", "on", "t", "y"]);
const FALSE = new Set(["false", "0", "no", "off", "f", "n"]);
const INTEGER = /^[+-]?\d+$/;

/**
 * Reads typed query parameters and collects what is wrong with them. A repeated scalar
 * parameter counts by its last value, as in FastAPI.
 *
 * @example
 * const query = new QueryReader(url.searchParams);
 * const size = query.integer("page_size", { min: 1, max: 100 }) ?? 30;
 * if (query.issues.length > 0) return unprocessable(query.issues);
 */
export class QueryReader {
  readonly issues: Issue[] = [];
  readonly #params: URLSearchParams;

  constructor(params: URLSearchParams) {
    this.#params = params;
  }

  string(name: string): string | undefined {
    return this.#params.getAll(name).at(-1);
  }

  /** A required string: records `missing` when absent. */
  required(name: string): string {
    const value = this.string(name);
    if (value === undefined) this.issues.push({ loc: ["query", name], msg: "Field required", type: "missing" });
    return value ?? "";
  }

  list(name: string): string[] {
    return this.#params.getAll(name);
  }

  integer(name: string, bounds: { min?: number; max?: number } = {}): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const value = Number(raw.trim());
    if (!INTEGER.test(raw.trim()) || !Number.isSafeInteger(value)) {
      this.#issue(name, "int_parsing", "Input should be a valid integer, unable to parse string as an integer", raw);
      return undefined;
    }
    if (bounds.min !== undefined && value < bounds.min) {
      this.#issue(name, "greater_than_equal", `Input should be greater than or equal to ${bounds.min}`, raw);
      return undefined;
    }
    if (bounds.max !== undefined && value > bounds.max) {
      this.#issue(name, "less_than_equal", `Input should be less than or equal to ${bounds.max}`, raw);
      return undefined;
    }
    return value;
  }

  boolean(name: string): boolean | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const key = raw.trim().toLowerCase();
    if (TRUE.has(key)) return true;
    if (FALSE.has(key)) return false;
    this.#issue(name, "bool_parsing", "Input should be a valid boolean, unable to interpret input", raw);
    return undefined;
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    if ((values as readonly string[]).includes(raw)) return raw as T;
    this.#issue(name, "enum", `Input should be ${enumList(values)}`, raw);
    return undefined;
  }

  /** Records a problem found by the caller's own checks. */
  invalid(name: string, message: string, input: unknown): void {
    this.#issue(name, "value_error", `Value error, ${message}`, input);
  }

  #issue(name: string, type: string, msg: string, input: unknown): void {
    this.issues.push({ loc: ["query", name], msg, type, input });
  }
}

/**
 * Quoted values joined the way pydantic words an enum error.
 *
 * @example
 * enumList(["like", "dislike"]); // "'like' or 'dislike'"
 */
export function enumList(values: readonly string[]): string {
  const quoted = values.map((v) => `'${v}'`);
  return quoted.length > 1 ? `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}` : (quoted[0] ?? "");
}
