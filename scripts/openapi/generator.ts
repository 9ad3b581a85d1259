/**
 * openapi-typescript and the TypeScript compiler API, loaded on first use and with `require`.
 *
 * Both are CommonJS underneath (openapi-typescript ships a `.cjs` build next to its `.mjs`, which
 * imports `typescript`, a 9 MB CommonJS file). An ESM `import` of a CommonJS module makes Node scan
 * its source for export names, and under tsx (how every script runs) the source also travels
 * through tsx's loader thread first: importing them cost about 2.7 s of CPU, `require` 0.7 s, on
 * the same machine (measured with `process.cpuUsage()` in one process each). Lazily: a build that
 * the compatibility report stops never loads them.
 *
 * `generate` is `openapiTS(doc, { silent: true, ...options })` without its first step, in which
 * Redocly lints the document with its minimal rules and bundles it: loading Redocly and walking
 * the document twice was a quarter of build:spec's CPU time, and neither changes a document
 * whose references are all local (checkRefs) and which `lint:spec` lints with stricter rules. It
 * calls openapi-typescript's own transform with the context `openapiTS` builds, from the files of
 * its CommonJS build (openapi-typescript is pinned; a test holds `generate` to `openapiTS`'s output).
 */
import { createRequire } from "node:module";
import type * as OpenapiTypescript from "openapi-typescript";
import type * as TypeScript from "typescript";

const load = createRequire(import.meta.url);

/** The options of `openapiTS` the pipeline uses besides `silent` (always on). */
export type GenerateOptions = Pick<OpenapiTypescript.OpenAPITSOptions, "transform" | "transformProperty">;

interface Generator {
  transformSchema(schema: unknown, ctx: object): TypeScript.Node[];
  astToString: (typeof OpenapiTypescript)["astToString"];
  scanDiscriminators(schema: unknown, options: object): object;
  resolveRef(schema: unknown, ref: string, options: { silent: boolean }): unknown;
}

let generator: Generator | undefined;
let compiler: typeof TypeScript | undefined;

function parts(): Generator {
  if (generator) return generator;
  const utils = load("openapi-typescript/dist/lib/utils.cjs") as Pick<Generator, "scanDiscriminators" | "resolveRef">;
  return (generator = {
    transformSchema: load("openapi-typescript/dist/transform/index.cjs") as Generator["transformSchema"],
    astToString: (load("openapi-typescript/dist/lib/ts.cjs") as Pick<Generator, "astToString">).astToString,
    scanDiscriminators: utils.scanDiscriminators,
    resolveRef: utils.resolveRef,
  });
}

/** What `openapiTS(doc, { silent: true, ...options })` returns, for a document with local references only. */
export function generate(doc: object, { transform, transformProperty }: GenerateOptions = {}): TypeScript.Node[] {
  const { transformSchema, scanDiscriminators, resolveRef } = parts();
  const options = {
    silent: true,
    ...(transform ? { transform } : {}),
    ...(transformProperty ? { transformProperty } : {}),
  };
  // The context openapiTS (openapi-typescript 7.13.0, dist/index.cjs) builds from these options.
  const ctx = {
    additionalProperties: false,
    alphabetize: false,
    arrayLength: false,
    defaultNonNullable: true,
    discriminators: scanDiscriminators(doc, options),
    emptyObjectsUnknown: false,
    enum: false,
    enumValues: false,
    conditionalEnums: false,
    dedupeEnums: false,
    excludeDeprecated: false,
    exportType: false,
    immutable: false,
    rootTypes: false,
    rootTypesNoSchemaPrefix: false,
    rootTypesKeepCasing: false,
    injectFooter: [],
    pathParamsAsTypes: false,
    postTransform: undefined,
    propertiesRequiredByDefault: false,
    redoc: undefined,
    silent: true,
    inject: undefined,
    transform,
    transformProperty,
    makePathsEnum: false,
    generatePathParams: false,
    readWriteMarkers: false,
    resolve: (ref: string) => resolveRef(doc, ref, { silent: true }),
  };
  return transformSchema(doc, ctx);
}

/** openapi-typescript's printer. */
export function astToString(nodes: TypeScript.Node[]): string {
  return parts().astToString(nodes);
}

/** The TypeScript compiler API: the same module instance openapi-typescript's nodes come from. */
export function typescript(): typeof TypeScript {
  return (compiler ??= load("typescript") as typeof TypeScript);
}
