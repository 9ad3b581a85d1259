/** The command's progress: a line redrawn in place on a terminal, periodic lines elsewhere, JSON events. */
import { describe, expect, it } from "vitest";
import { ProgressReporter, bytes, duration, formatLine } from "../../src/cli/progress.ts";

const snapshot = (handled: number, listComplete = true) => ({
  handled,
  listed: 2_000,
  listComplete,
  recordings: 1_100,
  bytes: 53_100_000,
  exported: handled,
  pending: 3,
  failed: 0,
});

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { write: (t: string) => writes.push(t), isTTY, columns: 200 } };
}

describe("progress", () => {
  it("says done of total known, recordings, bytes, rate and time left", () => {
    expect(formatLine(snapshot(1_234), 41.2)).toBe(
      "1,234 / 2,000 conversations · 1,100 recordings · 53.1 MB · 41.2/s · 0:19 left · 3 pending",
    );
    expect(formatLine(snapshot(10, false), 5)).toContain("10 / 2,000+ conversations");
    expect(formatLine(snapshot(10, false), 5)).toContain("listing");
    expect(bytes(999)).toBe("999 B");
    expect(duration(3_725)).toBe("1:02:05");
  });

  it("on a terminal, redraws one line in place at most every frame, and ends it with a newline", () => {
    let now = 0;
    const { writes, out } = sink(true);
    const reporter = new ProgressReporter("tty", out, { now: () => now, frameMs: 100 });
    reporter.update(snapshot(1));
    now = 50;
    reporter.update(snapshot(2)); // within the frame: not drawn
    now = 150;
    reporter.update(snapshot(3));
    reporter.finish();
    expect(writes.slice(0, 2).every((w) => w.startsWith("\r\x1b[2K"))).toBe(true);
    expect(writes.filter((w) => w.includes("\n"))).toEqual(["\n"]);
    expect(writes.at(-1)).toBe("\n");
  });

  it("elsewhere, a plain line every few seconds; with --json, one JSON object per line", () => {
    let now = 0;
    const lines = sink(false);
    const plain = new ProgressReporter("lines", lines.out, { now: () => now });
    for (now = 0; now <= 12_000; now += 500) plain.update(snapshot(now / 10));
    expect(lines.writes).toHaveLength(3); // at 0, 5 s and 10 s
    expect(lines.writes.every((w) => w.endsWith("\n") && !w.includes("\r"))).toBe(true);

    const json = sink(false);
    const machine = new ProgressReporter("json", json.out, { now: () => now });
    machine.update(snapshot(5));
    expect(JSON.parse(json.writes[0]!)).toMatchObject({ event: "progress", handled: 5, listed: 2_000 });
  });
});
