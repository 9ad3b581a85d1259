/**
 * openapi-typescript and the TypeScript compiler API, loaded on first use and with `require`.
 *
 * Both are CommonJS underneath (openapi-typescript ships a `.cjs` build next to its `.mjs`, which
 * imports `typescript`, a 9 MB CommonJS file). An ESM `import` of a CommonJS module makes Node scan
 * its source for export names, and under tsx (how every script runs) the source also travels
 * through tsx's loader thread first: importing them cost about 2.7 s of CPU, `require` 0.7 s, on
 * the same machine (measured with `process.cpuUsage()` in one process each). Lazily: a build that
 * the compatibility report stops never loads them.
 */
import { createRequire } from "node:module";
import type * as OpenapiTypescript from "openapi-typescript";
import type * as TypeScript from "typescript";

const load = createRequire(import.meta.url);

let generator: typeof OpenapiTypescript | undefined;
let compiler: typeof TypeScript | undefined;

/** openapi-typescript's CommonJS build: `default` is `openapiTS`, as in its ESM build. */
export function openapiTypescript(): typeof OpenapiTypescript {
  return (generator ??= load("openapi-typescript") as typeof OpenapiTypescript);
}

/** The TypeScript compiler API: the same module instance openapi-typescript's nodes come from. */
export function typescript(): typeof TypeScript {
  return (compiler ??= load("typescript") as typeof TypeScript);
}
