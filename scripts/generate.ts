/**
 * openapi/convai.yaml → src/generated/ (the types, with openapi-typescript, and the operations table).
 *
 *   npm run generate               write them
 *   npm run generate -- --check    exit 1, naming each file, when convai.yaml or anything generated is stale
 */
import { parseArgs } from "node:util";
import { SPEC_FILE } from "./openapi/io.ts";
import { SpecError } from "./openapi/json.ts";
import { staleFiles, writeGenerated } from "./openapi/outputs.ts";

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { check: { type: "boolean" } } });
  if (values.check) {
    const stale = await staleFiles();
    if (stale.length) throw new SpecError(stale.join("\n"));
    console.log(`${SPEC_FILE} and src/generated/ are up to date`);
    return;
  }
  for (const file of await writeGenerated()) console.log(`wrote ${file}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof SpecError ? `generate: ${err.message}` : err);
  process.exit(1);
});
