/**
 * `npm run check:imports`: the import graph of src/, scripts/ and examples/ has no cycle, the
 * CLIs in scripts/ do not import each other, and each layer of src/ imports only the layers
 * below it (the table below, which is the layering ARCHITECTURE.md describes).
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./lib/root.ts";

const FOLDERS = ["src", "scripts", "examples"];

/** What each part of src/ may import, by path prefix from src/ (the first matching rule wins). */
const LAYERS: readonly { from: string; may: readonly string[] }[] = [
  { from: "generated/", may: ["generated/"] },
  { from: "types.ts", may: ["generated/"] },
  { from: "core/", may: ["core/", "types.ts", "generated/"] },
  { from: "http/", may: ["http/", "core/", "generated/", "types.ts"] },
  { from: "transcript/", may: ["transcript/", "core/", "types.ts", "generated/"] },
  { from: "resources/", may: ["resources/", "http/", "core/", "transcript/", "types.ts", "generated/"] },
  { from: "export/", may: ["export/", "resources/", "http/", "core/", "types.ts", "generated/"] },
  { from: "cli/", may: ["cli/", "node.ts", "index.ts"] },
  { from: "client.ts", may: ["http/", "core/", "resources/", "types.ts", "generated/"] },
  { from: "testing/", may: ["testing/", "transcript/", "types.ts", "generated/"] },
  { from: "index.ts", may: ["client.ts", "http/", "core/", "resources/", "transcript/", "types.ts", "generated/"] },
  { from: "node.ts", may: ["client.ts", "http/", "core/", "resources/", "export/", "types.ts", "generated/"] },
];

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;

function filesIn(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return filesIn(file);
    return /\.(ts|mts)$/.test(name) && !name.endsWith(".d.ts") ? [file] : [];
  });
}

/** Relative imports of every file, resolved to files of the repository. */
export function importGraph(root = ROOT): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of FOLDERS.flatMap((f) => filesIn(path.join(root, f)))) {
    const text = readFileSync(file, "utf8");
    const targets: string[] = [];
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2]!;
      if (spec.startsWith(".")) targets.push(path.relative(root, path.resolve(path.dirname(file), spec)));
    }
    graph.set(path.relative(root, file), targets);
  }
  return graph;
}

/** Every cycle, each as the files around it (found by depth-first search; each cycle reported once). */
export function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next) && graph.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

/** Imports that break the layer rules, or a CLI importing another CLI. */
export function violations(graph: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [file, targets] of graph) {
    for (const target of targets) {
      const cli = (f: string) => path.dirname(f) === "scripts";
      if (cli(file) && cli(target)) out.push(`${file} imports ${target}: the CLIs in scripts/ stay independent`);
      if (!file.startsWith("src/") || !target.startsWith("src/")) continue;
      const from = file.slice(4);
      const to = target.slice(4);
      const rule = LAYERS.find((l) => from.startsWith(l.from));
      if (rule === undefined) out.push(`${file}: no layer rule covers it; add one to scripts/check-imports.ts`);
      else if (!rule.may.some((prefix) => to.startsWith(prefix))) {
        out.push(`${file} imports ${target}: ${rule.from} may import only ${rule.may.join(", ")}`);
      }
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const graph = importGraph();
  const problems = [...cycles(graph).map((cycle) => `import cycle: ${cycle.join(" → ")}`), ...violations(graph)];
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) process.exit(1);
  console.log(`imports: ${graph.size} files, no cycle, every layer imports only what it may`);
}
