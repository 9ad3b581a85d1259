/**
 * `exportConversations`: an incremental, resumable mirror of a workspace's finished conversations
 * in a folder. The list is walked newest first; each finished conversation not yet on disk is
 * fetched (details as served, byte for byte, and the recording with `audio`) by a pool of workers
 * that keeps the client's `maxConcurrency` busy while the next list pages arrive. What is done is
 * what is on disk; the state file (state.ts) only remembers which start times are fully covered
 * and which conversations are still pending, so the next run lists only as far back as needed.
 */
import { setMaxListeners } from "node:events";
import { mkdir, readFile } from "node:fs/promises";
import { type Dir, type Stats, accessSync, constants, lstatSync, opendirSync } from "node:fs";
import path from "node:path";
import type { Client } from "openapi-fetch";
import type { paths } from "../generated/schema.ts";
import type { Conversations } from "../resources/conversations.ts";
import type { Conversation, ConversationsPage, ListConversationsQuery } from "../types.ts";
import { ConvaiAPIError, ConvaiConnectionError, ConvaiError } from "../core/errors.ts";
import { describe, requireUnixSeconds } from "../core/input.ts";
import { linkSignals, sleep } from "../core/abort.ts";
import { RETRY_STATUSES } from "../http/retry.ts";
import { existsNow, removeTemporaries, writeAtomic, writeStreamAtomic } from "./files.ts";
import { ManifestWriter, MIRRORED, repairManifest } from "./manifest.ts";
import {
  type MirrorState,
  type Range,
  type ScopeState,
  isCovered,
  loadStateText,
  mergeRanges,
  saveState,
} from "./state.ts";
import { type TableName, TABLES, TableWriter, rewriteTables } from "./tables.ts";

/** What the mirror needs of a client: `createConvaiClient()` returns one. */
export interface MirrorClient {
  readonly api: Client<paths>;
  readonly conversations: Pick<Conversations, "list" | "audio" | "delete">;
}

/** The list filters a mirror may narrow to (besides the agent and the time window). */
export type MirrorFilters = Omit<
  ListConversationsQuery,
  "cursor" | "agent_id" | "call_start_before_unix" | "call_start_after_unix" | "page_size" | "summary_mode" | "search"
>;

export interface ExportOptions {
  /** The mirror's folder; created when missing. Nothing outside it is written. */
  out: string;
  /** Conversations that started at or after this moment (a Date, or unix seconds). */
  since?: Date | number;
  /** Conversations that started before this moment (a Date, or unix seconds). */
  until?: Date | number;
  /** Only these agents' conversations (each walked in turn); every agent's by default. */
  agentIds?: readonly string[];
  /** Further list filters, e.g. `{ call_successful: "success" }`. A different set is a different scope. */
  filters?: MirrorFilters;
  /** Also save each conversation's recording as `audio/<id>.mp3`. Default false. */
  audio?: boolean;
  /**
   * Conversations worked on at once. The requests in flight are bounded by the client's
   * `maxConcurrency`; twice that keeps it busy while files are written.
   * @default 16
   */
  concurrency?: number;
  /**
   * Seconds below the newest start time already covered that each run looks at again, for
   * conversations that appear in the list late. Those already on disk cost no request.
   * @default 600
   */
  overlapSeconds?: number;
  /** Aborts the run: requests stop, partial files go, the state is saved; rejects with the reason. */
  signal?: AbortSignal;
  /** Called as the run goes; see {@link ExportEvent}. Not called after the promise settles. */
  onProgress?: (event: ExportEvent) => void;
}

/** Counts so far, in every event and in the result. */
export interface ExportProgress {
  /** Conversations the list showed this run (in the window walked). */
  listed: number;
  /** Conversations handled: exported, already there, pending or failed. */
  handled: number;
  /** Conversations written this run. */
  exported: number;
  /** Recordings written this run. */
  recordings: number;
  /** Bytes written this run (details and recordings). */
  bytes: number;
  /** Already in the folder (or in a range covered by an earlier run). */
  skipped: number;
  /** Not finished yet (in progress, processing): fetched by a later run. */
  pending: number;
  /** Could not be fetched after retries: kept pending, tried again by the next run. */
  failed: number;
  /** Whether the list has been walked as far as needed (`listed` is then the total). */
  listComplete: boolean;
}

export type ExportEvent =
  | { type: "page"; progress: ExportProgress }
  | { type: "exported"; conversationId: string; bytes: number; recording: boolean; progress: ExportProgress }
  | { type: "pending"; conversationId: string; status: string; progress: ExportProgress }
  | { type: "failed"; conversationId: string; error: unknown; progress: ExportProgress }
  | { type: "tables"; rows: Record<TableName, number>; progress: ExportProgress };

