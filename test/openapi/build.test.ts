import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import * as prettier from "prettier";
import { parse } from "yaml";
import {
  type BuildConfig,
  type Fragment,
  buildSpec,
  camelCase,
  parseBuildConfig,
} from "../../scripts/openapi/build.ts";
import { type Overlay, type OverlayAction, parseOverlay } from "../../scripts/openapi/overlay.ts";
import { normalizeDialect } from "../../scripts/openapi/dialect.ts";
import { type Json, type JsonObject, SpecError } from "../../scripts/openapi/json.ts";
import {
  ROOT,
  SPEC_FILE,
  buildFromRecord,
  loadBuildConfig,
  loadOverlay,
  parseDocument,
  readFragments,
  readRecord,
  serializeSpec,
} from "../../scripts/openapi/io.ts";
import { extractFragments, slug } from "../../scripts/import-pages.ts";

const OPERATIONS: BuildConfig["operations"] = [
  { method: "get", path: "/items", operationId: "listItems" },
  { method: "get", path: "/items/{id}/audio", operationId: "getItemAudio" },
];

/** A minimal build configuration for the small inputs below; the real file is tested separately. */
function patches(over: Partial<BuildConfig> = {}): BuildConfig {
  return {
    info: { title: "T", version: "1" },
    servers: [{ url: "https://example.test" }],
    operations: OPERATIONS,
    security: { scheme: "ApiKeyAuth", header: "xi-api-key" },
    validationError: {
      schema: "HTTPValidationError",
      schemas: {
        HTTPValidationError: {
          type: "object",
          properties: { detail: { type: "array", items: { $ref: "#/components/schemas/ValidationError" } } },
        },
        ValidationError: { type: "object", properties: { msg: { type: "string" } } },
      },
    },
    resolve: {},
    ...over,
  };
}

/** An overlay of `actions` (a no-op action when there are none: an overlay lists at least one). */
function overlay(...actions: OverlayAction[]): Overlay {
  return {
    overlay: "1.0.0",
    info: { title: "t", version: "1" },
    actions: actions.length > 0 ? actions : [{ target: "$.info", description: "nothing", update: {} }],
  };
}

const keyParam = { name: "xi-api-key", in: "header", required: true, schema: { type: "string" } };

function op(extra: JsonObject = {}): JsonObject {
  return {
    operationId: "get",
    tags: [["a", "a/b"]],
    parameters: [keyParam],
    responses: {
      "200": { description: "ok", content: { "application/json": { schema: { $ref: "#/components/schemas/Item" } } } },
      "422": { description: "Validation Error", content: {} },
    },
    ...extra,
  };
}

function fragment(name: string, paths: JsonObject, schemas: JsonObject = {}): Fragment {
  return { name, doc: { openapi: "3.1.1", info: { title: name, version: "x" }, paths, components: { schemas } } };
}

const item = { type: "object", properties: { id: { type: "string" } } };

/** Two fragments covering OPERATIONS; `listExtra` is merged into the list operation. */
function basicFragments(listSchemas: JsonObject = { Item: item }): Fragment[] {
  return [
    fragment("a.yaml", { "/items": { get: op() } }, listSchemas),
    fragment("b.yaml", { "/items/{id}/audio": { get: op({ responses: { "200": { description: "ok" } } }) } }, {}),
  ];
}

function build(fragments: Fragment[], p: BuildConfig = patches(), o: Overlay = overlay()): JsonObject {
  return buildSpec({ kind: "fragments", fragments }, p, o);
}

const at = (doc: Json, ...keys: string[]): Json | undefined =>
  keys.reduce<Json | undefined>((n, k) => (n && typeof n === "object" ? (n as JsonObject)[k] : undefined), doc);

describe("dialect", () => {
  it("unwraps enum members written as objects", () => {
    const out = normalizeDialect({ S: { type: "string", enum: [{ value: "success" }, { value: "failure" }] } }, "t");
    expect(out.S).toEqual({ type: "string", enum: ["success", "failure"] });
  });

  it("turns a stringLiteral enum into a constant the server always sends", () => {
    const out = normalizeDialect(
      { p: { type: "string", enum: [{ type: "stringLiteral", value: "webhook" }], description: "d" } },
      "t",
    );
    expect(out.p).toEqual({ type: "string", const: "webhook", default: "webhook", description: "d" });
  });

  it("leaves plain enums and a property named enum alone", () => {
    const doc = {
      properties: { enum: { type: ["array", "null"], items: { type: "string" } }, e: { enum: ["a", "b"] } },
    };
    expect(normalizeDialect(structuredClone(doc), "t")).toEqual(doc);
  });

  it("refuses an object member without a value, naming the file and place", () => {
    expect(() => normalizeDialect({ S: { enum: [{ name: "x" }] } }, "page.yaml")).toThrow(/page\.yaml: \/S\/enum/);
  });

  it("flattens nested tag lists", () => {
    expect(normalizeDialect({ get: { tags: [["a", "a/b"], "c"] } }, "t")).toEqual({ get: { tags: ["a", "a/b", "c"] } });
  });
});

