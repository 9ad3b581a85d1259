/**
 * The evolution drill: synthetic versions of ElevenLabs' published document (the one the spec is
 * built from, in openapi/upstream/), each regenerated with `build:spec --from` into a scratch copy
 * of the repository and checked there as a maintainer would: the report, `generate --check`,
 * `lint:spec`, the type-check of the package, the demo and a consumer, and the emulator's bodies
 * against the new spec. What each case must give is the promise of "regenerate when the spec
 * changes": it builds with no hand edit, or it stops before writing anything and says why.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "../../scripts/lib/root.ts";
import { readDocumentText, readRecord } from "../../scripts/openapi/io.ts";
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
  const record = readRecord(parse(await readFile(path.join(ROOT, "openapi/convai.yaml"), "utf8")) as JsonObject);
  spec = JSON.parse(await readDocumentText(path.join(ROOT, record.from))) as JsonObject;
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

const clone = <T>(value: T): T => structuredClone(value);
const schemas = (doc: JsonObject) => (doc.components as JsonObject).schemas as JsonObject;
const paths = (doc: JsonObject) => doc.paths as JsonObject;
const refName = (ref: string) => ref.split("/").pop()!;

/** Every schema of the document (components and nested), for edits by shape rather than by name. */
function eachSchema(node: Json, visit: (schema: JsonObject) => void): void {
  if (Array.isArray(node)) node.forEach((n) => eachSchema(n, visit));
  else if (node !== null && typeof node === "object") {
    visit(node);
    for (const value of Object.values(node)) eachSchema(value, visit);
  }
}

/** The component schema of the conversation (the get operation's 200 body). */
function conversationSchema(doc: JsonObject): JsonObject {
  const get = (paths(doc)["/v1/convai/conversations/{conversation_id}"] as JsonObject).get as JsonObject;
  const media = (((get.responses as JsonObject)["200"] as JsonObject).content as JsonObject)[
    "application/json"
  ] as JsonObject;
  return schemas(doc)[refName((media.schema as JsonObject).$ref as string)] as JsonObject;
}

function componentOf(doc: JsonObject, schema: Json | undefined): JsonObject {
  return schemas(doc)[refName((schema as JsonObject).$ref as string)] as JsonObject;
}

/** The next version, as it could come: each kind of change the issue names, all at once. */
function nextVersion(): JsonObject {
  const doc = clone(spec);
  const all = schemas(doc);
  const conversation = conversationSchema(doc);
  const properties = conversation.properties as JsonObject;
  const metadata = componentOf(doc, properties.metadata);
  // Fields the emulator writes, gone (one the types required, one optional).
  delete (metadata.properties as JsonObject).charging;
  delete properties.has_user_audio;
  conversation.required = (conversation.required as string[]).filter((f) => f !== "has_user_audio");
  // Fields made required that were not.
  metadata.required = [...(metadata.required as string[]), "termination_reason", "text_only"];
  conversation.required = [...(conversation.required as string[]), "analysis"];
  // A status value the package does not know, wherever the status enum is.
  eachSchema(doc, (s) => {
    if (Array.isArray(s.enum) && s.enum.includes("in-progress") && !s.enum.includes("cancelled"))
      s.enum.push("cancelled");
  });
  // A tool-result member.
  all.A2aToolResult = {
    type: "object",
    properties: {
      type: { type: "string", const: "a2a", default: "a2a" },
      request_id: { type: "string" },
      tool_name: { type: "string" },
      result_value: { type: "string" },
      is_error: { type: "boolean" },
      tool_has_been_called: { type: "boolean" },
      agent_card: { type: "string" },
    },
    required: ["request_id", "tool_name", "result_value", "is_error", "tool_has_been_called", "type", "agent_card"],
  };
  eachSchema(doc, (s) => {
    const results = (s.properties as JsonObject | undefined)?.tool_results as JsonObject | undefined;
    const union = (results?.items as JsonObject | undefined)?.oneOf as Json[] | undefined;
    if (union && !union.some((m) => (m as JsonObject).$ref === "#/components/schemas/A2aToolResult"))
      union.push({ $ref: "#/components/schemas/A2aToolResult" });
  });
  // An operation under the conversation paths.
  paths(doc)["/v1/convai/conversations/{conversation_id}/insights"] = {
    get: {
      operationId: "get_conversation_insights_route",
      parameters: [{ name: "conversation_id", in: "path", required: true, schema: { type: "string", embed: true } }],
      responses: {
        "200": {
          description: "OK",
          content: {
            "application/json": {
              schema: { type: "object", properties: { insights: { type: "array", items: { type: "string" } } } },
            },
          },
        },
      },
    },
  };
  // An optional filter removed.
  const list = (paths(doc)["/v1/convai/conversations"] as JsonObject).get as JsonObject;
  list.parameters = (list.parameters as JsonObject[]).filter((p) => p.name !== "rating_min");
  // A recursive anyOf, reached from the conversation; and stray keywords in schemas.
  all.DynamicVariableNestedValueType = {
    anyOf: [
      { type: "string" },
      { type: "number" },
      { type: "boolean" },
      { type: "null" },
      { type: "array", items: { $ref: "#/components/schemas/DynamicVariableNestedValueType" } },
      { type: "object", additionalProperties: { $ref: "#/components/schemas/DynamicVariableNestedValueType" } },
    ],
    max_items: 10,
  };
  properties.dynamic_variables = {
    type: "object",
    additionalProperties: { $ref: "#/components/schemas/DynamicVariableNestedValueType" },
    optional: true,
    name: "dynamic_variables",
  };
  properties.custom_llm_extra_body = { type: "object", properties: {}, title: "Custom Llm Extra Body" };
  return doc;
}