export interface ExportResult extends ExportProgress {
  /** The folder, resolved. */
  out: string;
  /** Row counts of the tables, when they were replaced (they are when anything changed). */
  tables: Record<TableName, number> | undefined;
  /** List pages requested. */
  listRequests: number;
  /** Whether the previous run had ended abruptly, so the manifest was rebuilt from the folder. */
  recovered: boolean;
}

const WHERE = "exportConversations";
const FINISHED = new Set(["done", "failed"]);
/** Ids become file names: only what cannot name another place. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;
const ITEM_ROUNDS = 6;
const SAVE_EVERY = 200;
const SAVE_EVERY_MS = 2_000;
/** Recordings held in memory at once, at most, on their way to disk. */
const AUDIO_MEMORY_BYTES = 16 * 1024 * 1024;

/**
 * Mirrors every finished conversation (`done` or `failed`) into `out`: `conversations/<id>.json`
 * as the API serves it, `audio/<id>.mp3` with `audio`, `manifest.jsonl`, `tables/*.jsonl`, and
 * the run's state in `.state.json`. Run it again to bring the mirror up to date: it asks only for
 * what is new or was pending.
 *
 * @example
 * const convai = createConvaiClient({ maxConcurrency: 10 });
 * const result = await exportConversations(convai, { out: "./backup", audio: true, signal });
 * console.log(`${result.exported} new, ${result.pending} still in progress`);
 */
export async function exportConversations(convai: MirrorClient, options: ExportOptions): Promise<ExportResult> {
  const o = checkExportOptions(options);
  const out = await prepareOutDir(WHERE, o.out, ["conversations", "tables", ...(o.audio ? ["audio"] : [])]);
  o.signal?.throwIfAborted();
  const controller = new AbortController();
  // Every task in flight listens to the run's signal for its calls (a few each, removed after each
  // call): more than Node's default of 10 by design, so no leak warning is printed for them.
  setMaxListeners(4 * o.concurrency + 10, controller.signal);
  const stop = () => controller.abort(o.signal!.reason);
  o.signal?.addEventListener("abort", stop, { once: true });

  const progress: ExportProgress = {
    listed: 0,
    handled: 0,
    exported: 0,
    recordings: 0,
    bytes: 0,
    skipped: 0,
    pending: 0,
    failed: 0,
    listComplete: false,
  };
  let settled = false;
  const emit = (event: ExportEvent) => {
    if (!settled) o.onProgress?.(event);
  };
  const manifest = new ManifestWriter(out);
  const saver = new Saver(out);
  let recovered = false;
  let tableBase: TableBase = "rebuild";
  const empty = { conversations: false, audio: false };
  // Read while the first list page is on its way: the state, and after an abrupt end the folder's repair.
  const ready = (async () => {
    await new Promise<void>((resolve) => setImmediate(resolve)); // the first list request goes out first
    const { state, text } = await loadStateText(out);
    saver.loaded(state, text);
    recovered = state.running;
    tableBase = tableBaseOf(out, state);
    empty.conversations = folderEmpty(path.join(out, "conversations"), ".json");
    empty.audio = !o.audio || folderEmpty(path.join(out, "audio"), ".mp3");
    if (recovered) {
      for (const { folder } of MIRRORED) await removeTemporaries(path.join(out, folder));
      await removeTemporaries(path.join(out, "tables"));
      await removeTemporaries(out);
      await repairManifest(out);
    }
    return state;
  })();
  ready.catch(() => {});
  let marking: Promise<void> | undefined;
  let tableWriter: Promise<TableWriter | undefined> | undefined;
  const run: Run = {
    convai,
    out,
    options: o,
    ready,
    progress,
    manifest,
    emit,
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    listRequests: 0,
    empty,
    saver,
    // The state says "running" on disk before the first write into the folder (a run that writes
    // nothing writes no state either); a run that finds it so repairs the folder first.
    markRunning: () =>
      (marking ??= saver.state.running
        ? Promise.resolve()
        : ((saver.state.running = true),
          saver.save().catch((error: unknown) => Promise.reject(new StateFailed(error))))),
    // Started with the first conversation to write; undefined when the tables are rebuilt at the end instead.
    tables: () => {
      const base = tableBase;
      return (tableWriter ??=
        base === "rebuild"
          ? Promise.resolve(undefined)
          : run
              .markRunning()
              .then(() => TableWriter.start(out, base === "empty" ? undefined : base).catch(() => undefined)));
    },
  };
  const agents = o.agentIds.length === 0 ? [undefined] : o.agentIds;
  const first = startScope(run, agents[0]);
  try {
    for (const [i, agent] of agents.entries()) await walkScope(run, agent, i === 0 ? first : startScope(run, agent));
    progress.listComplete = true;
    await manifest.close();
    const state = saver.state;
    let tables = await commitTables(tableWriter);
    if (tables === undefined && (tableWriter !== undefined || tableBase === "rebuild" || tableBase === "empty")) {
      await run.markRunning();
      tables = await rewriteTables(out, controller.signal);
    }
    if (tables) {
      state.tablesCurrent = true;
      state.tableRows = tables;
      emit({ type: "tables", rows: tables, progress: { ...progress } });
    }
    state.running = false;
    // Dated only when the state is written (a process's first Date costs more than all the rest here).
    await saver.save((written) => {
      written.lastRun = {
        finishedAt: new Date().toISOString(),
        exported: progress.exported,
        pending: progress.pending,
        failed: progress.failed,
      };
    });
    return { ...progress, out, tables, listRequests: run.listRequests, recovered };
  } catch (error) {
    await manifest.close().catch(() => {});
    // Every task has settled (walkScope waits for them): the folder, the manifest and the tables agree.
    const tables = await commitTables(tableWriter).catch(() => undefined);
    if (tables) ((saver.state.tablesCurrent = true), (saver.state.tableRows = tables));
    if (saver.isLoaded) {
      saver.state.running = false;
      await saver.save().catch(() => {});
    }
    throw o.signal?.aborted ? o.signal.reason : error instanceof StateFailed ? error.cause : error;
  } finally {
    settled = true;
    o.signal?.removeEventListener("abort", stop);
  }
}

