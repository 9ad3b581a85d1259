/** Shared bench helpers: interleaved rounds, medians, child processes, the emulator process. */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import path from "node:path";
import { ROOT } from "../scripts/lib/root.ts";
import { promisify } from "node:util";

export { ROOT };
/** bench/, with its own package.json and node_modules: the official SDK and rollup live there. */
export const BENCH = path.join(ROOT, "bench");
export const TSX = path.join(ROOT, "node_modules/tsx/dist/cli.mjs");
export const run = promisify(execFile);

/** The distribution of per-round ratios (ours / floor, each round's pair run back to back). */
export interface Spread {
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
  rounds: number;
}

/** One line of the results table. `ours`, `floor` and `sdk` are medians in `unit`. */
export interface Row {
  figure: string;
  metric: string;
  unit: string;
  ours: number;
  floor: number | undefined;
  /** What the floor is, when it is not plain fetch + JSON.parse (e.g. "bare openapi-fetch"). */
  floorLabel?: string;
  sdk: number | undefined;
  /** What the target compares, e.g. "ours/floor ≤ 1.10". */
  target: string;
  /**
   * Whether the target was met: `true`, `false`, `"noise"` when the spread crosses it (neither can
   * be told), or undefined when the row has no target.
   */
  met: boolean | "noise" | undefined;
  /** The per-round ratios ours / floor, for the figures measured in rounds. */
  spread?: Spread;
  /** The per-round ratios SDK / floor, when the SDK was paired with the floor in rounds of its own. */
  sdkSpread?: Spread;
  note?: string;
}

/** Per-round ratios a[i] / b[i], summarised. */
export function spreadOf(a: number[], b: number[]): Spread {
  const ratios = a.map((v, i) => v / b[i]!).sort((x, y) => x - y);
  const at = (f: number) => {
    const pos = f * (ratios.length - 1);
    const low = Math.floor(pos);
    return ratios[low]! + (ratios[Math.min(low + 1, ratios.length - 1)]! - ratios[low]!) * (pos - low);
  };
  return { median: at(0.5), q1: at(0.25), q3: at(0.75), min: ratios[0]!, max: ratios.at(-1)!, rounds: ratios.length };
}

/**
 * A verdict that shows its noise: for "at most `limit`", met when the median is within it and the
 * upper quartile within `spreadLimit` (the median and its spread both fit), missed when even the
 * lower quartile is past it, and "noise" when the spread crosses it. Mirrored for "at least".
 */
export function verdict(spread: Spread, sense: "≤" | "≥", limit: number, spreadLimit: number): Row["met"] {
  if (sense === "≤") {
    if (spread.median <= limit && spread.q3 <= spreadLimit) return true;
    return spread.q1 > limit ? false : "noise";
  }
  if (spread.median >= limit && spread.q1 >= spreadLimit) return true;
  return spread.q3 < limit ? false : "noise";
}

/** A target for the per-round ratio ours / floor: its median, and the quartile on the far side. */
export interface Target {
  sense: "≤" | "≥";
  limit: number;
  spreadLimit: number;
  /** Said after the target, e.g. what the floor is. */
  note?: string;
}

/**
 * A row of per-round samples: their medians, the spread of the ratio ours / floor, and its
 * verdict against `target` (none: the row is reported, not judged).
 */
export function ratioRow(
  figure: string,
  metric: string,
  unit: string,
  s: { ours: number[]; floor: number[]; sdk?: number[] },
  target?: Target,
): Row {
  const spread = spreadOf(s.ours, s.floor);
  const limits =
    target && `median ${target.sense} ${target.limit.toFixed(2)}, IQR ${target.sense} ${target.spreadLimit.toFixed(2)}`;
  return {
    figure,
    metric,
    unit,
    ours: median(s.ours),
    floor: median(s.floor),
    sdk: s.sdk && median(s.sdk),
    target: target ? `${limits}${target.note ? ` (${target.note})` : ""}` : "reported",
    met: target && verdict(spread, target.sense, target.limit, target.spreadLimit),
    spread,
  };
}

export const formatSpread = (s: Spread): string =>
  `${s.median.toFixed(2)}× (IQR ${s.q1.toFixed(2)}–${s.q3.toFixed(2)}, ${s.rounds} rounds)`;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Runs each variant once per round, in an order that rotates every round (A B C, B C A, C A B)
 * so that no variant always runs first or right after the same neighbour, after `warmup` rounds
 * whose samples are dropped. Each variant returns its own measurement.
 */
