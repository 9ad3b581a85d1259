/**
 * Figures 1–4: cold start, per-call overhead, a large conversation walked with the narrowing
 * helpers, and pagination. The code measured is the built package (dist/) called from plain
 * JavaScript (bench/cold, bench/programs.mjs), as users run it; the emulator runs in its own
 * process.
 */
import path from "node:path";
import * as programs from "../programs.mjs";
import { ROOT, type Row, interleave, median, ratio, startEmulatorProcess, timeProcess, timed } from "../lib.ts";

function row(
  figure: string,
  metric: string,
  unit: string,
  s: Record<"ours" | "floor" | "sdk", number[]>,
  limit: number,
): Row {
  const ours = median(s.ours);
  const floor = median(s.floor);
  return {
    figure,
    metric,
    unit,
    ours,
    floor,
    sdk: median(s.sdk),
    target: `ours/floor ≤ ${limit.toFixed(2)}`,
    met: ratio(ours, floor)! <= limit,
  };
}

export async function coldStart(quick: boolean): Promise<Row[]> {
  const emulator = await startEmulatorProcess({ conversations: 20 });
  try {
    const args = [emulator.baseUrl, emulator.apiKey, emulator.agentId];
    const cold = (name: string) => () => timeProcess(path.join(ROOT, "bench/cold", `${name}.mjs`), args);
    const s = await interleave(
      { floor: cold("fetch"), ours: cold("ours"), sdk: cold("sdk") },
      { rounds: quick ? 5 : 21, warmup: 2 },
    );
    return [row("1. cold start", "new process: import, create client, mint one WebRTC token", "ms", s, 1.1)];
  } finally {
    await emulator.close();
  }
}

export async function perCall(quick: boolean): Promise<Row[]> {
  const emulator = await startEmulatorProcess({ extra: { conv_small: { turns: 4 } } });
  try {
    const calls = quick ? 300 : 2000;
    const p = programs.perCall(emulator, "conv_small", calls);
    const s = await interleave(
      { floor: () => timed(p.floor), ours: () => timed(p.ours), sdk: () => timed(p.sdk) },
      { rounds: quick ? 3 : 9, warmup: 1 },
    );
    const kb = (emulator.sizes.conv_small! / 1024).toFixed(1);
    return [
      row("2. per-call overhead", `${calls} sequential conversations.get of a ${kb} KB conversation`, "ms", s, 1.05),
    ];
  } finally {
    await emulator.close();
  }
}

export async function largeConversation(quick: boolean): Promise<Row[]> {
  const emulator = await startEmulatorProcess({ extra: { conv_large: { turns: 2000 } } });
  try {
    const reps = quick ? 2 : 5;
    const p = programs.large(emulator, "conv_large", reps);
    const expected = JSON.stringify(await p.floor());
    // Each variant must find the same results, or the comparison means nothing.
    const checked = (run: () => Promise<Record<string, number>>) => () =>
      timed(async () => {
        const counts = JSON.stringify(await run());
        if (counts !== expected) throw new Error(`the walks disagree: ${counts} vs ${expected}`);
      });
    const s = await interleave(
      { floor: checked(p.floor), ours: checked(p.ours), sdk: checked(p.sdk) },
      { rounds: quick ? 3 : 9, warmup: 1 },
    );
    const mb = (emulator.sizes.conv_large! / 2 ** 20).toFixed(1);
    return [row("3. large conversation", `2,000 turns (${mb} MB of JSON) fetched and walked ×${reps}`, "ms", s, 1.1)];
  } finally {
    await emulator.close();
  }
}

export async function pagination(quick: boolean): Promise<Row[]> {
  const total = quick ? 2000 : 10_000;
  const emulator = await startEmulatorProcess({ conversations: total });
  try {
    const p = programs.pagination(emulator);
    const counted = (run: () => Promise<number>) => () =>
      timed(async () => {
        const n = await run();
        if (n !== total) throw new Error(`listed ${n} of ${total}`);
      });
    const s = await interleave(
      { floor: counted(p.floor), ours: counted(p.ours), sdk: counted(p.sdk) },
      { rounds: quick ? 3 : 9, warmup: 1 },
    );
    return [row("4. pagination", `${total.toLocaleString("en")} conversations at page_size 100`, "ms", s, 1.1)];
  } finally {
    await emulator.close();
  }
}