/**
 * Where the tables of this run start: copies of those in place (their row counts known), empty
 * (no tables and no conversation yet), or a rebuild from every conversation file at the end (after
 * an abrupt end, a run stopped before its tables, a table missing).
 */
type TableBase = Record<TableName, number> | "empty" | "rebuild";

function tableBaseOf(out: string, state: MirrorState): TableBase {
  if (state.running || state.tablesCurrent === false) return "rebuild";
  const present = TABLES.filter((table) => existsNow(path.join(out, "tables", `${table}.jsonl`))).length;
  const rows = state.tableRows;
  if (present === TABLES.length && rows !== undefined && TABLES.every((t) => Number.isSafeInteger(rows[t]))) {
    return rows as Record<TableName, number>;
  }
  if (present > 0 || !folderEmpty(path.join(out, "conversations"), ".json")) return "rebuild";
  return "empty";
}

/**
 * Whether `dir` holds no file named `*ext` (temporary files aside). Read synchronously and only
 * as far as the first such name: a run's fixed cost, where each call to the thread pool and back
 * costs more than the lookup itself.
 */
function folderEmpty(dir: string, ext: string): boolean {
  let folder: Dir;
  try {
    folder = opendirSync(dir);
  } catch {
    return true;
  }
  try {
    for (let entry = folder.readSync(); entry !== null; entry = folder.readSync()) {
      if (entry.name.endsWith(ext) && !entry.name.startsWith(".")) return false;
    }
    return true;
  } finally {
    folder.closeSync();
  }
}

/** Commits the run's table writer, if one was started and no write of it failed; undefined otherwise. */
async function commitTables(
  writer: Promise<TableWriter | undefined> | undefined,
): Promise<Record<TableName, number> | undefined> {
  const tables = await writer;
  if (tables === undefined) return undefined;
  if (tables.failed) {
    await tables.discard();
    return undefined;
  }
  try {
    return await tables.commit();
  } catch {
    await tables.discard();
    return undefined;
  }
}

/** The state could not be saved: no conversation can be written, the run stops. */
class StateFailed extends Error {
  constructor(cause: unknown) {
    super("the state could not be saved", { cause });
  }
}

interface ResolvedOptions {
  out: string;
  since: number | undefined;
  until: number | undefined;
  agentIds: readonly string[];
  filters: MirrorFilters;
  audio: boolean;
  concurrency: number;
  overlapSeconds: number;
  signal: AbortSignal | undefined;
  onProgress: ((event: ExportEvent) => void) | undefined;
}

interface Run {
  /**
   * Folders that held no file when the run began: a file there can only be one this run wrote,
   * so a conversation's first attempt asks the disk nothing (a first export: two lookups fewer each).
   */
  empty: { conversations: boolean; audio: boolean };
  convai: MirrorClient;
  out: string;
  options: ResolvedOptions;
  /** The state, once read (and the folder repaired after an abrupt end). */
  ready: Promise<MirrorState>;
  progress: ExportProgress;
  manifest: ManifestWriter;
  emit: (event: ExportEvent) => void;
  signal: AbortSignal;
  /** Stops every task of the run (a fatal error). */
  abort: (reason: unknown) => void;
  listRequests: number;
  saver: Saver;
  /** Resolves once the state on disk says a run is going: awaited before any write into the folder. */
  markRunning: () => Promise<void>;
  /** The tables this run appends to, or undefined when they are rebuilt at its end. */
  tables: () => Promise<TableWriter | undefined>;
}

