/**
 * `npm run lint:spec`: Redocly's lint of openapi/convai.yaml (its recommended rules, see
 * openapi/redocly.yaml), printed without the banner Redocly shows on Node 20 about its own future
 * releases, which says nothing about this package. The exit code is Redocly's.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { ROOT } from "./lib/root.ts";

const cli = path.join(ROOT, "node_modules/@redocly/cli/bin/cli.js");
const child = spawn(
  process.execPath,
  [cli, "lint", "openapi/convai.yaml", "--config", "openapi/redocly.yaml", ...process.argv.slice(2)],
  { cwd: ROOT, env: { ...process.env, REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", REDOCLY_TELEMETRY: "off" } },
);

/** Drops the boxed banner (its lines start with box-drawing characters) and the blank lines around it. */
function relay(from: NodeJS.ReadableStream, to: NodeJS.WritableStream): Promise<void> {
  let text = "";
  from.setEncoding("utf8");
  from.on("data", (chunk: string) => (text += chunk));
  return new Promise((resolve) =>
    from.on("end", () => {
      const kept = text.split("\n").filter((line) => !/^\s*[╔║╚]/.test(line));
      to.write(
        kept
          .join("\n")
          .replace(/^\n+/, "")
          .replace(/\n{3,}/g, "\n\n"),
      );
      resolve();
    }),
  );
}

const done = Promise.all([relay(child.stdout, process.stdout), relay(child.stderr, process.stderr)]);
child.on("close", (code) => void done.then(() => process.exit(code ?? 1)));
