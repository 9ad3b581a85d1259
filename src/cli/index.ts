/**
 * The `elevenlabs-convai` executable (dist/cli.js): wires the process (argv, environment, streams,
 * signals) to `main`. A first SIGINT or SIGTERM stops the run and saves its progress; a second
 * ends the process at once.
 */
import { EXIT, main } from "./main.ts";

const controller = new AbortController();
const stop = (name: "SIGINT" | "SIGTERM") => () => {
  if (controller.signal.aborted) process.exit(name === "SIGINT" ? EXIT.interrupted : EXIT.terminated);
  controller.abort(name);
};
process.on("SIGINT", stop("SIGINT"));
process.on("SIGTERM", stop("SIGTERM"));

const code = await main(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
});
process.exitCode = code;
