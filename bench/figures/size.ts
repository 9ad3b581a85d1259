/** Figure 7: the main entry, the client alone and the smallest import bundled and minified with openapi-fetch, gzipped; the packed tarballs. */
import path from "node:path";
import { gzipSync } from "node:zlib";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build, transform } from "esbuild";
import { rollup } from "rollup";
import { BENCH, ROOT, type Row, run } from "../lib.ts";

async function bundledGzip(contents: string, platform: "neutral" | "node", resolveDir = ROOT): Promise<number> {
  const result = await build({
    stdin: { contents, resolveDir, loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform,
    write: false,
    logLevel: "silent",
    mainFields: ["module", "main"],
  });
  return gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length;
}

/**
 * The same bundle made by rollup (tree-shaking by its own rules, which honour the same pure
 * annotations), then minified by esbuild: two bundlers, so the figure is not one tool's luck.
 */
async function rollupGzip(contents: string): Promise<number> {
  const bundle = await rollup({
    input: "entry",
    onwarn: () => {},
    plugins: [
      {
        name: "entry-and-node-modules",
        resolveId(id, importer) {
          if (id === "entry") return id;
          if (id.startsWith(".")) return path.resolve(importer === "entry" ? ROOT : path.dirname(importer!), id);
          if (id.startsWith("node:")) return { id, external: true };
          // Bare names resolve by the "import" condition, as a bundler of ESM would pick them.
          return fileURLToPath(import.meta.resolve(id, pathToFileURL(ROOT + "/").href));
        },
        load(id) {
          return id === "entry" ? contents : undefined;
        },
      },
    ],
  });
  const { output } = await bundle.generate({ format: "esm" });
  await bundle.close();
  const minified = await transform(output[0].code, { minify: true, format: "esm" });
  return gzipSync(minified.code, { level: 9 }).length;
}

interface Packed {
  size: number;
  unpackedSize: number;
  entryCount: number;
}

async function pack(target: string): Promise<Packed> {
  const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts", target], {
    cwd: ROOT,
    maxBuffer: 256 * 1024 * 1024,
  });
  return (JSON.parse(stdout) as Packed[])[0]!;
}

export async function size(): Promise<Row[]> {
  const ours = await bundledGzip(`export * from "./dist/index.js";`, "neutral");
  const client = await bundledGzip(`export { createConvaiClient } from "./dist/index.js";`, "neutral");
  const smallest = await bundledGzip(`export { conversationIdFromToken } from "./dist/index.js";`, "neutral");
  const oursRollup = await rollupGzip(`export * from "./dist/index.js";`);
  const smallestRollup = await rollupGzip(`export { conversationIdFromToken } from "./dist/index.js";`);
  const sdk = await bundledGzip(`export { ElevenLabsClient } from "@elevenlabs/elevenlabs-js";`, "node", BENCH);
  const oursPack = await pack(".");
  const sdkPack = await pack(path.join(BENCH, "node_modules/@elevenlabs/elevenlabs-js"));
  const kb = (n: number) => n / 1024;
  return [
    {
      figure: "7. size",
      metric: "main entry + openapi-fetch, bundled, minified, gzip -9 (SDK: its client, the same way)",
      unit: "KB",
      ours: kb(ours),
      floor: undefined,
      sdk: kb(sdk),
      target: "reported (issues 9–14 took it from 8.8 KB to this)",
      met: undefined,
    },
    {
      figure: "7. size",
      metric: "main entry + openapi-fetch, bundled by rollup, minified by esbuild, gzip -9",
      unit: "KB",
      ours: kb(oursRollup),
      floor: undefined,
      sdk: undefined,
      target: "reported",
      met: undefined,
    },
    {
      figure: "7. size",
      metric:
        "the client alone (createConvaiClient, without the monitor, the waits and the webhooks): esbuild, gzip -9",
      unit: "KB",
      ours: kb(client),
      floor: undefined,
      sdk: undefined,
      // test/package.test.ts holds it to its budget; issue 19 asks for 12,000 B.
      target: "≤ 12,000 B (issue 19)",
      met: client <= 12_000,
      note: `${client} B`,
    },
    {
      figure: "7. size",
      metric: "the smallest useful import (conversationIdFromToken alone): esbuild, gzip -9",
      unit: "KB",
      ours: kb(smallest),
      floor: undefined,
      sdk: undefined,
      target: "≤ 1 KB: unused matchers and tables drop out",
      met: kb(smallest) <= 1,
    },
    {
      figure: "7. size",
      metric: "the smallest useful import (conversationIdFromToken alone): rollup, gzip -9",
      unit: "KB",
      ours: kb(smallestRollup),
      floor: undefined,
      sdk: undefined,
      target: "≤ 1 KB",
      met: kb(smallestRollup) <= 1,
    },
    {
      figure: "7. size",
      metric: "packed tarball",
      unit: "KB",
      ours: kb(oursPack.size),
      floor: undefined,
      sdk: kb(sdkPack.size),
      target: "reported",
      met: undefined,
      note: `unpacked ${(oursPack.unpackedSize / 1024).toFixed(0)} KB vs ${(sdkPack.unpackedSize / 2 ** 20).toFixed(1)} MB`,
    },
    {
      figure: "7. size",
      metric: "files in the tarball",
      unit: "files",
      ours: oursPack.entryCount,
      floor: undefined,
      sdk: sdkPack.entryCount,
      target: "reported",
      met: undefined,
    },
  ];
}
