/** Figure 7: the main entry bundled and minified with openapi-fetch, gzipped; the packed tarballs. */
import path from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { ROOT, type Row, run } from "../lib.ts";

async function bundledGzip(contents: string, platform: "neutral" | "node"): Promise<number> {
  const result = await build({
    stdin: { contents, resolveDir: ROOT, loader: "js" },
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
  const smallest = await bundledGzip(`export { conversationIdFromToken } from "./dist/index.js";`, "neutral");
  const sdk = await bundledGzip(`export { ElevenLabsClient } from "@elevenlabs/elevenlabs-js";`, "node");
  const oursPack = await pack(".");
  const sdkPack = await pack(path.join(ROOT, "node_modules/@elevenlabs/elevenlabs-js"));
  const kb = (n: number) => n / 1024;
  return [
    {
      figure: "7. size",
      metric: "main entry + openapi-fetch, bundled, minified, gzip -9 (SDK: its client, the same way)",
      unit: "KB",
      ours: kb(ours),
      floor: undefined,
      sdk: kb(sdk),
      target: "ours ≤ 8 KB",
      met: kb(ours) <= 8,
    },
    {
      figure: "7. size",
      metric: "the smallest useful import (conversationIdFromToken alone), bundled, minified, gzip -9",
      unit: "KB",
      ours: kb(smallest),
      floor: undefined,
      sdk: undefined,
      target: "reported: unused matchers and tables drop out",
      met: undefined,
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
