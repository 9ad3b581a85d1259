import { readFile } from "node:fs/promises";
import path from "node:path";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ASYNCAPI_FILE } from "../../scripts/openapi/asyncapi.ts";
import { buildSpec } from "../../scripts/openapi/build.ts";
import { type GenerateOptions, generate } from "../../scripts/openapi/generator.ts";
import { ROOT, SPEC_FILE, loadBuildConfig, loadOverlay, parseDocument } from "../../scripts/openapi/io.ts";
import type { JsonObject } from "../../scripts/openapi/json.ts";

const binary = (schema: { format?: string }) =>
  schema.format === "binary" ? ts.factory.createTypeReferenceNode("BinaryBody") : undefined;

/** Every property optional, as a `transformProperty` may make one. */
const optional = (property: ts.PropertySignature) =>
  ts.factory.updatePropertySignature(
    property,
    property.modifiers,
    property.name,
    ts.factory.createToken(ts.SyntaxKind.QuestionToken),
    property.type,
  );

/** Both ways of generating, printed: openapi-typescript's own entry, and the pipeline's path without Redocly. */
async function both(doc: JsonObject, options: GenerateOptions = {}): Promise<[string, string]> {
  const theirs = astToString(await openapiTS(structuredClone(doc) as never, { silent: true, ...options }));
  const ours = astToString(generate(structuredClone(doc), options));
  return [ours, theirs];
}

describe("generating without Redocly's lint and bundle", () => {
  it("prints what openapiTS prints for the spec, with the binary transform", async () => {
    const spec = parseDocument(await readFile(path.join(ROOT, SPEC_FILE), "utf8"), SPEC_FILE);
    const [ours, theirs] = await both(spec, { transform: binary });
    expect(ours.length).toBeGreaterThan(10_000);
    expect(ours).toBe(theirs);
  });

  it("prints what openapiTS prints for a standard document built with --all, and for the socket's schemas", async () => {
    const fixture = parseDocument(await readFile(path.join(ROOT, "test/fixtures/standard-openapi.yaml"), "utf8"), "f");
    const built = buildSpec(
      { kind: "standard", name: "f", doc: fixture, all: true },
      await loadBuildConfig(),
      await loadOverlay(),
    );
    const [ours, theirs] = await both(built, { transform: binary, transformProperty: optional });
    expect(ours).toContain("?:");
    expect(ours).toBe(theirs);
    const asyncapi = parseDocument(await readFile(path.join(ROOT, ASYNCAPI_FILE), "utf8"), ASYNCAPI_FILE);
    const wrapped = {
      openapi: "3.1.0",
      info: { title: "t", version: "1" },
      paths: {},
      components: { schemas: (asyncapi.components as JsonObject).schemas! },
    };
    const [a, b] = await both(wrapped);
    expect(a).toBe(b);
  });
});
