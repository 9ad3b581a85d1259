/**
 * `DIR/tables/*.jsonl`: analytics-ready JSON Lines derived from `DIR/conversations/`, one file per
 * table, replaced as a whole (temporary names, then renames) so they always match the folder: a
 * run appends the rows of the conversations it exported to copies of the tables in place; a run
 * that cannot trust those (the first after an abrupt end, or with a table missing) rebuilds them
 * from every conversation file, in conversation id order.
 * Every row carries `schema_version`; the join keys are `conversation_id` and, for turns and tool
 * calls, `turn_index` (the 0-based position in the transcript). Columns are read from the
 * conversation as the API serves it (the generated types), so new API fields never break a row.
 */
import { constants } from "node:fs";
import { copyFile, opendir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Conversation } from "../types.ts";
import { BufferedAppend, syncDir, temporaryFor } from "./files.ts";

/** Bumped when a column changes meaning or goes; adding a column keeps it. */
export const TABLE_SCHEMA_VERSION = 1;

export const TABLES = [
  "conversations",
  "turns",
  "tool_calls",
  "evaluation_results",
  "data_collection_results",
] as const;
export type TableName = (typeof TABLES)[number];

type Turn = Conversation["transcript"][number];
type Loose = Record<string, unknown>;

/** The rows one conversation contributes to each table. */
export function rowsOf(conversation: Conversation): Record<TableName, Loose[]> {
  const c = conversation;
  const id = c.conversation_id;
  const v = TABLE_SCHEMA_VERSION;
  const metadata = (c.metadata ?? {}) as Loose;
  const analysis = (c.analysis ?? {}) as NonNullable<Conversation["analysis"]>;
  const transcript: Turn[] = Array.isArray(c.transcript) ? c.transcript : [];
  const results = new Map<string, { turn: number; result: Loose }>();
  transcript.forEach((turn, index) => {
    for (const result of (turn.tool_results ?? []) as Loose[]) {
      if (typeof result.request_id === "string") results.set(result.request_id, { turn: index, result });
    }
  });
  const rows: Record<TableName, Loose[]> = {
    conversations: [
      {
        schema_version: v,
        conversation_id: id,
        agent_id: c.agent_id,
        user_id: c.user_id ?? null,
        branch_id: c.branch_id ?? null,
        status: c.status,
        start_time_unix_secs: metadata.start_time_unix_secs ?? null,
        call_duration_secs: metadata.call_duration_secs ?? null,
        turn_count: transcript.length,
        has_audio: c.has_audio,
        call_successful: analysis.call_successful ?? null,
        call_summary_title: analysis.call_summary_title ?? null,
        transcript_summary: analysis.transcript_summary ?? null,
        termination_reason: metadata.termination_reason ?? null,
        main_language: metadata.main_language ?? null,
        cost: metadata.cost ?? null,
      },
    ],
    turns: [],
    tool_calls: [],
    evaluation_results: [],
    data_collection_results: [],
  };
  transcript.forEach((turn, index) => {
    rows.turns.push({
      schema_version: v,
      conversation_id: id,
      turn_index: index,
      role: turn.role,
      message: turn.message ?? null,
      time_in_call_secs: turn.time_in_call_secs,
      interrupted: turn.interrupted ?? null,
      source_medium: turn.source_medium ?? null,
      tool_call_count: turn.tool_calls?.length ?? 0,
    });
    (turn.tool_calls ?? []).forEach((call, callIndex) => {
      const found = results.get(call.request_id);
      const result = found?.result;
      rows.tool_calls.push({
        schema_version: v,
        conversation_id: id,
        turn_index: index,
        call_index: callIndex,
        request_id: call.request_id,
        tool_name: call.tool_name,
        tool_type: (call as Loose).type ?? null,
        params_as_json: call.params_as_json,
        result_turn_index: found?.turn ?? null,
        result_type: result?.type ?? null,
        result_value: result?.result_value ?? null,
        is_error: result?.is_error ?? null,
        tool_latency_secs: result?.tool_latency_secs ?? null,
      });
    });
  });
  for (const e of Object.values(analysis.evaluation_criteria_results ?? {})) {
    rows.evaluation_results.push({
      schema_version: v,
      conversation_id: id,
      criteria_id: e.criteria_id,
      result: e.result,
      rationale: e.rationale,
    });
  }
  for (const [key, d] of Object.entries(analysis.data_collection_results ?? {})) {
    const r = d as Loose;
    rows.data_collection_results.push({
      schema_version: v,
      conversation_id: id,
      data_collection_id: r.data_collection_id ?? key,
      value: r.value ?? null,
      rationale: r.rationale ?? null,
    });
  }
  return rows;
}

