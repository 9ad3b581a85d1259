/** Every request body's defaulted fields may be left out in the generated types; responses keep theirs present. */
import { describe, expect, it } from "vitest";
import { generateTypes } from "../../scripts/openapi/io.ts";
import type { JsonObject } from "../../scripts/openapi/json.ts";

const body = (ref: string) => ({
  content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } },
});

const DOC: JsonObject = {
  openapi: "3.1.0",
  info: { title: "defaults", version: "1" },
  paths: {
    "/things": {
      post: {
        operationId: "createThing",
        requestBody: { required: true, ...body("CreateThing") },
        responses: { "200": { description: "OK", ...body("Thing") } },
      },
      put: {
        operationId: "replaceThing",
        requestBody: { required: true, ...body("Shared") },
        responses: { "200": { description: "OK", ...body("Shared") } },
      },
    },
  },
  components: {
    schemas: {
      CreateThing: {
        type: "object",
        properties: {
          name: { type: "string" },
          kind: { $ref: "#/components/schemas/Kind", default: "plain" },
          size: { type: "integer", default: 1 },
          must: { type: "boolean", default: true },
          options: { $ref: "#/components/schemas/CreateOptions" },
          nested: { type: "object", properties: { depth: { type: "integer", default: 0 } } },
        },
        required: ["name", "must"],
      },
      CreateOptions: { type: "object", properties: { retries: { type: "integer", default: 3 } } },
      Kind: { type: "string", enum: ["plain", "fancy"] },
      Thing: { type: "object", properties: { id: { type: "string" }, size: { type: "integer", default: 1 } } },
      Shared: { type: "object", properties: { label: { type: "string", default: "x" } } },
    },
  },
};

/** The printed member `name` of the component `schema`, as one line (`name?: type;`). */
function member(types: string, schema: string, name: string): string {
  const start = types.indexOf(`        ${schema}: {`);
  const end = types.indexOf("\n        };", start);
  const line = types
    .slice(start, end)
    .split("\n")
    .find((l) => new RegExp(`^\\s+${name}\\??:`).test(l));
  return line?.trim() ?? `${name} not found in ${schema}`;
}

describe("request bodies and defaults", () => {
  it("prints a defaulted field of a schema only request bodies reach as optional, wherever it stands", async () => {
    const types = await generateTypes(structuredClone(DOC));
    expect(member(types, "CreateThing", "name")).toBe("name: string;");
    expect(member(types, "CreateThing", "kind")).toBe('kind?: components["schemas"]["Kind"];');
    expect(member(types, "CreateThing", "size")).toBe("size?: number;");
    expect(member(types, "CreateThing", "must")).toBe("must: boolean;"); // required stays required
    expect(member(types, "CreateThing", "depth")).toBe("depth?: number;");
    expect(member(types, "CreateOptions", "retries")).toBe("retries?: number;");
    // The @default is still documented.
    expect(types).toMatch(/@default 3\s+\*\/\s+retries\?: number;/);
  });

  it("keeps a defaulted field of a response present, also in a schema both directions share", async () => {
    const types = await generateTypes(structuredClone(DOC));
    expect(member(types, "Thing", "size")).toBe("size: number;");
    expect(member(types, "Shared", "label")).toBe("label: string;");
  });

  it("leaves the document it is given unchanged", async () => {
    const doc = structuredClone(DOC);
    await generateTypes(doc);
    expect(doc).toEqual(DOC);
  });
});
