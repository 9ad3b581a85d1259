// @ts-check
/**
 * `npm run lint` (a step of `npm test`): typescript-eslint with type information, on the package,
 * its scripts, the tests, the examples and bench. Rules that catch defects (a promise nobody
 * awaits or handles, a promise where a callback's return is ignored, awaiting what is not a
 * promise); prettier owns formatting, and the house's deliberate idioms stay allowed.
 */
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "coverage/", "**/node_modules/", "src/generated/", "**/*.mjs", "**/*.cjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["tsup.config.ts"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      // `interface Conversation extends OkBody<…> {}` names a derived type, so that hovers and
      // declaration files show the name rather than its expansion.
      "@typescript-eslint/no-empty-object-type": ["error", { allowInterfaces: "with-single-extends" }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      // The house writes `if (x) (a(), b())` and `cond && f()` as statements, deliberately.
      "@typescript-eslint/no-unused-expressions": "off",
    },
  },
);