const CONSUMER = `
import { createConvaiClient, matchToolResult, toolResults, type Conversation } from "../src/index.ts";
import type { ConversationSummary, ToolResult } from "../src/types.ts";
import type { components } from "../src/generated/schema.ts";
export async function main(conversation: Conversation): Promise<string[]> {
  const convai = createConvaiClient({ apiKey: "xi-drill-key-0123", baseUrl: "http://127.0.0.1:9" });
  const first: ConversationSummary[] = await convai.conversations.list({ page_size: 5 }).toArray({ max: 5 });
  const out = first.map((c) => c.conversation_id);
  for (const { result } of toolResults(conversation)) out.push(matchToolResult(result, { system: () => "s", _: (r: ToolResult) => String(r.type) }));
  // An object schema without properties takes any keys; a recursive union nests.
  const body: NonNullable<Conversation["custom_llm_extra_body"]> = { temperature: 0.2, tags: ["a"] };
  const value: components["schemas"]["DynamicVariableNestedValueType"] = { a: [1, { b: null }] };
  out.push(JSON.stringify([body, value]));
  return out;
}
`;

describe("the evolution drill", () => {
  it("a synthetic next version builds whole with no hand edit, and the report names each change", async () => {
    const { dir, build } = await regenerate("next", nextVersion());
    expect(build.code, build.out).toBe(0);
    for (const line of [
      /removed the non-standard keyword `embed`/,
      /removed the non-standard keyword `optional`/,
      /removed the non-standard keyword `max_items`/,
      /removed the non-standard keyword `name` \(1 place\)/,
      /object schemas without properties take any keys/,
      /response values of `status` of getConversation: new `cancelled`; `waitUntilDone` and `reconcileConversations` count it as finished/,
      /`type: a2a` at `transcript\[\]\.tool_results\[\]` \(ToolResult\): new union member/,
      /operation GET \/v1\/convai\/conversations\/\{conversation_id\}\/insights \(getConversationInsights\): new/,
      /query parameter `rating_min` of listConversations: not in the new document; `conversations.list` will refuse it/,
      /response field `analysis` of getConversation: now required/,
      /response field `metadata.termination_reason` of getConversation: now required/,
      /response field `has_user_audio` of getConversation: not in the new document/,
    ]) {
      expect(build.out).toMatch(line);
    }
    expect((await run(dir, [TSX, "scripts/generate.ts", "--check"])).code).toBe(0);
    const lint = await run(dir, [TSX, "scripts/lint-spec.ts"]);
    expect(lint.code, lint.out).toBe(0);
    // The package, the emulator, the demo and a consumer compile against it: not one error.
    const checked = await typecheck(dir, CONSUMER);
    expect(checked.out.split("\n").filter((l) => l.includes("error TS"))).toEqual([]);
    // What the emulator serves validates against the new spec, and a new operation answers 501.
    const served = await run(dir, [
      path.join(ROOT, "node_modules/vitest/vitest.mjs"),
      "run",
      "test/testing/emulator-spec.test.ts",
      "--typecheck.enabled=false",
    ]);
    expect(served.code, served.out.slice(-3000)).toBe(0);
  }, 600_000);

  it("an older document without what the package needs stops before writing anything, saying what it lacks", async () => {
    const doc = clone(spec);
    // As before 2025-08-18: no workflow tool results.
    eachSchema(doc, (s) => {
      const results = (s.properties as JsonObject | undefined)?.tool_results as JsonObject | undefined;
      const items = results?.items as JsonObject | undefined;
      if (Array.isArray(items?.oneOf))
        items.oneOf = (items.oneOf as JsonObject[]).filter((m) => !String(m.$ref).includes("Workflow"));
    });
    const { dir, build } = await regenerate("older", doc);
    expect(build.code).toBe(1);
    expect(build.out).toMatch(
      /`type: workflow` in the union at `transcript\[\]\.tool_results\[\]` of getConversation: not in the new document/,
    );
    expect(build.out).toContain("nothing was written");
    expect(await readFile(path.join(dir, "openapi/convai.yaml"), "utf8")).toBe(
      await readFile(path.join(ROOT, "openapi/convai.yaml"), "utf8"),
    );
    const upstream = await readdir(path.join(dir, "openapi/upstream"));
    expect(upstream).toEqual(await readdir(path.join(ROOT, "openapi/upstream")));
  }, 120_000);
});

