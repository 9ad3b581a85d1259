import { defineConfig } from "tsup";

/**
 * ESM and CJS builds with declarations for each entry. Shared code goes into chunks (also for
 * CJS), so that `instanceof ConvaiError` holds across the main and node entries.
 */
export default defineConfig({
  entry: {
    index: "src/index.ts",
    types: "src/types.ts",
    node: "src/node.ts",
    "testing/index": "src/testing/index.ts",
  },
  format: ["esm", "cjs"],
  dts: true,
  splitting: true,
  clean: true,
  target: "es2022",
  platform: "neutral",
  treeshake: true,
  sourcemap: false,
  external: [/^node:/],
});
