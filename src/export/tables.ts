/**
 * `DIR/tables/*.jsonl`: analytics-ready JSON Lines derived from `DIR/conversations/`, one file per
 * table, rewritten as a whole (temporary names, then renames) so they always match the folder.
 * Every row carries `schema_version`; the join keys are `conversation_id` and, for turns and tool
 * calls, `turn_index` (the 0-based position in the transcript). Columns are read from the
 * conversation as the API serves it (the generated types), so new API fields never break a row.
 */
import { open, opendir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Conversation } from "../types.ts";
import { syncDir, temporaryFor } from "./files.ts";

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

/** A buffered append-only writer to a temporary file. */
class TableFile {
  #chunks: string[] = [];
  #size = 0;
  readonly temporary: string;
  readonly target: string;
  rows = 0;
  #handle: Awaited<ReturnType<typeof open>> | undefined;

  constructor(target: string) {
    this.target = target;
    this.temporary = temporaryFor(target);
  }

  async add(row: Loose): Promise<void> {
    const line = `${JSON.stringify(row)}\n`;
    this.#chunks.push(line);
    this.#size += line.length;
    this.rows++;
    if (this.#size > 256 * 1024) await this.flush();
  }

  async flush(): Promise<void> {
    this.#handle ??= await open(this.temporary, "wx");
    if (this.#chunks.length > 0) await this.#handle.write(this.#chunks.join(""));
    this.#chunks = [];
    this.#size = 0;
  }

  async commit(): Promise<void> {
    await this.flush();
    await this.#handle!.sync();
    await this.#handle!.close();
    await rename(this.temporary, this.target);
  }

  async discard(): Promise<void> {
    await this.#handle?.close().catch(() => {});
    await rm(this.temporary, { force: true });
  }
}

/** Rewrites every table from `DIR/conversations/`, in conversation id order. Returns the row counts. */
export async function rewriteTables(dir: string, signal?: AbortSignal): Promise<Record<TableName, number>> {
  const source = path.join(dir, "conversations");
  const target = path.join(dir, "tables");
  const names: string[] = [];
  for await (const entry of await opendir(source)) {
    if (entry.isFile() && !entry.name.startsWith(".") && entry.name.endsWith(".json")) names.push(entry.name);
  }
  names.sort();
  const files = Object.fromEntries(TABLES.map((t) => [t, new TableFile(path.join(target, `${t}.jsonl`))])) as Record<
    TableName,
    TableFile
  >;
  try {
    for (const name of names) {
      signal?.throwIfAborted();
      const conversation = JSON.parse(await readFile(path.join(source, name), "utf8")) as Conversation;
      const rows = rowsOf(conversation);
      for (const table of TABLES) for (const row of rows[table]) await files[table].add(row);
    }
    for (const table of TABLES) await files[table].flush();
    for (const table of TABLES) await files[table].commit();
  } catch (error) {
    for (const table of TABLES) await files[table].discard();
    throw error;
  }
  await syncDir(target);
  return Object.fromEntries(TABLES.map((t) => [t, files[t].rows])) as Record<TableName, number>;
}
