/**
 * YAML for the spec pipeline. Written with `yaml` (its output is in prettier's style, see
 * serializeSpec); read with js-yaml, given the scalars of `yaml`'s core schema (YAML 1.2) exactly,
 * so both read a file to the same values. `yaml` builds a document model before the values: on
 * openapi/convai.yaml (190 kB) and the pages' fragments (70 kB), which every build from a
 * published document reads, it took 0.4–0.6 s of CPU cold, js-yaml 0.1 s. What js-yaml refuses
 * (a tag, a duplicate key, several documents) is read by `yaml`, whose error, if any, is the one
 * reported. Both are loaded on first use, with `require` (see generator.ts).
 */
import { createRequire } from "node:module";
import type * as Yaml from "yaml";

const load = createRequire(import.meta.url);

/** The part of js-yaml 4 used here (it ships no types of its own). */
interface JsYaml {
  Type: new (
    tag: string,
    options: { kind: "scalar"; resolve: (data: string | null) => boolean; construct: (data: string | null) => unknown },
  ) => object;
  FAILSAFE_SCHEMA: { extend(types: { implicit: object[] }): object };
  load(text: string, options: { schema: object; filename?: string }): unknown;
}

let yaml: typeof Yaml | undefined;
let reader: { load(text: string, name: string): unknown } | undefined;

/** The `yaml` package, loaded on first use. */
export function yamlLibrary(): typeof Yaml {
  return (yaml ??= load("yaml") as typeof Yaml);
}

/** A scalar type of `yaml`'s core schema, for js-yaml: the same test, the same value. */
function scalar(js: JsYaml, tag: string, test: RegExp, value: (text: string) => unknown): object {
  return new js.Type(`tag:yaml.org,2002:${tag}`, {
    kind: "scalar",
    resolve: (data) => test.test(data ?? ""),
    construct: (data) => value(data ?? ""),
  });
}

function fastReader(): { load(text: string, name: string): unknown } {
  if (reader) return reader;
  const js = load("js-yaml") as JsYaml;
  // The tests of node_modules/yaml/dist/schema/core/*.js, in the order `yaml` tries them.
  const schema = js.FAILSAFE_SCHEMA.extend({
    implicit: [
      scalar(js, "null", /^(?:~|[Nn]ull|NULL)?$/, () => null),
      scalar(js, "bool", /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/, (s) => s[0] === "t" || s[0] === "T"),
      scalar(js, "int", /^(?:0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+)$/, (s) =>
        s.startsWith("0o") ? parseInt(s.slice(2), 8) : s.startsWith("0x") ? parseInt(s.slice(2), 16) : parseInt(s, 10),
      ),
      scalar(
        js,
        "float",
        /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*))$/,
        (s) =>
          /nan$/i.test(s)
            ? NaN
            : /inf$/i.test(s)
              ? s[0] === "-"
                ? Number.NEGATIVE_INFINITY
                : Number.POSITIVE_INFINITY
              : parseFloat(s),
      ),
    ],
  });
  return (reader = { load: (text, name) => js.load(text, { schema, filename: name }) });
}

/** The value of a YAML text, as `yaml`'s `parse(text, { maxAliasCount: -1 })` gives it. Throws as `yaml` does. */
export function parseYaml(text: string, name: string): unknown {
  try {
    return fastReader().load(text, name);
  } catch {
    return yamlLibrary().parse(text, { maxAliasCount: -1 });
  }
}
