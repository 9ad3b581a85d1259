import { writeFile } from "node:fs/promises";
import { defineConfig } from "tsup";

/**
 * ESM and CJS builds with declarations for each entry. Shared code goes into chunks (also for
 * CJS), so that `instanceof ConvaiAPIError` holds across the main and node entries (and the error
 * classes' brand makes it hold across the ESM and CJS builds too). The `types` entry has
 * declarations only: its JavaScript, empty, is written after the build rather than bundled (the
 * bundler would warn of an empty chunk).
 */
const entries = {
  index: "src/index.ts",
  node: "src/node.ts",
  "testing/index": "src/testing/index.ts",
};

export default defineConfig([
  {
    entry: entries,
    format: ["esm", "cjs"],
    dts: { entry: { ...entries, types: "src/types.ts" } },
    splitting: true,
    clean: true,
    target: "es2022",
    platform: "neutral",
    treeshake: true,
    sourcemap: false,
    external: [/^node:/, "ws"],
    async onSuccess() {
      await writeFile("dist/types.js", "export {};\n");
      await writeFile("dist/types.cjs", '"use strict";\n');
    },
  },
  // The `elevenlabs-convai` command: one ESM file for Node, run by the `bin` of package.json.
  {
    entry: { cli: "src/cli/index.ts" },
    format: ["esm"],
    platform: "node",
    target: "node20",
    splitting: false,
    clean: false,
    dts: false,
    external: [/^node:/, "ws"],
    banner: { js: "#!/usr/bin/env node" },
  },
]);
