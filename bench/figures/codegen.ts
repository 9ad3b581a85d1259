/**
 * Figure 8: the spec pipeline.
 *
 * 8a, what a maintainer runs: `npm run build:spec -- --from <the published document>` (the
 * document `openapi/convai.yaml` records in x-build, ElevenLabs' 2026-08-22 one today), a fresh
 * process each round, to the normalized spec and every generated file: startup, module loading,
 * the compatibility report, the comparison with the reference pages, writing. It runs in a scratch
 * copy of what it reads and writes (scripts/, openapi/, src/generated/, package.json), so the
 * worktree is left as it was. The floor: openapi-typescript's own command on the same document,
 * unzipped (it takes no `.gz`), also a fresh process: generating without normalizing, for all of
 * the document's operations where ours keeps the conversation ones. The target is absolute:
 * ≤ 3 s, for its median and its upper quartile.
 *
 * 8b, in-process: a 1.5 MB standard document (the built spec's schemas replicated, with their
 * references renamed) through what build:spec does with `--all` (build, YAML, types), against
 * openapi-typescript alone on it. Without startup and loading, it shows what normalizing costs
 * beside generating as the document grows.
 */
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import openapiTS, { astToString } from "openapi-typescript";
import { parse } from "yaml";
import { buildSpec } from "../../scripts/openapi/build.ts";
import {
  SPEC_FILE,
  generateTypes,
  loadBuildConfig,
  loadOverlay,
  readRecord,
  serializeSpec,
} from "../../scripts/openapi/io.ts";
import type { JsonObject } from "../../scripts/openapi/json.ts";
import { ROOT, type Row, interleave, ratioRow, spreadOf, timeCommand, timed, verdict } from "../lib.ts";

/** What build:spec reads and writes, copied into the scratch directory (node_modules is linked). */
const COPIED = ["package.json", "tsconfig.json", "scripts", "openapi", "src/generated"];
/** The target, in ms: for the median, and for the upper quartile. */
const TARGET = 3000;
const TARGET_UPPER = 3300;

/** 8a: the published document to types, as a maintainer runs it, against openapi-typescript's command. */
async function publishedDocument(quick: boolean): Promise<Row> {
  const record = readRecord(parse(await readFile(path.join(ROOT, SPEC_FILE), "utf8")) as JsonObject);
  const scratch = await mkdtemp(path.join(tmpdir(), "convai-codegen-"));
  try {
    for (const entry of COPIED) {
      await mkdir(path.dirname(path.join(scratch, entry)), { recursive: true });
      await cp(path.join(ROOT, entry), path.join(scratch, entry), { recursive: true });
    }
    await symlink(path.join(ROOT, "node_modules"), path.join(scratch, "node_modules"), "dir");
    const source = await readFile(path.join(ROOT, record.from));
    const unzipped = path.join(scratch, "document.json");
    await writeFile(unzipped, record.from.endsWith(".gz") ? gunzipSync(source) : source);
    const cli = path.join(ROOT, "node_modules/openapi-typescript/bin/cli.js");
    const all = record.all ? ["--all"] : [];
    const s = await interleave(
      {
        ours: () => timeCommand("npm", ["run", "build:spec", "--", "--from", record.from, ...all], scratch),
        floor: () =>
          timeCommand(process.execPath, [cli, unzipped, "-o", path.join(scratch, "floor.ts"), "--silent"], scratch),
      },
      { rounds: quick ? 1 : 7, warmup: 1 },
    );
    // The same document gives the same bytes: the scratch copy's spec is the checked-in one.
    const built = await readFile(path.join(scratch, SPEC_FILE), "utf8");
    if (built !== (await readFile(path.join(ROOT, SPEC_FILE), "utf8")))
      throw new Error(`build:spec from ${record.from} did not rebuild the checked-in ${SPEC_FILE}`);
    const own = spreadOf(
      s.ours,
      s.ours.map(() => 1),
    );
    const row = ratioRow(
      "8a. codegen",
      `\`npm run build:spec -- --from\` the published ${(source.length / 1e3).toFixed(0)} kB gzipped document → spec and types, a fresh process`,
      "ms",
      s,
    );
    return {
      ...row,
      floorLabel: "openapi-typescript's command on the whole document",
      target: `ours: median ≤ ${TARGET} ms, upper quartile ≤ ${TARGET_UPPER} ms`,
      met: verdict(own, "≤", TARGET, TARGET_UPPER),
      note: `ours IQR ${own.q1.toFixed(0)}–${own.q3.toFixed(0)} ms over ${own.rounds} rounds; the floor generates all of the document, ours the conversation operations`,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

const TARGET_BYTES = 1.5e6;

/** A standard document: the built spec's operations and schemas, plus renamed copies of every schema. */
export async function largeDocument(): Promise<JsonObject> {
  const base = parse(await readFile(path.join(ROOT, "openapi/convai.yaml"), "utf8")) as JsonObject;
  delete base["x-build"];
  const schemas = (base.components as JsonObject).schemas as JsonObject;
  const paths = base.paths as JsonObject;
  const original = JSON.stringify(schemas);
  for (let copy = 1; JSON.stringify(base).length < TARGET_BYTES; copy++) {
    const renamed = JSON.parse(
      original.replace(/#\/components\/schemas\/([\w.-]+)/g, `#/components/schemas/$1_v${copy}`),
    ) as JsonObject;
    for (const [name, schema] of Object.entries(renamed)) schemas[`${name}_v${copy}`] = schema;
    paths[`/copies/${copy}/conversations/{conversation_id}`] = {
      get: {
        operationId: `getConversationV${copy}`,
        parameters: [{ name: "conversation_id", in: "path", required: true, schema: { type: "string" } }],
        responses: {
          "200": {
            description: "OK",
            content: {
              "application/json": { schema: { $ref: `#/components/schemas/GetConversationResponseModel_v${copy}` } },
            },
          },
        },
      },
    };
  }
  return base;
}

/** 8b: the synthetic document in-process, against openapi-typescript alone on it. */
async function syntheticDocument(quick: boolean): Promise<Row> {
  const doc = await largeDocument();
  const bytes = JSON.stringify(doc).length;
  const patches = await loadBuildConfig();
  const overlay = await loadOverlay();
  let generatedBytes = 0;
  const s = await interleave(
    {
      ours: () =>
        timed(async () => {
          const built = buildSpec({ kind: "standard", name: "large.json", doc, all: true }, patches, overlay);
          serializeSpec(built); // what build:spec writes to openapi/convai.yaml
          generatedBytes = (await generateTypes(built)).length;
        }),
      floor: () =>
        timed(async () => {
          astToString(await openapiTS(structuredClone(doc) as never, { silent: true }));
        }),
    },
    { rounds: quick ? 1 : 5, warmup: 1 },
  );
  return {
    ...ratioRow(
      "8b. codegen",
      `${(bytes / 1e6).toFixed(2)} MB synthetic document → normalized spec → ${(generatedBytes / 1e6).toFixed(1)} MB of types, in-process`,
      "ms",
      s,
    ),
    floorLabel: "openapi-typescript alone",
    note: "no startup or module loading: what normalizing and writing YAML add to generating",
  };
}

export async function codegen(quick: boolean): Promise<Row[]> {
  return [await publishedDocument(quick), await syntheticDocument(quick)];
}
