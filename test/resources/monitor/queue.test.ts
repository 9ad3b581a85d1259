/** The monitor's bounded event queue (src/resources/monitor/queue.ts): its policy at the limit, and its memory. */
import { describe, expect, it } from "vitest";
import { EventQueue } from "../../../src/resources/monitor/queue.ts";

const pausable = () => {
  const calls: string[] = [];
  return { calls, pause: () => void calls.push("pause"), resume: () => void calls.push("resume") };
};

describe("the event queue", () => {
  it("hands events over first in, first out, across its ring's growth", () => {
    const queue = new EventQueue<number>(1_000);
    for (let i = 0; i < 100; i++) queue.push(i);
    const out: number[] = [];
    for (let i = 0; i < 50; i++) out.push(queue.shift()!);
    for (let i = 100; i < 300; i++) queue.push(i);
    while (queue.size > 0) out.push(queue.shift()!);
    expect(out).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(queue.shift()).toBeUndefined();
  });

  it("without a pausable source, drops the oldest at the limit, counts them, and never allocates past it", () => {
    const queue = new EventQueue<number>(100);
    for (let i = 0; i < 100_000; i++) queue.push(i);
    expect(queue.size).toBe(100);
    expect(queue.dropped).toBe(99_900);
    expect(queue.peak).toBe(100);
    expect(queue.capacity).toBeLessThanOrEqual(128);
    expect(queue.shift()).toBe(99_900);
  });

  it("pauses a source that can pause at the limit, once, and resumes it at half", () => {
    const queue = new EventQueue<number>(10);
    const source = pausable();
    for (let i = 0; i < 15; i++) queue.push(i, source); // 5 more arrive after the pause
    expect(source.calls).toEqual(["pause"]);
    expect(queue.dropped).toBe(0);
    while (queue.size > 5) queue.shift();
    expect(source.calls).toEqual(["pause", "resume"]);
  });

  it("bounds a source that says it pauses and keeps delivering: 2 × limit + 4096, then the oldest go", () => {
    const queue = new EventQueue<number>(10);
    const source = pausable();
    for (let i = 0; i < 50_000; i++) queue.push(i, source);
    expect(queue.size).toBe(2 * 10 + 4096);
    expect(queue.dropped).toBe(50_000 - queue.size);
    expect(queue.capacity).toBeLessThanOrEqual(8192);
  });

  it("pauses a reconnect's new socket while the old one is still marked paused", () => {
    const queue = new EventQueue<number>(2);
    const first = pausable();
    const second = pausable();
    for (let i = 0; i < 3; i++) queue.push(i, first);
    queue.push(3, second);
    expect(first.calls).toEqual(["pause"]);
    expect(second.calls).toEqual(["pause"]);
  });
});
