import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

/**
 * Two projects. `fast` is the inner loop (`npm run test:fast`): unit and emulator tests, in parallel,
 * no child processes, no wall clock. `slow` is what needs the built package, a compiler or a child
 * process (the packed package, the evolution drill, the demo, the type tests): its files run one at
 * a time, after `fast`, with limits sized for a loaded 2-core machine. `npm test` runs both.
 */
const SLOW = [
  // Soak: 10,000 conversations through seeded faults, paced by the client's real backoff (~20 s).
  "test/resources/pagination.faults.test.ts",
  "test/package.test.ts",
  "test/openapi/evolution.test.ts",
  "test/openapi/generate.test.ts",
  "test/examples/demo.test.ts",
  // A child process that must exit by itself.
  "test/resources/monitor/exit.test.ts",
  // The mirror: 2,000 conversations under 10 % and 30 % faults; a child stopped by SIGINT and kill -9.
  "test/export/faults.test.ts",
  "test/export/interrupt.test.ts",
  // A child process running the README's webhook receiver; the language service reading hovers.
  "test/resources/webhooks.readme.test.ts",
  "test/transcript/narrowing.hovers.test.ts",
];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "fast",
          include: ["test/**/*.test.ts"],
          exclude: SLOW,
          // Two files at a time at least: vitest's default (one fewer than the cores) runs them one
          // by one on a 2-core machine, and these wait on loopback sockets and timers as much as
          // they compute. Nothing here asserts on a clock, so a busier worker changes no outcome.
          maxWorkers: Math.max(2, availableParallelism() - 1),
          // Limits against a hang, not measures of speed: no test here asserts on a clock.
          testTimeout: 120_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: "slow",
          include: SLOW,
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 900_000,
          sequence: { groupOrder: 1 },
          // Type-level tests (expectTypeOf, @ts-expect-error) run through the type checker.
          typecheck: { enabled: true, include: ["test/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
        },
      },
    ],
  },
});
