/**
 * The monitor's replay filter (src/resources/monitor/replay.ts): after a reconnect, replayed
 * frames already received are dropped, and only those: whatever the replay's length, in a slightly
 * shuffled order, with frames that share an event_id, and with identical events after the replay.
 */
import { describe, expect, it } from "vitest";
import { ReplayFilter, fingerprint } from "../../../src/resources/monitor/replay.ts";
import { createRandom } from "../../../src/testing/data/random.ts";

const frame = (i: number) =>
  JSON.stringify({ type: "agent_response", agent_response_event: { agent_response: `r${i}` } });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => frame(from + i));

/** The frames the filter lets through. */
const through = (filter: ReplayFilter, frames: string[]) => frames.filter((f) => !filter.isReplay(f));

describe("the replay filter", () => {
  it("lets everything through before a reconnect, identical frames included", () => {
    const filter = new ReplayFilter();
    const frames = [...range(0, 10), frame(3), frame(3)];
    expect(through(filter, frames)).toEqual(frames);
    expect(filter.duplicates).toBe(0);
  });

  for (const [received, replayed] of <[number, number][]>[
    [50, 50],
    [150, 100],
    [150, 150],
    [5_000, 5_000],
    [100, 20],
  ]) {
    it(`drops a replay of the last ${replayed} of ${received} frames, then lets new ones through`, () => {
      const filter = new ReplayFilter();
      through(filter, range(0, received));
      filter.expectReplay();
      const fresh = range(received, received + 30);
      expect(through(filter, [...range(received - replayed, received), ...fresh])).toEqual(fresh);
      expect(filter.duplicates).toBe(replayed);
      expect(filter.filtering).toBe(false);
    });
  }

  it("drops a replay shuffled among neighbours, as the emulator's shuffleReplay does", () => {
    const filter = new ReplayFilter();
    through(filter, range(0, 100));
    filter.expectReplay();
    const stream = [...range(0, 100), ...range(100, 120)];
    const rng = createRandom(7);
    for (let i = 0; i + 1 < stream.length; i++)
      if (rng.chance(0.3)) [stream[i], stream[i + 1]] = [stream[i + 1]!, stream[i]!];
    expect(new Set(through(filter, stream))).toEqual(new Set(range(100, 120)));
    expect(filter.duplicates).toBe(100);
  });

  it("tells apart frames that share a type and event_id: only identical frames are replays", () => {
    const chunk = (i: number) =>
      JSON.stringify({ type: "audio", audio_event: { event_id: 1, audio_base_64: `c${i}` } });
    const filter = new ReplayFilter();
    through(filter, [chunk(0), chunk(1), chunk(2)]);
    filter.expectReplay();
    expect(through(filter, [chunk(1), chunk(2), chunk(3), chunk(4)])).toEqual([chunk(3), chunk(4)]);
  });

  it("stops filtering when the history moved past what was received (nothing of it replayed)", () => {
    const filter = new ReplayFilter();
    through(filter, range(0, 10));
    filter.expectReplay();
    const fresh = [...range(500, 520), frame(9)]; // frame 9 again, long after: an event again
    expect(through(filter, fresh)).toEqual(fresh);
  });

  it("remembers at most its capacity, and still drops a replay within it", () => {
    const filter = new ReplayFilter(1_000);
    through(filter, range(0, 10_000));
    expect(filter.remembered).toBe(1_000);
    filter.expectReplay();
    expect(through(filter, [...range(9_000, 10_000), frame(10_000)])).toEqual([frame(10_000)]);
  });

  it("fingerprints whole frames: equal text, equal fingerprint; a one-character change, another", () => {
    expect(fingerprint(frame(1))).toBe(fingerprint(frame(1)));
    const seen = new Set(Array.from({ length: 100_000 }, (_, i) => fingerprint(frame(i))));
    expect(seen.size).toBe(100_000);
    expect(Number.isSafeInteger(fingerprint("x"))).toBe(true);
  });
});