/**
 * The five tables being written under temporary names, renamed into place together by `commit`.
 * `start` begins them empty, or (`from`: the tables now in place and their row counts) as copies
 * of those, so a run that exports a few conversations appends their rows instead of reading
 * every conversation file again.
 */
export class TableWriter {
  readonly #files: Record<TableName, BufferedAppend>;
  readonly #dir: string;
  readonly #base: Record<TableName, number>;

  private constructor(dir: string, files: Record<TableName, BufferedAppend>, base: Record<TableName, number>) {
    this.#dir = dir;
    this.#files = files;
    this.#base = base;
  }

  static async start(dir: string, from?: Record<TableName, number>): Promise<TableWriter> {
    const target = path.join(dir, "tables");
    const made: string[] = [];
    try {
      const files = {} as Record<TableName, BufferedAppend>;
      for (const table of TABLES) {
        const file = path.join(target, `${table}.jsonl`);
        const temporary = temporaryFor(file);
        made.push(temporary);
        // A reflink where the file system has them, else a copy; the rows to come are appended.
        if (from) await copyFile(file, temporary, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
        else await writeFile(temporary, "", { flag: "wx" });
        files[table] = new BufferedAppend(temporary, "a");
      }
      return new TableWriter(dir, files, from ?? (Object.fromEntries(TABLES.map((t) => [t, 0])) as never));
    } catch (error) {
      for (const temporary of made) await rm(temporary, { force: true });
      throw error;
    }
  }

  /** Whether a write failed: the tables cannot be committed (a full rewrite makes them right). */
  get failed(): boolean {
    return TABLES.some((t) => this.#files[t].failed);
  }

  /** Queues one conversation's rows (written in batches). */
  add(conversation: Conversation): void {
    const rows = rowsOf(conversation);
    for (const table of TABLES) for (const row of rows[table]) this.#files[table].write(`${JSON.stringify(row)}\n`);
  }

  /** Waits until what was queued is in the files (for a writer that adds faster than the disk takes). */
  async flushed(): Promise<void> {
    for (const table of TABLES) await this.#files[table].flushed();
  }

  /** Flushes every table to disk and renames them into place; returns their row counts. */
  async commit(): Promise<Record<TableName, number>> {
    for (const table of TABLES) await this.#files[table].close(true);
    for (const table of TABLES) {
      await rename(this.#files[table].path, path.join(this.#dir, "tables", `${table}.jsonl`));
    }
    await syncDir(path.join(this.#dir, "tables"));
    return Object.fromEntries(TABLES.map((t) => [t, this.#base[t] + this.#files[t].lines])) as Record<
      TableName,
      number
    >;
  }

  async discard(): Promise<void> {
    for (const table of TABLES) {
      await this.#files[table].close().catch(() => {});
      await rm(this.#files[table].path, { force: true });
    }
  }
}

/** Rewrites every table from `DIR/conversations/`, in conversation id order. Returns the row counts. */
export async function rewriteTables(dir: string, signal?: AbortSignal): Promise<Record<TableName, number>> {
  const source = path.join(dir, "conversations");
  const names: string[] = [];
  for await (const entry of await opendir(source)) {
    if (entry.isFile() && !entry.name.startsWith(".") && entry.name.endsWith(".json")) names.push(entry.name);
  }
  names.sort();
  const tables = await TableWriter.start(dir);
  try {
    for (const [i, name] of names.entries()) {
      signal?.throwIfAborted();
      tables.add(JSON.parse(await readFile(path.join(source, name), "utf8")) as Conversation);
      if (i % 64 === 63) await tables.flushed();
    }
    return await tables.commit();
  } catch (error) {
    await tables.discard();
    throw error;
  }
}
