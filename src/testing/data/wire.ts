/**
 * What the emulator's data builders write: JSON shaped like the API's bodies, typed loosely on
 * purpose. Each body is shaped to the spec the emulator was generated from when it is served
 * (state/conform.ts), so a field a version of the document adds, requires or drops changes
 * nothing here, and nothing here stops the package from compiling against another version.
 */
export type Wire = { [field: string]: unknown };

/**
 * A built body as the type the spec gives it. True once conformed, which the server does before
 * sending; the builders' own reads go through fields every version has (see openapi/relies-on.yaml).
 */
export function asSpec<T>(body: Wire): T {
  return body as T;
}