export async function interleave<K extends string>(
  variants: Record<K, () => Promise<number>>,
  { rounds, warmup }: { rounds: number; warmup: number },
): Promise<Record<K, number[]>> {
  const names = Object.keys(variants) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as unknown as Record<K, number[]>;
  for (let round = 0; round < warmup + rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]!;
      const value = await variants[name]();
      if (round >= warmup) samples[name].push(value);
    }
  }
  return samples;
}

/** What `alternate` measured, per round and variant, in ms. */
export interface Alternated<K extends string> {
  /** The round's time without its slowest `trim` share of units (the stalls). */
  trimmed: Record<K, number[]>;
  /** The round's whole time. */
  whole: Record<K, number[]>;
}

/**
 * Paired rounds for in-process figures: each round runs every variant's unit of work (one call,
 * one page) `perRound` times, alternating unit by unit in an order that rotates (A B, B A …), so
 * a slow stretch of the machine falls on every variant alike. Each unit is timed on its own: on
 * this kind of machine about 1 % of calls stall for 2–10 ms (scheduling, the other process's
 * collector), falling on either variant at random, and those few carry nearly all of the
 * round-to-round spread; the sum without each variant's slowest `trim` share of units is the
 * robust figure, and the whole sum is kept beside it. `warmup` rounds are dropped.
 */
export async function alternate<K extends string>(
  units: Record<K, () => Promise<unknown>>,
  { rounds, perRound, warmup, trim = 0 }: { rounds: number; perRound: number; warmup: number; trim?: number },
): Promise<Alternated<K>> {
  const names = Object.keys(units) as K[];
  const empty = () => Object.fromEntries(names.map((n) => [n, [] as number[]])) as unknown as Record<K, number[]>;
  const result: Alternated<K> = { trimmed: empty(), whole: empty() };
  const drop = Math.floor(trim * perRound);
  for (let round = 0; round < warmup + rounds; round++) {
    const times = empty();
    for (let i = 0; i < perRound; i++) {
      for (let j = 0; j < names.length; j++) {
        const name = names[(i + j) % names.length]!;
        const start = process.hrtime.bigint();
        await units[name]();
        times[name].push(Number(process.hrtime.bigint() - start) / 1e6);
      }
    }
    if (round < warmup) continue;
    for (const name of names) {
      const sorted = times[name].sort((a, b) => a - b);
      const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
      result.whole[name].push(sum(sorted));
      result.trimmed[name].push(sum(sorted.slice(0, sorted.length - drop)));
    }
  }
  return result;
}

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Wall time of a whole process, spawn to exit, in ms; rejects when it exits non-zero. */
export function timeProcess(file: string, args: string[]): Promise<number> {
  return timeCommand(process.execPath, [file, ...args], ROOT);
}

/** Wall time of any command, spawn to exit, in ms, run in `cwd`; rejects when it exits non-zero. */
export function timeCommand(command: string, args: string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code === 0) resolve(ms);
      else
        reject(new Error(`${path.basename(command)} ${args.join(" ")} exited with ${code}: ${stderr.slice(0, 500)}`));
    });
  });
}

/** Runs a child that prints one JSON line, and returns it parsed. */
export async function jsonProcess<T>(file: string, args: string[]): Promise<T> {
  const { stdout } = await run(process.execPath, [file, ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as T;
}

export interface EmulatorConfig {
  conversations?: number;
  /** Extra conversations to add: id → turns and recording size. */
  extra?: Record<string, { turns: number; audioBytes?: number }>;
}

export interface EmulatorProcess {
  baseUrl: string;
  apiKey: string;
  agentId: string;
  /** Size in bytes of each extra conversation's JSON. */
  sizes: Record<string, number>;
  close(): Promise<void>;
}

/**
 * The emulator in its own process, so the server's work runs on the other core and is not
 * counted in the client's time.
 */
export function startEmulatorProcess(config: EmulatorConfig): Promise<EmulatorProcess> {
  return startServerProcess("bench emulator", [TSX, path.join(ROOT, "bench/emulator.ts"), JSON.stringify(config)]);
}

/**
 * A server in a child process (node with `args`) that prints one JSON line when it is ready and
 * serves until its stdin closes: that line, and `close` to stop it and wait for its exit.
 */
export async function startServerProcess<T>(name: string, args: string[]): Promise<T & { close(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return {
    ...(JSON.parse(line) as T),
    close: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.stdin!.end();
      }),
  };
}

export const fmt = (n: number | undefined, digits = 1): string =>
  n === undefined ? "—" : n >= 100 ? n.toFixed(0) : n.toFixed(digits);

export const ratio = (a: number, b: number | undefined): number | undefined => (b ? a / b : undefined);