describe("merging fragments", () => {
  it("merges a component repeated across pages into one", () => {
    const fragments = basicFragments();
    fragments[1]!.doc.components = { schemas: { Item: structuredClone(item) } };
    const doc = build(fragments);
    expect(at(doc, "components", "schemas", "Item")).toEqual(item);
  });

  it("refuses one name with two bodies, naming both sources", () => {
    const fragments = basicFragments();
    fragments[1]!.doc.components = { schemas: { Item: { type: "object", properties: { id: { type: "integer" } } } } };
    expect(() => build(fragments)).toThrow(/components\.schemas\.Item is defined differently in a\.yaml and b\.yaml/);
  });

  it("lets a resolve entry choose the body, with a reason", () => {
    const other = { type: "object", properties: { id: { type: "integer" } } };
    const fragments = basicFragments();
    fragments[1]!.doc.components = { schemas: { Item: other } };
    const doc = build(fragments, patches({ resolve: { Item: { source: "b.yaml", reason: "b is newer" } } }));
    expect(at(doc, "components", "schemas", "Item")).toEqual(other);
  });

  it("merges one operation from two pages, keeping a default only one has, in either order", () => {
    const withDefault = op({
      parameters: [keyParam, { name: "flag", in: "query", schema: { type: "boolean", default: false } }],
    });
    const without = op({ parameters: [keyParam, { name: "flag", in: "query", schema: { type: "boolean" } }] });
    const audio = fragment("z.yaml", { "/items/{id}/audio": { get: op() } });
    const one = build([
      fragment("p1.yaml", { "/items": { get: withDefault } }, { Item: item }),
      fragment("p2.yaml", { "/items": { get: without } }),
      audio,
    ]);
    const two = build([
      fragment("p1.yaml", { "/items": { get: without } }, { Item: item }),
      fragment("p2.yaml", { "/items": { get: withDefault } }),
      audio,
    ]);
    const flag = (doc: JsonObject) =>
      (at(doc, "paths", "/items", "get", "parameters") as JsonObject[]).find((p) => p.name === "flag");
    expect(flag(one)?.schema).toEqual({ type: "boolean", default: false });
    expect(flag(two)?.schema).toEqual({ type: "boolean", default: false });
  });

  it("refuses one operation whose pages disagree, naming both", () => {
    const fragments = [
      ...basicFragments(),
      fragment("c.yaml", { "/items": { get: op({ summary: "other" }) } }),
      fragment("d.yaml", { "/items": { get: op({ summary: "mine" }) } }),
    ];
    expect(() => build(fragments)).toThrow(/GET \/items summary differs between c\.yaml .* and d\.yaml/);
  });

  it("refuses a $ref that resolves nowhere, naming the page", () => {
    const fragments = basicFragments({});
    expect(() => build(fragments)).toThrow(/a\.yaml: \$ref #\/components\/schemas\/Item at .* does not resolve/);
  });

  it("refuses an overlay action that adds a broken $ref", () => {
    const o = overlay({
      target: "$.paths['/items'].get",
      description: "r",
      update: { "x-extra": { $ref: "#/components/schemas/Nope" } },
    });
    expect(() => build(basicFragments(), patches(), o)).toThrow(/unresolved \$ref: #\/components\/schemas\/Nope/);
  });
});

describe("corrections", () => {
  const audio: OverlayAction = {
    target: "$.paths['/items/{id}/audio'].get.responses['200']",
    description: "audio",
    update: { content: { "audio/mpeg": { schema: { type: "string", format: "binary" } } } },
  };
  const branch: OverlayAction = {
    target: "$.paths['/items'].get.parameters",
    description: "extra param",
    update: { name: "branch_id", in: "query", required: false, schema: { type: "string" } },
  };
  const doc = build(basicFragments(), patches(), overlay(audio, branch));

  it("gives every operation its unique camelCase id", () => {
    expect(at(doc, "paths", "/items", "get", "operationId")).toBe("listItems");
    expect(at(doc, "paths", "/items/{id}/audio", "get", "operationId")).toBe("getItemAudio");
  });

  it("turns the xi-api-key header into a security scheme on every operation", () => {
    expect(at(doc, "components", "securitySchemes", "ApiKeyAuth")).toEqual({
      type: "apiKey",
      in: "header",
      name: "xi-api-key",
    });
    for (const p of ["/items", "/items/{id}/audio"]) {
      expect(at(doc, "paths", p, "get", "security")).toEqual([{ ApiKeyAuth: [] }]);
      const params = (at(doc, "paths", p, "get", "parameters") ?? []) as JsonObject[];
      expect(params.map((x) => x.name)).not.toContain("xi-api-key");
    }
  });

  it("gives empty 422 responses the validation-error schema", () => {
    expect(at(doc, "paths", "/items", "get", "responses", "422", "content")).toEqual({
      "application/json": { schema: { $ref: "#/components/schemas/HTTPValidationError" } },
    });
    expect(at(doc, "components", "schemas", "ValidationError")).toBeDefined();
  });

  it("applies the overlay's actions: the audio content and an extra parameter", () => {
    expect(at(doc, "paths", "/items/{id}/audio", "get", "responses", "200", "content")).toEqual({
      "audio/mpeg": { schema: { type: "string", format: "binary" } },
    });
    const params = at(doc, "paths", "/items", "get", "parameters") as JsonObject[];
    expect(params.filter((x) => x.name === "branch_id")).toHaveLength(1);
  });

  it("merges into what is there: an audio/mpeg without a schema gets one; a parameter is not added twice", () => {
    const fragments = basicFragments();
    const audioOp = at(fragments[1]!.doc, "paths", "/items/{id}/audio", "get") as JsonObject;
    (audioOp.responses as JsonObject)["200"] = { description: "ok", content: { "audio/mpeg": {} } };
    const twice = build(fragments, patches(), overlay(audio, branch, branch));
    expect(at(twice, "paths", "/items/{id}/audio", "get", "responses", "200", "content")).toEqual({
      "audio/mpeg": { schema: { type: "string", format: "binary" } },
    });
    const params = at(twice, "paths", "/items", "get", "parameters") as JsonObject[];
    expect(params.filter((x) => x.name === "branch_id")).toHaveLength(1);
  });

  it("follows a $ref on the way with x-follow-refs, so an action need not name the component", () => {
    const o = overlay({
      target: "$.paths['/items'].get.responses['200'].content['application/json'].schema.properties",
      description: "observed field",
      "x-follow-refs": true,
      update: { extra: { type: "string" } },
    });
    expect(at(build(basicFragments(), patches(), o), "components", "schemas", "Item", "properties", "extra")).toEqual({
      type: "string",
    });
  });

  it("selects by a filter, and removes", () => {
    const o = overlay(
      branch,
      {
        target: "$.paths['/items'].get.parameters[?@.name == 'branch_id'].schema",
        description: "bound",
        update: { maxLength: 9 },
      },
      { target: "$.paths['/items'].get.summary", description: "drop", remove: true },
    );
    const fragments = basicFragments();
    (at(fragments[0]!.doc, "paths", "/items", "get") as JsonObject).summary = "s";
    const built = build(fragments, patches(), o);
    const params = at(built, "paths", "/items", "get", "parameters") as JsonObject[];
    expect(params.find((x) => x.name === "branch_id")?.schema).toEqual({ type: "string", maxLength: 9 });
    expect(at(built, "paths", "/items", "get", "summary")).toBeUndefined();
  });

  it("refuses an action whose target selects nothing, naming it", () => {
    const o = overlay({ target: "$.paths['/gone'].get", description: "the gone one", update: { x: 1 } });
    expect(() => build(basicFragments(), patches(), o)).toThrow(/action #1 \(the gone one\) selects nothing/);
  });

  it("refuses an operation listed in the table but missing from the input", () => {
    const p = patches({ operations: [...OPERATIONS, { method: "post", path: "/other", operationId: "makeOther" }] });
    expect(() => build(basicFragments(), p)).toThrow(/lacks POST \/other/);
  });

  it("camelCases foreign operation ids", () => {
    expect(camelCase("get_conversation_token_v1_convai_conversation_token_get")).toBe(
      "getConversationTokenV1ConvaiConversationTokenGet",
    );
    expect(camelCase("get-signed-url")).toBe("getSignedUrl");
  });
});

describe("build and overlay files", () => {
  it("refuses an action without a description, or with neither update nor remove", () => {
    const base = { overlay: "1.0.0", info: { title: "t", version: "1" } };
    expect(() => parseOverlay({ ...base, actions: [{ target: "$.paths", update: {} }] }, "o.yaml")).toThrow(
      /action #1 has no description/,
    );
    expect(() => parseOverlay({ ...base, actions: [{ target: "$.paths", description: "d" }] }, "o.yaml")).toThrow(
      /needs update or remove/,
    );
    expect(() =>
      parseOverlay({ ...base, actions: [{ target: "paths", description: "d", update: {} }] }, "o.yaml"),
    ).toThrow(/must start with \$/);
    expect(() => parseOverlay({ ...base, overlay: "2.0.0", actions: [] }, "o.yaml")).toThrow(/overlay must be 1\.0/);
  });

  it("refuses a repeated or non-camelCase operationId, and patches left in the build file", () => {
    const dup = { ...patches(), operations: [OPERATIONS[0], OPERATIONS[0]] };
    expect(() => parseBuildConfig(dup)).toThrow(/used twice/);
    const bad = { ...patches(), operations: [{ method: "get", path: "/x", operationId: "get-x" }] };
    expect(() => parseBuildConfig(bad)).toThrow(/not camelCase/);
    expect(() => parseBuildConfig({ ...patches(), patches: [] })).toThrow(/moved to openapi\/overlay\.yaml/);
  });
});

describe("standard documents", () => {
  const fixture = path.join(ROOT, "test/fixtures/standard-openapi.yaml");

  async function fromFixture(all = false) {
    const p = await loadBuildConfig();
    const doc = parseDocument(await readFile(fixture, "utf8"), "standard-openapi.yaml");
    return buildSpec({ kind: "standard", name: "standard-openapi.yaml", doc, all }, p, await loadOverlay());
  }

  it("keeps the eight operations and the schemas they reach", async () => {
    const doc = await fromFixture();
    const ids = Object.values(doc.paths as JsonObject).flatMap((item) =>
      Object.values(item as JsonObject).map((o) => (o as JsonObject).operationId),
    );
    expect(ids.sort()).toEqual(
      [
        "deleteConversation",
        "getAgentLink",
        "getConversation",
        "getConversationAudio",
        "getConversationToken",
        "getSignedUrl",
        "listConversations",
        "sendConversationFeedback",
      ].sort(),
    );
    const schemas = Object.keys(at(doc, "components", "schemas") as JsonObject);
    expect(schemas).not.toContain("Unused");
    expect(schemas).not.toContain("Voices");
    expect(schemas).toContain("Analysis");
  });

  it("keeps everything with --all, with unique camelCase ids", async () => {
    const doc = await fromFixture(true);
    expect(at(doc, "paths", "/v1/voices", "get", "operationId")).toBe("getVoices");
    expect(Object.keys(at(doc, "components", "schemas") as JsonObject)).toContain("Unused");
  });

  it("keeps anyOf-null nullables and the 422 the document already has", async () => {
    const doc = await fromFixture();
    expect(at(doc, "components", "schemas", "Conversation", "properties", "analysis")).toEqual({
      anyOf: [{ $ref: "#/components/schemas/Analysis" }, { type: "null" }],
    });
    expect(at(doc, "paths", "/v1/convai/conversations", "get", "responses", "422")).toEqual({
      $ref: "#/components/responses/Unprocessable",
    });
    const params = at(doc, "paths", "/v1/convai/conversation/token", "get", "parameters") as JsonObject[];
    expect(params.map((x) => x.name)).toEqual(["agent_id", "participant_name", "branch_id"]);
  });

  it("reads JSON as well as YAML, to the same document", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "convai-spec-"));
    const json = path.join(dir, "openapi.json");
    await writeFile(json, JSON.stringify(parse(await readFile(fixture, "utf8"))));
    const fromJson = await buildFromRecord({ from: path.relative(ROOT, json) });
    const fromYaml = await buildFromRecord({ from: path.relative(ROOT, fixture) });
    delete fromJson["x-build"];
    delete fromYaml["x-build"];
    expect(fromJson).toEqual(fromYaml);
  });

  it("rewrites OpenAPI 3.0 nullable the 3.1 way", async () => {
    const p = await loadBuildConfig();
    const doc = parseDocument(await readFile(fixture, "utf8"), "f");
    doc.openapi = "3.0.3";
    (doc.components as JsonObject).schemas = {
      ...((doc.components as JsonObject).schemas as JsonObject),
      Summary: {
        type: "object",
        properties: {
          conversation_id: { type: "string" },
          status: { $ref: "#/components/schemas/Status" },
          call_summary_title: { type: "string", nullable: true },
          direction: { allOf: [{ $ref: "#/components/schemas/Status" }], nullable: true },
        },
      },
    };
    const out = buildSpec({ kind: "standard", name: "f", doc }, p, await loadOverlay());
    expect(at(out, "openapi")).toBe("3.1.1");
    expect(at(out, "components", "schemas", "Summary", "properties", "call_summary_title")).toEqual({
      type: ["string", "null"],
    });
    expect(at(out, "components", "schemas", "Summary", "properties", "direction")).toEqual({
      anyOf: [{ allOf: [{ $ref: "#/components/schemas/Status" }] }, { type: "null" }],
    });
  });

  it("refuses a document that is not OpenAPI 3", async () => {
    const p = await loadBuildConfig();
    const o = await loadOverlay();
    expect(() => buildSpec({ kind: "standard", name: "x.json", doc: { swagger: "2.0" } }, p, o)).toThrow(SpecError);
  });
});

