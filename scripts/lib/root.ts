/** The repository's root directory, for the scripts, tests and benchmarks that read or run files in it. */
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");