function checkExportOptions(options: ExportOptions): ResolvedOptions {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${WHERE}: options must be an object with out, got ${describe(options)}`);
  }
  const { out, agentIds = [], filters = {}, audio = false, concurrency = 16, overlapSeconds = 600 } = options;
  if (typeof out !== "string" || out.trim() === "") throw new TypeError(`${WHERE}: out must be a folder path`);
  const since = options.since === undefined ? undefined : requireUnixSeconds(WHERE, "since", options.since);
  const until = options.until === undefined ? undefined : requireUnixSeconds(WHERE, "until", options.until);
  if (since !== undefined && until !== undefined && since >= until) {
    throw new RangeError(`${WHERE}: since must be before until`);
  }
  if (!Array.isArray(agentIds) || agentIds.some((a) => typeof a !== "string" || a === "")) {
    throw new TypeError(`${WHERE}: agentIds must be an array of non-empty strings`);
  }
  if (filters === null || typeof filters !== "object") throw new TypeError(`${WHERE}: filters must be an object`);
  if (typeof audio !== "boolean") throw new TypeError(`${WHERE}: audio must be a boolean`);
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 1000) {
    throw new RangeError(`${WHERE}: concurrency must be an integer from 1 to 1000, got ${describe(concurrency)}`);
  }
  if (!Number.isSafeInteger(overlapSeconds) || overlapSeconds < 0) {
    throw new RangeError(`${WHERE}: overlapSeconds must be a non-negative integer, got ${describe(overlapSeconds)}`);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new TypeError(`${WHERE}: signal must be an AbortSignal`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== "function") {
    throw new TypeError(`${WHERE}: onProgress must be a function`);
  }
  return {
    out,
    since,
    until,
    agentIds: [...new Set(agentIds)],
    filters,
    audio,
    concurrency,
    overlapSeconds,
    signal: options.signal,
    onProgress: options.onProgress,
  };
}

/**
 * Checks a mirror's folder before a run, as `exportConversations` does first: creates it and the
 * folders inside when missing, and throws a `TypeError` naming the path when one is a file, a
 * symbolic link, or not writable. For a command that must refuse a bad folder before any request.
 */
export async function checkMirrorDir(out: string, options: { audio?: boolean } = {}): Promise<string> {
  if (typeof out !== "string" || out.trim() === "") throw new TypeError(`${WHERE}: out must be a folder path`);
  return prepareOutDir(WHERE, out, ["conversations", "tables", ...(options.audio ? ["audio"] : [])]);
}

/**
 * Makes sure `out` is a folder this process can write (creating it and the mirror's folders):
 * not a file, not a symbolic link, and so for each folder inside. Throws a `TypeError` that says
 * which path is wrong. Runs before any request.
 */
export async function prepareOutDir(where: string, out: string, inside: readonly string[]): Promise<string> {
  const dir = path.resolve(out);
  // Synchronous: a few metadata lookups of microseconds each, a run's fixed cost (asynchronous,
  // each went to the thread pool and back: milliseconds on a busy machine, before the first request).
  for (const folder of [dir, ...inside.map((f) => path.join(dir, f))]) {
    let stats: Stats | undefined;
    try {
      stats = lstatSync(folder, { throwIfNoEntry: false });
    } catch (error) {
      throw new TypeError(`${where}: cannot use ${folder}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    if (stats === undefined) {
      await mkdir(folder, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
        throw new TypeError(`${where}: cannot create ${folder}: ${error.code ?? error.message}`);
      });
    } else if (!stats.isDirectory()) {
      throw new TypeError(
        `${where}: ${folder} exists and is ${stats.isSymbolicLink() ? "a symbolic link" : "not a folder"}`,
      );
    }
    try {
      accessSync(folder, constants.W_OK | constants.X_OK);
    } catch {
      throw new TypeError(`${where}: ${folder} is not writable`);
    }
  }
  return dir;
}

/**
 * Saves the state at most every SAVE_EVERY changes or SAVE_EVERY_MS, one save at a time, and only
 * when what it decides changed (`lastRun` alone is not worth a write): a run with nothing new
 * writes nothing.
 */
class Saver {
  #changes = 0;
  #last = Date.now();
  #saving: Promise<void> = Promise.resolve();
  /** The state as last read or written, without `lastRun`. */
  #saved: string | undefined;
  #state: MirrorState | undefined;
  readonly #out: string;

  constructor(out: string) {
    this.#out = out;
  }

  loaded(state: MirrorState, text: string | undefined): void {
    this.#state = state;
    this.#saved = text === undefined ? undefined : decisions(state);
  }

  get isLoaded(): boolean {
    return this.#state !== undefined;
  }

  get state(): MirrorState {
    return this.#state!;
  }

