/** Shared bench helpers: interleaved rounds, medians, child processes, the emulator process. */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import path from "node:path";
import { promisify } from "node:util";

export const ROOT = path.resolve(import.meta.dirname, "..");
export const TSX = path.join(ROOT, "node_modules/tsx/dist/cli.mjs");
export const run = promisify(execFile);

/** One line of the results table. `ours`, `floor` and `sdk` are medians in `unit`. */
export interface Row {
  figure: string;
  metric: string;
  unit: string;
  ours: number;
  floor: number | undefined;
  sdk: number | undefined;
  /** What the target compares, e.g. "ours/floor ≤ 1.10". */
  target: string;
  /** Whether the target was met, or undefined when the row has no target. */
  met: boolean | undefined;
  note?: string;
}

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

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Wall time of a whole process, spawn to exit, in ms; rejects when it exits non-zero. */
export function timeProcess(file: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, [file, ...args], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`${path.basename(file)} exited with ${code}: ${stderr.slice(0, 500)}`));
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
export async function startEmulatorProcess(config: EmulatorConfig): Promise<EmulatorProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [TSX, path.join(ROOT, "bench/emulator.ts"), JSON.stringify(config)],
    {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`bench emulator exited with ${code}`)));
  });
  const info = JSON.parse(line) as Omit<EmulatorProcess, "close">;
  return {
    ...info,
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
