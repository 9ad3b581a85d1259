/**
 * `npm run api:report`: every export of each entry (main, types, testing, node) with its kind and
 * its signature, as the type checker reads the entry files (the names users see; the built
 * declarations are the same surface, checked by test/package.test.ts), compared with the
 * checked-in report in etc/<entry>.api.md. A change to the public surface then shows in review
 * as a change to that file. Fails (exit 1) when a report differs; `--update` rewrites them.
 *
 *   npm run api:report              check (a step of npm test)
 *   npm run api:report -- --update  rewrite etc/*.api.md after a deliberate change
 */
import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import ts from "typescript";

const ROOT = path.resolve(import.meta.dirname, "..");
const ENTRIES: { name: string; specifier: string; file: string }[] = [
  { name: "main", specifier: "elevenlabs-convai", file: "src/index.ts" },
  { name: "types", specifier: "elevenlabs-convai/types", file: "src/types.ts" },
  { name: "testing", specifier: "elevenlabs-convai/testing", file: "src/testing/index.ts" },
  { name: "node", specifier: "elevenlabs-convai/node", file: "src/node.ts" },
];
/** Generated from the spec and checked by `generate --check`: listed by their keys only. */
const GENERATED = new Set(["paths", "components", "operations", "webhooks", "$defs"]);

const FORMAT =
  ts.TypeFormatFlags.NoTruncation |
  ts.TypeFormatFlags.UseSingleQuotesForStringLiteralType |
  ts.TypeFormatFlags.WriteArrowStyleSignature |
  ts.TypeFormatFlags.UseFullyQualifiedType;