  async changed(): Promise<void> {
    if (++this.#changes < SAVE_EVERY && Date.now() - this.#last < SAVE_EVERY_MS) return;
    await this.save();
  }

  /** Writes the state if what it decides changed; `stamp` then amends it first (with `lastRun`). */
  save(stamp?: (state: MirrorState) => void): Promise<void> {
    this.#changes = 0;
    this.#last = Date.now();
    const next = this.#saving.then(async () => {
      const now = decisions(this.state);
      if (now === this.#saved) return;
      stamp?.(this.state);
      await saveState(this.#out, this.state);
      this.#saved = now;
    });
    this.#saving = next.catch(() => {});
    return next;
  }
}

function decisions(state: MirrorState): string {
  const { lastRun: _, ...rest } = state;
  return JSON.stringify(rest);
}

/** One conversation the walk handed to the pool, in list order. */
interface Task {
  start: number;
  done: boolean;
}

/**
 * Walks one scope's list (newest first) and exports what it has to, until the list ends or every
 * start time below is covered and no pending conversation lies below.
 */
/** A scope's list, its first page asked for now; where it stops is set once the state is read. */
interface ScopeList {
  pages: ReturnType<typeof primed<ConversationsPage>>;
  stopAt(stopsAt: (start: number) => boolean): void;
}

/**
 * Starts walking one scope's list: the first page is asked for before the state is read (and
 * before the walk's own code first runs), so a run with nothing new is little more than that request.
 */
function startScope(run: Run, agentId: string | undefined): ScopeList {
  const o = run.options;
  const query: ListConversationsQuery = {
    ...o.filters,
    ...(agentId === undefined ? {} : { agent_id: agentId }),
    ...(o.since === undefined ? {} : { call_start_after_unix: o.since - 1 }),
    ...(o.until === undefined ? {} : { call_start_before_unix: o.until }),
    page_size: 100,
  };
  let stopsAt = (_start: number) => false;
  return {
    pages: primed(listPages(run, query, (start) => stopsAt(start))),
    stopAt: (f) => void (stopsAt = f),
  };
}

async function walkScope(run: Run, agentId: string | undefined, list: ScopeList): Promise<void> {
  const { options: o, progress } = run;
  const { pages } = list;
  let state: MirrorState;
  try {
    state = await run.ready;
  } catch (error) {
    await pages.return();
    throw error;
  }
  const key = JSON.stringify({
    agent_id: agentId ?? null,
    since: o.since ?? null,
    until: o.until ?? null,
    filters: o.filters,
    audio: o.audio,
  });
  const scope: ScopeState = (state.scopes[key] ??= { covered: [], pending: {} });
  const before = mergeRanges(scope.covered);
  const noRecording: Record<string, number> = scope.noRecording ?? {};
  // The newest covered range, less the overlap: conversations that appeared late are looked for there.
  const ranges = before.map((r): Range => [r[0], r[1]]);
  if (ranges[0] !== undefined) {
    ranges[0][1] -= o.overlapSeconds;
    if (ranges[0][0] !== null && ranges[0][1] <= ranges[0][0]) ranges.shift();
  }
  const floor = ranges.find((r) => r[0] === null)?.[1];
  const pendingAtStart = new Map(Object.entries(scope.pending));
  const lowestPending = Math.min(...[...pendingAtStart.values()].map((p) => p.start));
  const stopsAt = (start: number) => floor !== undefined && start <= floor && start < lowestPending;
  list.stopAt(stopsAt);

  const queue: Task[] = [];
  let head = 0;
  let newest: number | undefined;
  let last: number | undefined;
  let exhausted = false;
  // The ids handed out, for a page served again (after a retry, or by a server that repeats
  // itself): kept only down to the page before this one, in the order seen, so that memory stays
  // flat however long the list. Ids of a start time that spans pages stay while it lasts. An id
  // above that (out of order: a list sorted newest first never goes back up) is looked for among
  // what the run has in hand instead: in flight, pending, or on disk.
  const seen = new Map<string, number>();
  let keepUpTo = Infinity; // the newest start time of the page before; ids above it have left `seen`
  let pageTop = -Infinity;
  const inFlight = new Set<string>();
  const seenPending = new Set<string>(); // of pendingAtStart
  const handledAbove = (id: string) =>
    inFlight.has(id) ||
    seenPending.has(id) ||
    (Object.hasOwn(scope.pending, id) && !pendingAtStart.has(id)) ||
    existsNow(path.join(run.out, "conversations", `${id}.json`));
  const coverage = (): Range | undefined => {
    if (newest === undefined) return undefined;
    while (head < queue.length && queue[head]!.done) head++;
    if (head > 1024) (queue.splice(0, head), (head = 0));
    const lo = head < queue.length ? queue[head]!.start : exhausted ? null : last!;
    return [lo, newest];
  };
  const persist = () => {
    const now = coverage();
    scope.covered = mergeRanges(now === undefined ? before : [...before, now]);
  };

  const active = new Set<Promise<void>>();
  // Woken by the task that frees a place: one promise per wait, where Promise.race(active) added a
  // reaction to every task in flight at every wait (20 per conversation at the default pool).
  let freed: (() => void) | undefined;
  let fatal: { error: unknown } | undefined;

  const finish = async (task: Task, id: string, outcome: Outcome) => {
    task.done = true;
    progress.handled++;
    if (outcome.kind === "pending" || outcome.kind === "failed") {
      scope.pending[id] = {
        start: task.start,
        status: outcome.kind === "failed" ? "error" : outcome.status,
        ...(outcome.kind === "failed" ? { reason: errorLine(outcome.error) } : {}),
      };
    } else delete scope.pending[id];
    // Only near the top: the next run looks again at the overlap below the newest start time only.
    if (
      "noRecording" in outcome &&
      o.audio &&
      task.start > Math.max(newest!, before[0]?.[1] ?? -Infinity) - o.overlapSeconds
    ) {
      noRecording[id] = task.start;
      scope.noRecording = noRecording;
    }
    if (outcome.kind === "exported") {
      state.tablesCurrent = false; // saved with the state: an interrupted run still rewrites them next time
      progress.exported++;
      progress.bytes += outcome.bytes;
      if (outcome.recording) progress.recordings++;
      run.emit({
        type: "exported",
        conversationId: id,
        bytes: outcome.bytes,
        recording: outcome.recording,
        progress: { ...progress },
      });
    } else if (outcome.kind === "skipped") progress.skipped++;
    else if (outcome.kind === "pending") {
      progress.pending++;
      run.emit({ type: "pending", conversationId: id, status: outcome.status, progress: { ...progress } });
    } else if (outcome.kind === "failed") {
      progress.failed++;
      run.emit({ type: "failed", conversationId: id, error: outcome.error, progress: { ...progress } });
    }
    persist();
    await run.saver.changed();
  };

  try {
    pages: for await (const page of pages) {
      for (const summary of page.conversations) {
        if (fatal) break pages;
        const id = summary.conversation_id;
        const start = summary.start_time_unix_secs;
        if (stopsAt(start)) break pages;
        // Listed twice (a page repeated after a retry): handled once.
        if (seen.has(id) || (start > keepUpTo && SAFE_ID.test(id) && handledAbove(id))) continue;
        progress.listed++;
        newest = newest === undefined ? start : Math.max(newest, start);
        last = start;
        seen.set(id, start);
        pageTop = Math.max(pageTop, start);
        const wasPending = pendingAtStart.has(id);
        if (wasPending) seenPending.add(id);
        // Covered by an earlier run, or (in the overlap looked at again) already on disk: no task.
        if (!wasPending && (isCovered(ranges, start) || onDisk(run, id, noRecording))) {
          progress.handled++;
          progress.skipped++;
          continue;
        }
        const task: Task = { start, done: false };
        queue.push(task);
        if (
          !FINISHED.has(summary.status) &&
          (run.empty.conversations || !existsNow(path.join(run.out, "conversations", `${id}.json`)))
        ) {
          await finish(task, id, { kind: "pending", status: summary.status });
          continue;
        }
        while (active.size >= o.concurrency) await new Promise<void>((resolve) => (freed = resolve));
        if (fatal) break pages;
        inFlight.add(id);
        const work = exportOne(run, id)
          .then(
            (outcome) => finish(task, id, outcome),
            (error: unknown) => {
              if (!fatal && !run.signal.aborted) {
                fatal = { error };
                run.abort(error);
              }
            },
          )
          // The state could not be saved: the walk stops (no wait observes a task's failure any more).
          .catch((error: unknown) => void (fatal ??= { error }))
          .finally(() => {
            inFlight.delete(id);
            active.delete(work);
            freed?.();
            freed = undefined;
          });
        active.add(work);
      }
      run.emit({ type: "page", progress: { ...progress } });
      // What the page before this one handed out leaves `seen` (oldest entries first: the newest start times).
      for (const [id, start] of seen) {
        if (start <= keepUpTo) break;
        seen.delete(id);
      }
      if (pageTop !== -Infinity) keepUpTo = pageTop;
      pageTop = -Infinity;
    }
    if (!fatal) exhausted = true;
  } catch (error) {
    fatal ??= { error };
  }
  await Promise.allSettled([...active]);
  while (active.size > 0) await Promise.allSettled([...active]);
  if (fatal === undefined && run.signal.aborted) fatal = { error: run.signal.reason };
  if (fatal === undefined) {
    // Pending conversations the walk passed without seeing are gone from the list (deleted).
    const passed = exhausted ? -Infinity : (last ?? Infinity);
    for (const [id, entry] of pendingAtStart)
      if (!seenPending.has(id) && entry.start > passed) delete scope.pending[id];
    if (exhausted && newest === undefined) scope.covered = mergeRanges([...before]);
    persist();
    const below = (scope.covered[0]?.[1] ?? -Infinity) - o.overlapSeconds;
    for (const [id, start] of Object.entries(noRecording)) if (start <= below) delete noRecording[id];
    if (scope.noRecording !== undefined && Object.keys(noRecording).length === 0) delete scope.noRecording;
  } else {
    exhausted = false;
    persist();
    throw fatal.error;
  }
}

/**
 * The list's pages, each asked for while the one before is handed out, unless that one already
 * reaches where the walk stops (`stopsAt` its oldest start time: none is asked for in vain). Resumed from the failing page's cursor after a transient failure (the
 * client's own retries exhausted), so a long walk survives a bad minute.
 */
async function* listPages(run: Run, query: ListConversationsQuery, stopsAt: (start: number) => boolean) {
  let cursor: string | undefined;
  for (let round = 0; ;) {
    try {
      const pages = run.convai.conversations
        .list(cursor === undefined ? query : { ...query, cursor }, { signal: run.signal })
        .pages();
      // The next page is asked for while this one is handed out, so the workers never wait on
      // the list (its request queues for a slot like any other).
      let next = pages.next();
      try {
        for (;;) {
          const result = await next;
          if (result.done) return;
          const page = result.value;
          run.listRequests++;
          round = 0;
          await run.ready; // where the walk stops is known once the state is read
          const oldest = page.conversations.at(-1)?.start_time_unix_secs;
          if (oldest === undefined || !stopsAt(oldest)) (next = pages.next()).catch(() => {});
          else next = Promise.resolve({ done: true, value: undefined });
          yield page;
          cursor = page.next_cursor ?? undefined;
        }
      } finally {
        await next.catch(() => {}); // a page asked for ahead and not wanted: settled before the generator ends
        await pages.return();
      }
    } catch (error) {
      if (run.signal.aborted) throw run.signal.reason;
      if (!transient(error) || ++round >= ITEM_ROUNDS) throw error;
      const at = (error as { cursor?: unknown }).cursor;
      if (typeof at === "string") cursor = at;
      await sleep(Math.min(250 * 2 ** round, 4_000), run.signal);
    }
  }
}

/**
 * Whether a conversation's files are all in the folder already: its details, and with `audio` its
 * recording, unless an earlier run of the scope found it has none (`noRecording`).
 */
function onDisk(run: Run, id: string, noRecording: Readonly<Record<string, number>>): boolean {
  if (run.empty.conversations || !SAFE_ID.test(id) || !existsNow(path.join(run.out, "conversations", `${id}.json`))) {
    return false;
  }
  if (!run.options.audio || Object.hasOwn(noRecording, id)) return true;
  return !run.empty.audio && existsNow(path.join(run.out, "audio", `${id}.mp3`));
}

/** The iterator with its first `next()` called now (the first request goes out), for a `for await` later. */
function primed<T>(iterator: AsyncGenerator<T>): AsyncIterableIterator<T> & { return(): Promise<IteratorResult<T>> } {
  let first: Promise<IteratorResult<T>> | undefined = iterator.next();
  first.catch(() => {});
  return {
    next() {
      const result = first ?? iterator.next();
      first = undefined;
      return result;
    },
    async return() {
      await first?.catch(() => {});
      first = undefined;
      return iterator.return(undefined);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** `noRecording`: the details say the conversation has no recording (a run with `audio` need not look). */
type Outcome =
  | { kind: "exported"; bytes: number; recording: boolean; noRecording?: true }
  | { kind: "skipped"; noRecording?: true }
  | { kind: "gone" }
  | { kind: "pending"; status: string }
  | { kind: "failed"; error: unknown };

/** A failure worth another round: the connection, a timeout, a body cut short, 408/429/5xx. */
function transient(error: unknown): boolean {
  if (error instanceof ConvaiConnectionError || error instanceof CutShort) return true;
  return error instanceof ConvaiAPIError && RETRY_STATUSES.has(error.status);
}

/** A failure no conversation will get past (the key, the permissions): the run stops. */
function fatalStatus(error: unknown): boolean {
  return error instanceof ConvaiAPIError && (error.status === 401 || error.status === 403);
}

class CutShort extends ConvaiError {}

async function exportOne(run: Run, id: string): Promise<Outcome> {
  if (!SAFE_ID.test(id) || id.includes("..")) {
    return { kind: "failed", error: new TypeError(`conversation id ${JSON.stringify(id)} cannot name a file`) };
  }
  for (let round = 0; ; round++) {
    run.signal.throwIfAborted();
    try {
      return await exportAttempt(run, id, round === 0);
    } catch (error) {
      if (run.signal.aborted) throw run.signal.reason;
      if (fatalStatus(error) || error instanceof StateFailed) throw error;
      if (!transient(error) || round + 1 >= ITEM_ROUNDS) return { kind: "failed", error };
      await sleep(Math.min(250 * 2 ** round, 4_000) * (0.75 + Math.random() / 4), run.signal);
    }
  }
}

async function exportAttempt(run: Run, id: string, first: boolean): Promise<Outcome> {
  const jsonPath = path.join(run.out, "conversations", `${id}.json`);
  const audioPath = path.join(run.out, "audio", `${id}.mp3`);
  const audio = run.options.audio;
  // A retry looks: the attempt before may have saved the recording.
  const none = first ? run.empty : { conversations: false, audio: false };
  if (!none.conversations && existsNow(jsonPath)) {
    if (!audio || existsNow(audioPath)) return { kind: "skipped" };
    const stored = JSON.parse(await readFile(jsonPath, "utf8")) as Conversation;
    if (!stored.has_audio) return { kind: "skipped", noRecording: true };
    await run.markRunning();
    const bytes = await saveAudio(run, id, audioPath);
    return bytes === undefined ? { kind: "skipped" } : { kind: "exported", bytes, recording: true };
  }
  const marked = run.markRunning(); // while the details are on their way
  marked.catch(() => {});
  const text = await fetchDetails(run, id);
  if (text === undefined) return { kind: "gone" };
  const conversation = JSON.parse(text) as Conversation;
  if (!FINISHED.has(conversation.status)) return { kind: "pending", status: conversation.status };
  await marked;
  let bytes = 0;
  let recording = false;
  // The recording first: a conversation's JSON on disk means its recording is there too.
  if (audio && conversation.has_audio && (none.audio || !existsNow(audioPath))) {
    const saved = await saveAudio(run, id, audioPath);
    if (saved !== undefined) ((bytes += saved), (recording = true));
  }
  const tables = await run.tables();
  const written = await writeAtomic(jsonPath, text);
  tables?.add(conversation);
  run.manifest.append({
    path: `conversations/${id}.json`,
    bytes: written.bytes,
    sha256: written.sha256,
    conversation_id: id,
    kind: "conversation",
  });
  return {
    kind: "exported",
    bytes: bytes + written.bytes,
    recording,
    ...(audio && !conversation.has_audio ? { noRecording: true as const } : {}),
  };
}

/**
 * The details as the API serves them, as text (written byte for byte); undefined on 404.
 *
 * The call's Request gets a signal of its own, linked to the run's for the call only: a Request
 * made with a signal keeps an abort listener on it until the Request is collected, so with the
 * run's signal every request of the run left a listener on that one long-lived signal (each
 * listed again by the next Request's constructor, and kept past young-generation collections).
 */
async function fetchDetails(run: Run, id: string): Promise<string | undefined> {
  const { signal, dispose } = linkSignals([run.signal]);
  let result;
  try {
    result = await run.convai.api.GET("/v1/convai/conversations/{conversation_id}", {
      params: { path: { conversation_id: id } },
      parseAs: "text",
      signal,
    });
  } finally {
    dispose();
  }
  const { data, error, response } = result;
  if (response.status === 404) return undefined;
  if (!response.ok || typeof data !== "string") {
    throw new ConvaiAPIError({
      status: response.status,
      method: "GET",
      path: `/v1/convai/conversations/${encodeURIComponent(id)}`,
      operation: WHERE,
      requestId: response.headers.get("request-id") ?? undefined,
      body: error,
    });
  }
  return data;
}

/** Streams the recording to its file; undefined when the API has none (404). */
async function saveAudio(run: Run, id: string, target: string): Promise<number | undefined> {
  let audio;
  try {
    audio = await run.convai.conversations.audio(id, { signal: run.signal });
  } catch (error) {
    if (error instanceof ConvaiAPIError && error.status === 404) return undefined;
    throw error;
  }
  let written;
  try {
    // Held in memory up to a share of 16 MB (the response's slot is freed as fast as the bytes come).
    const memory = Math.max(64 * 1024, Math.floor(AUDIO_MEMORY_BYTES / run.options.concurrency));
    written = await writeStreamAtomic(target, audio.body, audio.contentLength, memory);
  } catch (error) {
    if (error instanceof RangeError) throw new CutShort(`${id}: ${error.message}`, { operation: WHERE });
    throw error;
  }
  run.manifest.append({
    path: `audio/${id}.mp3`,
    bytes: written.bytes,
    sha256: written.sha256,
    conversation_id: id,
    kind: "audio",
  });
  return written.bytes;
}

function errorLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!.slice(0, 300);
}
