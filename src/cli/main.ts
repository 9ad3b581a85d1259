/**
 * The `elevenlabs-convai` command: `export` and `purge`. Parses the arguments (node:util
 * parseArgs), refuses bad usage with one line and exit 2 before any request, runs the library
 * function with progress on stderr (or JSON on stdout), and maps the end to an exit code:
 * 0 done, 1 failed, 2 bad usage, 130 interrupted (SIGINT), 143 terminated (SIGTERM).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { type ConvaiClientOptions, type ConvaiEnvironment, createConvaiClient, ENVIRONMENTS } from "../index.ts";
import {
  checkMirrorDir,
  exportConversations,
  purgeConversations,
  type ExportEvent,
  type ExportResult,
  type PurgeResult,
} from "../node.ts";
import { type Output, ProgressReporter, bytes, count } from "./progress.ts";

export interface CliIO {
  env: Record<string, string | undefined>;
  stdout: Output;
  stderr: Output;
  /** Aborted on SIGINT/SIGTERM; its reason says which (`"SIGINT"` or `"SIGTERM"`). */
  signal?: AbortSignal;
}

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130, terminated: 143 } as const;

/** Bad usage: one line, exit 2. */
class UsageError extends Error {}

const COMMON = {
  "base-url": { type: "string" },
  environment: { type: "string" },
  concurrency: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

const EXPORT_OPTIONS = {
  ...COMMON,
  out: { type: "string", short: "o" },
  since: { type: "string" },
  until: { type: "string" },
  "agent-id": { type: "string", multiple: true },
  "user-id": { type: "string" },
  "call-successful": { type: "string" },
  audio: { type: "boolean" },
  "overlap-secs": { type: "string" },
} as const satisfies ParseArgsConfig["options"];

const PURGE_OPTIONS = {
  ...COMMON,
  out: { type: "string", short: "o" },
  before: { type: "string" },
  "agent-id": { type: "string" },
  "user-id": { type: "string" },
  yes: { type: "boolean" },
} as const satisfies ParseArgsConfig["options"];

const CONNECTION_HELP = `  --concurrency N        requests in flight at once: the workspace's limit (default 10)
  --environment NAME     ${Object.keys(ENVIRONMENTS).join(" | ")} (default production)
  --base-url URL         another origin (the local emulator); not with --environment
  --json                 machine-readable progress events and summary on stdout, one JSON object a line
  -h, --help             this help

The API key is read from ELEVENLABS_API_KEY.
Exit codes: 0 done · 1 failed · 2 bad usage · 130 interrupted (progress saved; run again to go on).`;

export const HELP = {
  main: `Usage: elevenlabs-convai <command> [options]

Commands:
  export   mirror finished conversations (and recordings) into a folder, incrementally
  purge    delete finished conversations by policy (dry run unless --yes)

Run "elevenlabs-convai <command> --help" for a command's options.`,
  export: `Usage: elevenlabs-convai export --out DIR [options]

Mirrors every finished conversation (done or failed) into DIR:
  DIR/conversations/<id>.json   each conversation exactly as the API serves it
  DIR/audio/<id>.mp3            its recording (with --audio)
  DIR/manifest.jsonl            path, bytes and sha256 of every file
  DIR/tables/*.jsonl            conversations, turns, tool_calls, evaluation_results, data_collection_results
A second run fetches only what is new or was still in progress. Stop it any time (Ctrl-C): it saves
its progress and the next run goes on.

Options:
  -o, --out DIR          the mirror's folder (required; created when missing)
  --since DATE|UNIX      conversations that started at or after (ISO date or unix seconds)
  --until DATE|UNIX      conversations that started before
  --agent-id ID          only this agent's conversations (repeat for several)
  --user-id ID           only this user's conversations
  --call-successful V    success | failure | unknown
  --audio                also save recordings
  --overlap-secs N       look again this far below the newest covered start time (default 600)
${CONNECTION_HELP}`,
  purge: `Usage: elevenlabs-convai purge --out DIR (--before DATE | --agent-id ID | --user-id ID) [--yes]

Deletes the finished conversations that match every bound given, writing each decision to
DIR/purge-manifest.jsonl. Without --yes it is a dry run: it lists, it deletes nothing. A
conversation already deleted counts as deleted, so running it again finishes an interrupted purge.

Options:
  -o, --out DIR          where the purge manifest goes (required)
  --before DATE|UNIX     conversations that started before this moment
  --agent-id ID          only this agent's conversations
  --user-id ID           only this user's conversations
  --yes                  really delete
${CONNECTION_HELP}`,
};

/** Runs the command; resolves to the exit code. Never throws. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      io.stdout.write(`${HELP.main}\n`);
      return command === undefined ? EXIT.usage : EXIT.ok;
    }
    if (command === "export") return await runExport(rest, io);
    if (command === "purge") return await runPurge(rest, io);
    throw new UsageError(`unknown command ${JSON.stringify(command)}; use export or purge (see --help)`);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`elevenlabs-convai: ${error.message}\n`);
      return EXIT.usage;
    }
    if (io.signal?.aborted) {
      io.stderr.write(`elevenlabs-convai: interrupted; progress saved, run the same command again to go on\n`);
      return io.signal.reason === "SIGTERM" ? EXIT.terminated : EXIT.interrupted;
    }
    io.stderr.write(`elevenlabs-convai: ${oneLine(error)}\n`);
    return EXIT.failed;
  }
}

function parse<T extends NonNullable<ParseArgsConfig["options"]>>(args: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]!);
  }
}

async function runExport(args: readonly string[], io: CliIO): Promise<number> {
  const v = parse(args, EXPORT_OPTIONS);
  if (v.help) return (io.stdout.write(`${HELP.export}\n`), EXIT.ok);
  if (v.out === undefined) throw new UsageError("export needs --out DIR");
  const since = v.since === undefined ? undefined : moment("--since", v.since);
  const until = v.until === undefined ? undefined : moment("--until", v.until);
  if (since !== undefined && until !== undefined && since >= until)
    throw new UsageError("--since must be before --until");
  const overlapSeconds = v["overlap-secs"] === undefined ? undefined : integer("--overlap-secs", v["overlap-secs"], 0);
  const successful = v["call-successful"];
  if (successful !== undefined && !["success", "failure", "unknown"].includes(successful)) {
    throw new UsageError(`--call-successful must be success, failure or unknown, got ${JSON.stringify(successful)}`);
  }
  const { clientOptions, concurrency } = connection(v, io);
  const audio = v.audio ?? false;
  await checkMirrorDir(v.out, { audio }).catch((error: Error) => {
    throw new UsageError(error.message.replace(/^exportConversations: /, ""));
  });
  const convai = client(clientOptions);

  const reporter = new ProgressReporter(mode(v.json, io.stderr), v.json ? io.stdout : io.stderr);
  const onProgress = (event: ExportEvent) => {
    reporter.update(event.progress);
    if (v.json && event.type === "failed") {
      io.stdout.write(
        `${JSON.stringify({ event: "failed", conversation_id: event.conversationId, error: oneLine(event.error) })}\n`,
      );
    }
  };
  let result: ExportResult;
  try {
    result = await exportConversations(convai, {
      out: v.out,
      since,
      until,
      agentIds: v["agent-id"] ?? [],
      filters: {
        ...(v["user-id"] === undefined ? {} : { user_id: v["user-id"] }),
        ...(successful === undefined ? {} : { call_successful: successful as "success" }),
      },
      audio,
      concurrency: concurrency * 2,
      ...(overlapSeconds === undefined ? {} : { overlapSeconds }),
      ...(io.signal ? { signal: io.signal } : {}),
      onProgress,
    });
  } finally {
    reporter.finish();
  }
  const summary = {
    out: result.out,
    exported: result.exported,
    recordings: result.recordings,
    bytes: result.bytes,
    already_there: result.skipped,
    pending: result.pending,
    failed: result.failed,
    list_requests: result.listRequests,
  };
  if (v.json) io.stdout.write(`${JSON.stringify({ event: "summary", ...summary })}\n`);
  else {
    io.stdout.write(
      `exported ${count(result.exported)} conversations (${count(result.recordings)} recordings, ${bytes(result.bytes)}) to ${result.out}; ` +
        `${count(result.skipped)} already there, ${count(result.pending)} pending, ${count(result.failed)} failed\n`,
    );
  }
  if (result.failed > 0) {
    io.stderr.write(
      `elevenlabs-convai: ${count(result.failed)} conversations could not be fetched; they are kept pending, run again to retry\n`,
    );
    return EXIT.failed;
  }
  return EXIT.ok;
}

async function runPurge(args: readonly string[], io: CliIO): Promise<number> {
  const v = parse(args, PURGE_OPTIONS);
  if (v.help) return (io.stdout.write(`${HELP.purge}\n`), EXIT.ok);
  if (v.out === undefined) throw new UsageError("purge needs --out DIR (for the purge manifest)");
  const before = v.before === undefined ? undefined : moment("--before", v.before);
  if (before === undefined && v["agent-id"] === undefined && v["user-id"] === undefined) {
    throw new UsageError("purge refuses to run without a bound: give --before, --agent-id or --user-id");
  }
  const { clientOptions, concurrency } = connection(v, io);
  await checkMirrorDir(v.out).catch((error: Error) => {
    throw new UsageError(error.message.replace(/^exportConversations: /, ""));
  });
  const convai = client(clientOptions);
  const dryRun = !v.yes;
  let last = 0;
  const result: PurgeResult = await purgeConversations(convai, {
    out: v.out,
    before,
    ...(v["agent-id"] === undefined ? {} : { agentId: v["agent-id"] }),
    ...(v["user-id"] === undefined ? {} : { userId: v["user-id"] }),
    dryRun,
    concurrency,
    ...(io.signal ? { signal: io.signal } : {}),
    onProgress: ({ row, progress }) => {
      if (v.json) io.stdout.write(`${JSON.stringify({ event: "row", ...row })}\n`);
      else if (Date.now() - last > 5_000) {
        last = Date.now();
        io.stderr.write(`${count(progress.matched)} matched, ${count(progress.deleted)} deleted\n`);
      }
    },
  });
  const summary = {
    dry_run: result.dryRun,
    matched: result.matched,
    deleted: result.deleted,
    already_deleted: result.alreadyDeleted,
    skipped_unfinished: result.skipped,
    manifest: result.manifest,
  };
  if (v.json) io.stdout.write(`${JSON.stringify({ event: "summary", ...summary })}\n`);
  else if (dryRun) {
    io.stdout.write(
      `dry run: ${count(result.matched)} conversations would be deleted (listed in ${result.manifest}); add --yes to delete them\n`,
    );
  } else {
    io.stdout.write(
      `deleted ${count(result.deleted)} conversations (${count(result.alreadyDeleted)} already gone); manifest: ${result.manifest}\n`,
    );
  }
  return EXIT.ok;
}

/** The client's options from the flags and the environment: usage errors before any request. */
function connection(
  v: { "base-url"?: string; environment?: string; concurrency?: string },
  io: CliIO,
): { clientOptions: ConvaiClientOptions; concurrency: number } {
  const apiKey = io.env.ELEVENLABS_API_KEY;
  if (apiKey === undefined || apiKey.trim() === "") throw new UsageError("set ELEVENLABS_API_KEY to your API key");
  if (v["base-url"] !== undefined && v.environment !== undefined) {
    throw new UsageError("give --environment or --base-url, not both");
  }
  if (v.environment !== undefined && !Object.hasOwn(ENVIRONMENTS, v.environment)) {
    throw new UsageError(
      `--environment must be one of ${Object.keys(ENVIRONMENTS).join(", ")}, got ${JSON.stringify(v.environment)}`,
    );
  }
  const concurrency = v.concurrency === undefined ? 10 : integer("--concurrency", v.concurrency, 1, 1000);
  const clientOptions: ConvaiClientOptions = {
    apiKey,
    maxConcurrency: concurrency,
    maxRetries: 4,
    ...(v["base-url"] === undefined ? {} : { baseUrl: v["base-url"] }),
    ...(v.environment === undefined ? {} : { environment: v.environment as ConvaiEnvironment }),
  };
  client(clientOptions); // checks the key's form and the URL now, before any request
  return { clientOptions, concurrency };
}

function client(options: ConvaiClientOptions) {
  try {
    return createConvaiClient(options);
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^createConvaiClient: /, ""));
  }
}

function mode(json: boolean | undefined, stderr: Output) {
  return json ? "json" : stderr.isTTY ? "tty" : "lines";
}

/** An ISO date (or date-time) or unix seconds, as unix seconds. */
function moment(flag: string, text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(
      `${flag} must be a date (2025-01-31, 2025-01-31T12:00:00Z) or unix seconds, got ${JSON.stringify(text)}`,
    );
  }
  return Math.floor(ms / 1000);
}

function integer(flag: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max))
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return n;
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}