describe("openapi/convai.yaml", () => {
  it("is built deterministically: two runs give identical bytes, equal to the checked-in file", async () => {
    const checkedIn = await readFile(path.join(ROOT, SPEC_FILE), "utf8");
    const record = readRecord(parse(checkedIn) as JsonObject);
    const first = serializeSpec(await buildFromRecord(record));
    const second = serializeSpec(await buildFromRecord(record));
    expect(second).toBe(first);
    expect(checkedIn).toBe(first);
  });

  it("is written already in prettier's style, from the fragments and from a standard document", async () => {
    const options = {
      ...(await prettier.resolveConfig(path.join(ROOT, SPEC_FILE))),
      filepath: path.join(ROOT, SPEC_FILE),
    };
    for (const from of ["openapi/source", "test/fixtures/standard-openapi.yaml"]) {
      const text = serializeSpec(await buildFromRecord({ from }));
      expect(await prettier.format(text, options)).toBe(text);
    }
  });

  it("does not depend on the order the fragments are read in", async () => {
    const p = await loadBuildConfig();
    const fragments = await readFragments(path.join(ROOT, "openapi/source"));
    const forward = buildSpec({ kind: "fragments", fragments }, p, await loadOverlay());
    const backward = buildSpec({ kind: "fragments", fragments: [...fragments].reverse() }, p, await loadOverlay());
    expect(JSON.stringify(backward)).toBe(JSON.stringify(forward));
  });

  it("holds no enum member that is an object, and all eight operations", async () => {
    const text = await readFile(path.join(ROOT, SPEC_FILE), "utf8");
    const doc = parse(text) as JsonObject;
    const objectMembers: string[] = [];
    JSON.stringify(doc, (key, value: unknown) => {
      if (key === "enum" && Array.isArray(value) && value.some((v) => typeof v === "object" && v !== null)) {
        objectMembers.push(JSON.stringify(value));
      }
      return value;
    });
    expect(objectMembers).toEqual([]);
    const ops = Object.entries(doc.paths as JsonObject).flatMap(([p, item]) =>
      Object.keys(item as JsonObject).map((m) => `${m.toUpperCase()} ${p}`),
    );
    // The eight of the facade, and the other conversation operations of the document (typed for convai.api).
    const { operations } = await loadBuildConfig();
    expect(ops).toEqual(
      expect.arrayContaining(operations.filter((o) => !o.optional).map((o) => `${o.method.toUpperCase()} ${o.path}`)),
    );
    expect(
      ops.every((op) => /^\w+ \/v1\/convai\/(conversations?\/|conversations$|agents\/\{agent_id\}\/link$)/.test(op)),
    ).toBe(true);
    expect(at(doc, "paths", "/v1/convai/conversation/get-signed-url", "get", "parameters")).toContainEqual(
      expect.objectContaining({
        name: "include_conversation_id",
        schema: expect.objectContaining({ type: "boolean", default: false }),
      }),
    );
  });
});

describe("importing reference pages", () => {
  it("takes each page's yaml block under its title, byte for byte", () => {
    const page = [
      "# List things",
      "",
      "```yaml",
      "openapi: 3.1.1",
      "paths: {}",
      "```",
      "```typescript",
      "const x = 1;",
      "```",
      "# Get thing",
      "```yaml",
      "openapi: 3.1.1",
      "info: {}",
      "```",
    ].join("\n");
    expect(extractFragments(page)).toEqual([
      { title: "List things", yaml: "openapi: 3.1.1\npaths: {}\n" },
      { title: "Get thing", yaml: "openapi: 3.1.1\ninfo: {}\n" },
    ]);
    expect(slug("Get conversation token")).toBe("get-conversation-token");
  });
});