/** Drops module paths (`import("/…/src/x").Guard` → `Guard`) and folds whitespace. */
const clean = (text: string) => text.replace(/import\("[^"]*"\)\./g, "").replace(/\s+/g, " ");

/** A member the platform declares (Error's `message`, `captureStackTrace`): not this package's surface. */
const fromPlatform = (symbol: ts.Symbol) =>
  (symbol.declarations ?? []).every((d) => /[\\/]node_modules[\\/]/.test(d.getSourceFile().fileName));

export function program(root = ROOT): ts.Program {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(root, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  )!;
  return ts.createProgram(
    ENTRIES.map((e) => path.join(root, e.file)),
    config.options,
  );
}

export function report(entry: (typeof ENTRIES)[number], built: ts.Program, root = ROOT): string {
  const file = path.join(root, entry.file);
  const checker = built.getTypeChecker();
  const source = built.getSourceFile(file);
  if (!source) throw new Error(`${entry.file} is missing`);
  const module = checker.getSymbolAtLocation(source)!;
  const exports = checker.getExportsOfModule(module).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const typeText = (type: ts.Type) => clean(checker.typeToString(type, undefined, FORMAT));
  const signature = (s: ts.Signature) => clean(checker.signatureToString(s, undefined, FORMAT));
  const members = (type: ts.Type, indent: string): string[] => {
    const out: string[] = [];
    for (const s of type.getCallSignatures()) out.push(`${indent}${signature(s)}`);
    for (const s of type.getConstructSignatures()) out.push(`${indent}new ${signature(s)}`);
    for (const info of checker.getIndexInfosOfType(type)) {
      out.push(`${indent}[key: ${typeText(info.keyType)}]: ${typeText(info.type)}`);
    }
    for (const property of checker.getPropertiesOfType(type)) {
      if (fromPlatform(property)) continue;
      if (property.name.startsWith("__@") || property.name.startsWith("#")) {
        out.push(`${indent}[${clean(property.name.replace(/^__@(\w+)@\d+$/, "$1"))}]`);
        continue;
      }
      const optional = property.flags & ts.SymbolFlags.Optional ? "?" : "";
      const declaration = property.valueDeclaration ?? property.declarations?.[0];
      const modifiers = declaration ? ts.getCombinedModifierFlags(declaration) : 0;
      const readonly = modifiers & ts.ModifierFlags.Readonly ? "readonly " : "";
      const propertyType = checker.getTypeOfSymbol(property);
      const signatures = propertyType.getCallSignatures();
      if (property.flags & ts.SymbolFlags.Method && signatures.length > 0) {
        for (const s of signatures) out.push(`${indent}${property.name}${optional}${signature(s)}`);
      } else {
        out.push(`${indent}${readonly}${property.name}${optional}: ${typeText(propertyType)}`);
      }
    }
    return out;
  };

  const lines: string[] = [];
  for (const exported of exports) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const name = exported.name;
    const flags = symbol.flags;
    const block: string[] = [];
    if (GENERATED.has(name)) {
      const type = checker.getDeclaredTypeOfSymbol(symbol);
      const keys = checker.getPropertiesOfType(type).map((p) => p.name);
      block.push(`${flags & ts.SymbolFlags.Interface ? "interface" : "type"} ${name} (generated): ${keys.length} keys`);
      for (const key of keys) block.push(`  ${key}`);
    } else if (flags & ts.SymbolFlags.Class) {
      const declaration = symbol.declarations!.find(ts.isClassDeclaration)!;
      const heritage = declaration.heritageClauses?.map((h) => ` ${h.getText()}`).join("") ?? "";
      const params = declaration.typeParameters
        ? `<${declaration.typeParameters.map((p) => p.getText()).join(", ")}>`
        : "";
      block.push(`class ${name}${params}${clean(heritage)}`);
      const statics = checker.getTypeOfSymbol(symbol);
      block.push(...members(statics, "  static ").filter((l) => !/^ {2}static prototype:/.test(l)));
      block.push(...members(checker.getDeclaredTypeOfSymbol(symbol), "  "));
    } else if (flags & ts.SymbolFlags.Function) {
      for (const s of checker.getTypeOfSymbol(symbol).getCallSignatures())
        block.push(`function ${name}${signature(s)}`);
    } else if (flags & ts.SymbolFlags.Variable) {
      block.push(`const ${name}: ${typeText(checker.getTypeOfSymbol(symbol))}`);
    } else if (flags & ts.SymbolFlags.Enum) {
      block.push(`enum ${name}: ${typeText(checker.getDeclaredTypeOfSymbol(symbol))}`);
    }
    if (flags & ts.SymbolFlags.Interface && !(flags & ts.SymbolFlags.Class) && !GENERATED.has(name)) {
      const declaration = symbol.declarations!.find(ts.isInterfaceDeclaration)!;
      const params = declaration.typeParameters
        ? `<${declaration.typeParameters.map((p) => p.getText()).join(", ")}>`
        : "";
      block.push(`interface ${name}${params}`);
      block.push(...members(checker.getDeclaredTypeOfSymbol(symbol), "  "));
    }
    if (flags & ts.SymbolFlags.TypeAlias && !GENERATED.has(name)) {
      const declaration = symbol.declarations!.find(ts.isTypeAliasDeclaration)!;
      const params = declaration.typeParameters
        ? `<${declaration.typeParameters.map((p) => p.getText()).join(", ")}>`
        : "";
      block.push(`type ${name}${params} = ${clean(declaration.type.getText())}`);
    }
    if (block.length === 0) block.push(`${name}: unknown kind (symbol flags ${flags})`);
    lines.push(...block, "");
  }
  return [
    `# ${entry.specifier}: API report`,
    "",
    `Every export of \`${entry.specifier}\` (${exports.length}), read from \`${entry.file}\` by`,
    "`scripts/api-report.ts`. `npm test` fails when the package's surface differs from this file;",
    "after a deliberate change, `npm run api:report -- --update` rewrites it.",
    "",
    "```ts",
    ...lines.slice(0, -1),
    "```",
    "",
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { update: { type: "boolean" } } });
  await mkdir(path.join(ROOT, "etc"), { recursive: true });
  const stale: string[] = [];
  const built = program();
  for (const entry of ENTRIES) {
    const target = path.join(ROOT, "etc", `${entry.name}.api.md`);
    const expected = report(entry, built);
    const current = await readFile(target, "utf8").catch(() => "");
    if (current === expected) continue;
    if (values.update) await writeFile(target, expected);
    else stale.push(path.relative(ROOT, target));
  }
  if (stale.length > 0) {
    console.error(
      `The public API changed: ${stale.join(", ")} differ from the build.\n` +
        "If the change is deliberate: npm run api:report -- --update, and commit etc/.",
    );
    process.exit(1);
  }
  console.log(values.update ? "API reports written to etc/" : "API reports match the build");
}
