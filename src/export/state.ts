/**
 * What a mirror's runs decided, in `DIR/.state.json`: per scope (the filters of a run), the
 * ranges of start times fully covered (every finished conversation in them is on disk, every
 * unfinished one is pending), and the pending conversations (in progress, processing, or whose
 * fetch failed) to look for again. The folder's files are the truth of what is exported; the
 * state only saves list requests. Saved atomically and flushed before the run goes on.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { syncDir, writeAtomic } from "./files.ts";

export const STATE_FILE = ".state.json";
export const STATE_VERSION = 1;

/** Start times `lo < t <= hi` (unix seconds); `lo` null: from the beginning of the list. */
export type Range = [lo: number | null, hi: number];

export interface PendingEntry {
  start: number;
  /** The status last seen (`in-progress`, `processing`, …), or `error` when the fetch failed. */
  status: string;
  reason?: string;
}

export interface ScopeState {
  covered: Range[];
  pending: Record<string, PendingEntry>;
  /**
   * With `audio`: conversations near the newest covered start time (within the overlap the next
   * run looks at again) whose details say they have no recording, by start time. The next run
   * finds them in the folder without reading their details to learn it again.
   */
  noRecording?: Record<string, number>;
}

export interface MirrorState {
  version: typeof STATE_VERSION;
  /** True while a run is going: a run that finds it true knows the last one ended abruptly. */
  running: boolean;
  scopes: Record<string, ScopeState>;
  /** False once a file was written after the tables were last rewritten (they are then due). */
  tablesCurrent?: boolean;
  /** The row count of each table as last written (a run appends to them from there). */
  tableRows?: Record<string, number>;
  /** The last run that changed what the state decides (a run with nothing new writes no state). */
  lastRun?: { finishedAt: string; exported: number; pending: number; failed: number };
}

export function emptyState(): MirrorState {
  return { version: STATE_VERSION, running: false, scopes: {} };
}

export async function loadState(dir: string): Promise<MirrorState> {
  return (await loadStateText(dir)).state;
}

/** The state and the text it was read from (undefined when there is no state file yet). */
export async function loadStateText(dir: string): Promise<{ state: MirrorState; text: string | undefined }> {
  let text: string;
  try {
    // Synchronous: a small file, read once per run, while the first list request is on its way.
    text = readFileSync(path.join(dir, STATE_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { state: emptyState(), text: undefined };
    throw error;
  }
  const state = JSON.parse(text) as MirrorState;
  if (state?.version !== STATE_VERSION || typeof state.scopes !== "object" || state.scopes === null) {
    throw new Error(`${STATE_FILE} in ${dir} is not a state file of this version (${STATE_VERSION})`);
  }
  return { state, text };
}

export async function saveState(dir: string, state: MirrorState): Promise<void> {
  await writeAtomic(path.join(dir, STATE_FILE), `${JSON.stringify(state, null, 1)}\n`);
  await syncDir(dir);
}

/** The union of ranges, sorted from newest, touching or overlapping ones merged. */
export function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => (a[0] ?? -Infinity) - (b[0] ?? -Infinity));
  const out: Range[] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && (lo ?? -Infinity) <= last[1]) last[1] = Math.max(last[1], hi);
    else if (lo === null || lo < hi) out.push([lo, hi]);
  }
  return out.reverse();
}

/** Whether start time `t` lies in a covered range. */
export function isCovered(ranges: readonly Range[], t: number): boolean {
  return ranges.some(([lo, hi]) => t <= hi && (lo === null || t > lo));
}