/** The facade methods of operations a document may lack, each called once with valid arguments. */
const OLDER_CALLER = `
import { createConvaiClient } from "../src/index.ts";
let requests = 0;
const convai = createConvaiClient({
  apiKey: "xi-drill-key-0123",
  baseUrl: "http://127.0.0.1:9",
  fetch: async () => {
    requests++;
    return new Response("{}", { status: 200, headers: { "content-type": "application/json" } });
  },
});
const c = convai.conversations;
const calls: [string, () => unknown][] = [
  ["searchMessages", () => c.searchMessages({ text_query: "refund" })],
  ["smartSearchMessages", () => c.smartSearchMessages({ text_query: "refund" })],
  ["addTags", () => c.addTags("conv_1", ["tag_1"])],
  ["removeTag", () => c.removeTag("conv_1", "tag_1")],
  ["runAnalysis", () => c.runAnalysis("conv_1")],
  ["runEvaluation", () => c.runEvaluation("conv_1", { evaluation_id: "issue_resolved" })],
  ["summary", () => c.summary("conv_1")],
];
const out: Record<string, string> = {};
for (const [name, f] of calls) {
  try {
    await f();
    out[name] = "no error";
  } catch (err) {
    out[name] = \`\${(err as Error).constructor.name}: \${(err as Error).message}\`;
  }
}
console.log(JSON.stringify({ requests, out }));
`;

describe("an older document without the newer conversation operations", () => {
  it("builds and type-checks, and each method of a missing operation throws a TypeError naming it, with no request", async () => {
    const doc = clone(spec);
    const gone = [
      "/v1/convai/conversations/messages/text-search",
      "/v1/convai/conversations/messages/smart-search",
      "/v1/convai/conversations/{conversation_id}/tags",
      "/v1/convai/conversations/{conversation_id}/tags/{tag_id}",
      "/v1/convai/conversations/{conversation_id}/analysis/run",
      "/v1/convai/conversations/{conversation_id}/analysis/evaluations/run",
      "/v1/convai/conversations/{conversation_id}/summary",
    ];
    for (const p of gone) {
      expect(paths(doc)[p], p).toBeDefined();
      delete paths(doc)[p];
    }
    const { dir, build } = await regenerate("without-operations", doc);
    expect(build.code, build.out).toBe(0);
    const operations = await readFile(path.join(dir, "src/generated/operations.ts"), "utf8");
    expect(operations).not.toMatch(/addConversationTags|getConversationSummary|textSearchConversationMessages/);
    await mkdir(path.join(dir, "drill"), { recursive: true });
    await writeFile(path.join(dir, "drill/older.ts"), OLDER_CALLER);
    const checked = await typecheck(dir, OLDER_CALLER);
    expect(checked.out.split("\n").filter((l) => l.includes("error TS"))).toEqual([]);
    const ran = await run(dir, [TSX, "drill/older.ts"]);
    expect(ran.code, ran.out).toBe(0);
    const { requests, out } = JSON.parse(ran.out.trim().split("\n").at(-1)!) as {
      requests: number;
      out: Record<string, string>;
    };
    const operationOf: Record<string, string> = {
      searchMessages: "textSearchConversationMessages",
      smartSearchMessages: "smartSearchConversationMessages",
      addTags: "addConversationTags",
      removeTag: "removeConversationTag",
      runAnalysis: "runConversationAnalysis",
      runEvaluation: "runConversationEvaluations",
      summary: "getConversationSummary",
    };
    for (const [method, operationId] of Object.entries(operationOf)) {
      expect(out[method]).toBe(
        `TypeError: conversations.${method}: the API document this package was generated from has no ${operationId} ` +
          "operation; regenerate it from a newer one (npm run build:spec -- --from <document>)",
      );
    }
    expect(requests).toBe(0);
  }, 600_000);
});
