/**
 * The evolution drill: scripted changes to a copy of openapi/convai.yaml, each regenerated with
 * `build:spec --from` into a scratch copy of the repository and type-checked there (the package,
 * the demo and a consumer; for additive changes the tests too). What each case must give is the
 * promise of "regenerate when the spec changes": it builds, or the report says in plain words what
 * the new document removed that the package relies on. Never a wall of compiler errors.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "../../scripts/lib/root.ts";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Json, JsonObject } from "../../scripts/openapi/json.ts";

const TSX = path.join(ROOT, "node_modules/tsx/dist/cli.mjs");
const TSC = path.join(ROOT, "node_modules/typescript/bin/tsc");
const exec = promisify(execFile);
const run = (cwd: string, args: string[]) =>
  exec(process.execPath, args, { cwd, maxBuffer: 64 * 1024 * 1024 }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

let scratch: string;
let spec: JsonObject;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "convai-drill-"));
  spec = parse(await readFile(path.join(ROOT, "openapi/convai.yaml"), "utf8")) as JsonObject;
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** A scratch copy of the repository (node_modules linked, not copied) with `doc` as the new published document. */
async function regenerate(name: string, doc: JsonObject) {
  const dir = path.join(scratch, name);
  for (const entry of [
    "src",
    "scripts",
    "openapi",
    "examples",
    "test",
    "package.json",
    "tsconfig.json",
    "vitest.config.ts",
  ]) {
    await cp(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  await symlink(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  await writeFile(path.join(dir, "published.json"), JSON.stringify(doc));
  const build = await run(dir, [TSX, "scripts/build-spec.ts", "--from", "published.json"]);
  return { dir, build };
}

/** Type-checks the package, the demo and `consumer` (and the tests, with `tests`) in a regenerated copy. */
async function typecheck(dir: string, consumer: string, tests = false) {
  await mkdir(path.join(dir, "drill"), { recursive: true });
  await writeFile(path.join(dir, "drill/consumer.ts"), consumer);
  const config = {
    extends: "../tsconfig.json",
    compilerOptions: { noEmit: true, types: ["node"] },
    include: ["../src", "../examples", "../drill", ...(tests ? ["../test"] : [])],
  };
  await writeFile(path.join(dir, "drill/tsconfig.json"), JSON.stringify(config));
  return run(dir, [TSC, "-p", "drill/tsconfig.json"]);
}

const CONSUMER = `
import { createConvaiClient, matchToolResult, toolResults, type Conversation } from "../src/index.ts";
import type { ConversationSummary, ToolResult } from "../src/types.ts";
export async function main(conversation: Conversation): Promise<string[]> {
  const convai = createConvaiClient({ apiKey: "xi-drill-key-0123", baseUrl: "http://127.0.0.1:9" });
  const first: ConversationSummary[] = await convai.conversations.list({ page_size: 5 }).toArray({ max: 5 });
  const out = first.map((c) => c.conversation_id);
  for (const { result } of toolResults(conversation)) out.push(matchToolResult(result, { system: () => "s", _: (r: ToolResult) => String(r.type) }));
  return out;
}
`;

const clone = <T>(value: T): T => structuredClone(value);
const schemas = (doc: JsonObject) => (doc.components as JsonObject).schemas as JsonObject;
const op = (doc: JsonObject, p: string, method = "get") =>
  ((doc.paths as JsonObject)[p] as JsonObject)[method] as JsonObject;
const refName = (ref: string) => ref.split("/").pop()!;

/** The component a path's 200 JSON body points at. */
function okComponent(doc: JsonObject, p: string): JsonObject {
  const schema = (
    (((op(doc, p).responses as JsonObject)["200"] as JsonObject).content as JsonObject)[
      "application/json"
    ] as JsonObject
  ).schema as JsonObject;
  return schemas(doc)[refName(schema.$ref as string)] as JsonObject;
}

function mapTree(node: Json, visit: (node: Json) => Json): Json {
  const walked = Array.isArray(node)
    ? node.map((n) => mapTree(n, visit))
    : node !== null && typeof node === "object"
      ? Object.fromEntries(Object.entries(node).map(([k, v]) => [k, mapTree(v, visit)]))
      : node;
  return visit(walked);
}

describe("the evolution drill", () => {
  it("additive changes build, the tests compile, and a new filter is accepted by conversations.list", async () => {
    const doc = clone(spec);
    const conversation = okComponent(doc, "/v1/convai/conversations/{conversation_id}");
    (conversation.properties as JsonObject).custom_score = { type: "number" };
    (op(doc, "/v1/convai/conversations").parameters as Json[]).push({
      name: "min_messages",
      in: "query",
      required: false,
      schema: { type: "integer", minimum: 0 },
    });
    // A status added everywhere the API reports one (the conversation and the list's summary).
    for (const schema of Object.values(schemas(doc)) as JsonObject[]) {
      if (Array.isArray(schema.enum) && schema.enum.includes("processing")) schema.enum.push("archived");
    }
    (doc.paths as JsonObject)["/v1/convai/agents"] = {
      get: {
        operationId: "listAgents",
        responses: { "200": { description: "ok", content: { "application/json": { schema: { type: "object" } } } } },
      },
    };
    const { dir, build } = await regenerate("additive", doc);
    expect(build.code, build.out).toBe(0);
    expect(build.out).toContain(
      "query parameter `min_messages` of listConversations: new; `conversations.list` accepts it",
    );
    const check = await typecheck(dir, CONSUMER, true);
    expect(check.code, check.out).toBe(0);
    const VITEST = path.join(ROOT, "node_modules/vitest/vitest.mjs");
    const tests = await run(dir, [
      VITEST,
      "run",
      "test/transcript/narrowing.test.ts",
      "test/core/input.test.ts",
      "test/resources/pagination.test.ts",
      "--typecheck.enabled=false",
    ]);
    expect(tests.code, tests.out).toBe(0);
    await writeFile(
      path.join(dir, "drill/filter.ts"),
      `import { createConvaiClient } from "../src/index.ts";
       const urls: string[] = [];
       const convai = createConvaiClient({ apiKey: "xi-drill-key-0123", baseUrl: "https://api.test", fetch: async (r) => (urls.push(r.url), Response.json({ conversations: [], has_more: false })) });
       await convai.conversations.list({ min_messages: 3 }).toArray({ max: 1 });
       let refused = "";
       try { convai.conversations.list({ min_mesages: 3 } as never); } catch (e) { refused = String(e); }
       console.log(JSON.stringify({ urls, refused }));`,
    );
    const filter = await run(dir, [TSX, "drill/filter.ts"]);
    const { urls, refused } = JSON.parse(filter.out.trim().split("\n").pop()!) as { urls: string[]; refused: string };
    expect(urls).toEqual(["https://api.test/v1/convai/conversations?min_messages=3"]);
    expect(refused).toContain('unknown query parameter "min_mesages"');
  });

  it("every component renamed, or every non-recursive one inlined, still builds: types come from operations", async () => {
    const renamed = mapTree(clone(spec), (node) => {
      if (node === null || typeof node !== "object" || Array.isArray(node)) return node;
      const out = { ...node } as JsonObject;
      if (typeof out.$ref === "string") out.$ref = `${out.$ref}V2`;
      return out;
    }) as JsonObject;
    renamed.components = {
      ...(renamed.components as JsonObject),
      schemas: Object.fromEntries(Object.entries(schemas(renamed)).map(([k, v]) => [`${k}V2`, v])),
    };
    const inlined = clone(spec);
    const all = schemas(inlined);
    const inline = (node: Json, seen: string[]): Json => {
      if (Array.isArray(node)) return node.map((n) => inline(n, seen));
      if (node === null || typeof node !== "object") return node;
      if (typeof node.$ref === "string" && node.$ref.startsWith("#/components/schemas/")) {
        const name = refName(node.$ref);
        if (seen.includes(name)) return node; // recursive: stays a reference
        return inline(all[name]!, [...seen, name]);
      }
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, inline(v, seen)]));
    };
    inlined.paths = inline(inlined.paths!, []) as JsonObject;
    const results = await Promise.all([regenerate("renamed", renamed), regenerate("inlined", inlined)]);
    for (const { dir, build } of results) {
      expect(build.code, build.out).toBe(0);
      const check = await typecheck(dir, CONSUMER);
      expect(check.code, check.out).toBe(0);
    }
  });

  it("a new tool-result variant and a new system result_type: an exhaustive match names them, `_` takes them", async () => {
    const doc = clone(spec);
    const all = schemas(doc);
    const turn = Object.values(all).find(
      (s) => (s as JsonObject).properties && ((s as JsonObject).properties as JsonObject).tool_results,
    ) as JsonObject;
    const items =
      (((turn.properties as JsonObject).tool_results as JsonObject).anyOf as JsonObject[])?.find(
        (m) => m.type === "array",
      )?.items ?? ((turn.properties as JsonObject).tool_results as JsonObject).items;
    const union = all[refName((items as JsonObject).$ref as string)] as JsonObject;
    all.A2aToolResult = {
      type: "object",
      properties: {
        type: { type: "string", const: "a2a", default: "a2a" },
        request_id: { type: "string" },
        tool_name: { type: "string" },
        result_value: { type: "string" },
        is_error: { type: "boolean" },
        tool_has_been_called: { type: "boolean" },
      },
      required: ["request_id", "tool_name", "result_value", "is_error", "tool_has_been_called", "type"],
    };
    (union.oneOf as Json[]).push({ $ref: "#/components/schemas/A2aToolResult" });
    const system = Object.entries(all).find(([name]) =>
      name.endsWith("SystemToolResultCommonModelResult"),
    )![1] as JsonObject;
    all.CallForwardedResult = {
      type: "object",
      properties: {
        result_type: { type: "string", const: "call_forwarded", default: "call_forwarded" },
        status: { type: "string" },
      },
      required: ["result_type"],
    };
    (system.oneOf as Json[]).push({ $ref: "#/components/schemas/CallForwardedResult" });
    const { dir, build } = await regenerate("variant", doc);
    expect(build.code, build.out).toBe(0);
    expect(build.out).toMatch(
      /`type: a2a` at `transcript\[\]\.tool_results\[\]`: new; an exhaustive match without `_` stops compiling/,
    );
    const handlers =
      "system: () => 1, workflow: () => 2, api_integration_webhook: () => 3, client: () => 4, webhook: () => 5, mcp: () => 6, untyped: () => 7";
    const exhaustive = `import { matchToolResult, matchSystemResult } from "../src/index.ts";
      import type { ToolResult, SystemToolOutcome } from "../src/types.ts";
      export const a = (r: ToolResult) => matchToolResult(r, { ${handlers} });
      export const b = (o: SystemToolOutcome) => matchSystemResult(o, { end_call_success: () => 1, _: () => 0 });`;
    const failed = await typecheck(dir, exhaustive);
    expect(failed.code).not.toBe(0);
    const errors = failed.out.split("\n").filter((l) => l.includes("error TS"));
    // The consumer's exhaustive match fails once, and the message names the new key; the demo's
    // exhaustive matches fail the same way, each pointing at the one line to change.
    const ours = errors.filter((l) => l.startsWith("drill/consumer.ts"));
    expect(ours).toHaveLength(1);
    expect(failed.out).toMatch(/Property 'a2a' is missing/);
    expect(errors.filter((l) => !l.startsWith("drill/consumer.ts") && !l.startsWith("examples/demo.ts"))).toEqual([]);
    expect(failed.out).toMatch(/examples\/demo\.ts[^\n]*\n[^\n]*Property 'call_forwarded' is missing/);
    const withRest = await typecheck(dir, exhaustive.replace(handlers, `${handlers}, _: () => 0`));
    expect(withRest.out.split("\n").filter((l) => l.startsWith("drill/consumer.ts"))).toEqual([]);
    await writeFile(
      path.join(dir, "drill/runtime.ts"),
      `import { matchToolResult, matchSystemResult } from "../src/index.ts";
       console.log(matchToolResult({ type: "a2a" } as never, { system: () => "system", _: (r) => "rest:" + String((r as { type?: string }).type) }),
         matchSystemResult({ result_type: "call_forwarded" } as never, { end_call_success: () => "end", _: () => "rest" }));`,
    );
    expect((await run(dir, [TSX, "drill/runtime.ts"])).out.trim()).toBe("rest:a2a rest");
  });

  it("a removed list filter and a removed optional field degrade, named in the report; a removed required one stops the build", async () => {
    const doc = clone(spec);
    const list = op(doc, "/v1/convai/conversations");
    list.parameters = (list.parameters as JsonObject[]).filter(
      (p) => p.name !== "rating_min" && p.name !== "call_start_after_unix",
    );
    const conversation = okComponent(doc, "/v1/convai/conversations/{conversation_id}");
    const metadata = schemas(doc)[
      refName(((conversation.properties as JsonObject).metadata as JsonObject).$ref as string)
    ] as JsonObject;
    delete (metadata.properties as JsonObject).initiation_trigger;
    const { dir, build } = await regenerate("removed", doc);
    expect(build.code, build.out).toBe(0);
    expect(build.out).toContain(
      "query parameter `call_start_after_unix` of listConversations: not in the new document; conversations.waitFor pages from the newest",
    );
    expect(build.out).toContain(
      "response field `metadata.initiation_trigger` of getConversation: not in the new document; the InitiationTrigger type becomes never",
    );
    expect(build.out).toContain(
      "query parameter `rating_min` of listConversations: not in the new document; `conversations.list` will refuse it",
    );
    const check = await typecheck(dir, CONSUMER);
    expect(check.code, check.out).toBe(0);
    await writeFile(
      path.join(dir, "drill/degraded.ts"),
      `import { createConvaiClient } from "../src/index.ts";
       const urls: string[] = [];
       const convai = createConvaiClient({ apiKey: "xi-drill-key-0123", baseUrl: "https://api.test", fetch: async (r) => (urls.push(r.url), Response.json({ conversations: [{ conversation_id: "c", agent_id: "a", start_time_unix_secs: 2_000_000_000, status: "done" }], has_more: false })) });
       const found = await convai.conversations.waitFor({ query: { agent_id: "a" }, startedAfter: 1_900_000_000, pollMs: 10, totalTimeoutMs: 1_000 });
       let refused = "";
       try { convai.conversations.list({ rating_min: 1 } as never); } catch (e) { refused = String(e); }
       console.log(JSON.stringify({ urls, found: found.conversation_id, refused }));`,
    );
    const degraded = JSON.parse((await run(dir, [TSX, "drill/degraded.ts"])).out.trim().split("\n").pop()!) as Record<
      string,
      unknown
    >;
    expect(degraded).toEqual({
      urls: ["https://api.test/v1/convai/conversations?agent_id=a"],
      found: "c",
      refused: expect.stringContaining('unknown query parameter "rating_min"'),
    });

    const broken = clone(spec);
    const page = okComponent(broken, "/v1/convai/conversations");
    delete (page.properties as JsonObject).has_more;
    const stopped = await regenerate("required", broken);
    expect(stopped.build.code).toBe(1);
    expect(stopped.build.out).toContain(
      "response field `has_more` of listConversations: not in the new document; conversations.list cannot tell the last page (required: the build stops)",
    );
    expect(stopped.build.out).toContain("nothing was written");
    expect(await readFile(path.join(stopped.dir, "openapi/convai.yaml"), "utf8")).toBe(
      await readFile(path.join(ROOT, "openapi/convai.yaml"), "utf8"),
    );
  });

  it("a standard document shaped like the published one builds and lints clean", async () => {
    // From today's spec, rewritten the way the published document writes things: nullables as
    // anyOf [X, {type: null}], audio/mpeg without a schema, a non-standard key on path parameters,
    // discriminators with mappings, a 422 whose detail is optional, FastAPI operationIds and the
    // key as a header parameter.
    const doc = mapTree(clone(spec), (node) => {
      if (node === null || typeof node !== "object" || Array.isArray(node)) return node;
      const out = { ...node } as JsonObject;
      if (Array.isArray(out.type) && out.type.includes("null") && out.type.length === 2) {
        const { type, ...rest } = out;
        return { anyOf: [{ ...rest, type: (type as string[]).find((t) => t !== "null")! }, { type: "null" }] };
      }
      return out;
    }) as JsonObject;
    delete doc["x-build"];
    doc.openapi = "3.1.0";
    for (const [p, item] of Object.entries(doc.paths as JsonObject)) {
      for (const [method, operation] of Object.entries(item as JsonObject)) {
        const o = operation as JsonObject;
        o.operationId = `${String(o.operationId).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_${p.replace(/\W+/g, "_")}_${method}`;
        delete o.security;
        o.parameters = [
          ...((o.parameters as Json[]) ?? []),
          {
            name: "xi-api-key",
            in: "header",
            required: false,
            schema: { anyOf: [{ type: "string" }, { type: "null" }] },
          },
        ];
        for (const param of o.parameters as JsonObject[]) if (param.in === "path") param.embed = true;
      }
    }
    const audio = op(doc, "/v1/convai/conversations/{conversation_id}/audio").responses as JsonObject;
    audio["200"] = { description: "The audio file", content: { "audio/mpeg": {} } };
    const all = schemas(doc);
    (all.HTTPValidationError as JsonObject).required = [];
    let discriminators = 0;
    for (const schema of Object.values(all) as JsonObject[]) {
      if (!Array.isArray(schema.oneOf) || discriminators >= 4) continue;
      const mapping: JsonObject = {};
      for (const member of schema.oneOf as JsonObject[]) {
        const target = all[refName(String(member.$ref))] as JsonObject | undefined;
        const tag = (target?.properties as JsonObject | undefined)?.type as JsonObject | undefined;
        if (typeof tag?.const === "string") mapping[tag.const] = member.$ref!;
      }
      if (Object.keys(mapping).length === (schema.oneOf as Json[]).length) {
        schema.discriminator = { propertyName: "type", mapping };
        discriminators++;
      }
    }
    expect(discriminators).toBeGreaterThan(1);
    delete (doc.components as JsonObject).securitySchemes;
    const { dir, build } = await regenerate("published", doc);
    expect(build.code, build.out).toBe(0);
    expect(build.out).toContain("dropped the non-standard key `embed`");
    const built = await readFile(path.join(dir, "openapi/convai.yaml"), "utf8");
    expect(built).toContain("discriminator:");
    const lint = await run(dir, [
      path.join(ROOT, "node_modules/@redocly/cli/bin/cli.js"),
      "lint",
      "openapi/convai.yaml",
      "--config",
      "openapi/redocly.yaml",
    ]);
    expect(lint.code, lint.out).toBe(0);
    const generated = await readFile(path.join(dir, "src/generated/schema.ts"), "utf8");
    expect(generated).toMatch(/"audio\/mpeg": BinaryBody/);
    const check = await typecheck(dir, CONSUMER);
    expect(check.code, check.out).toBe(0);
  });
});
