/**
 * The mirror under faults (slow): 2,000 conversations with recordings, 10 % and 30 % of the
 * requests failing (connection resets, 5xx, 429 of both kinds, bodies cut short): every finished
 * conversation exported exactly once, byte for byte, every manifest row true, no partial file.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createConvaiClient } from "../../src/index.ts";
import { exportConversations } from "../../src/node.ts";
import { type Emulator, type Fault, startEmulator } from "../../src/testing/index.ts";
import { expectMirror, finishedIds } from "./helpers.ts";

const FAULTS: Fault[] = [
  { kind: "reset" },
  { kind: "status", status: 503, retryAfter: 0 },
  { kind: "status", status: 500 },
  {
    kind: "status",
    status: 429,
    retryAfter: 0,
    body: { detail: { status: "too_many_concurrent_requests", message: "Too many concurrent requests" } },
  },
  { kind: "status", status: 429, retryAfter: 0, body: { detail: { status: "system_busy", message: "busy" } } },
  { kind: "truncate" },
];

let emulator: Emulator | undefined;
let dir: string | undefined;
afterEach(async () => {
  await emulator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.each([0.1, 0.3])("exportConversations with %s of the requests failing", (rate) => {
  it("exports every finished conversation of 2,000 exactly once, byte for byte", { timeout: 600_000 }, async () => {
    emulator = await startEmulator({ conversations: 2_000, audioBytes: 1_500, seed: 11, requestLogLimit: 0 });
    dir = await mkdtemp(path.join(tmpdir(), "convai-faults-"));
    const injected = emulator.chaos({ rate, seed: 5, faults: FAULTS });
    const convai = createConvaiClient({
      apiKey: emulator.apiKey,
      baseUrl: emulator.baseUrl,
      maxConcurrency: 16,
      maxRetries: 4,
    });
    const result = await exportConversations(convai, { out: dir, audio: true, concurrency: 32 });
    emulator.chaos(undefined);
    const finished = finishedIds(emulator);
    expect(finished.length).toBeGreaterThan(1_500);
    expect(result.failed).toBe(0);
    expect(result.exported).toBe(finished.length);
    for (const kind of ["reset", "status", "truncate"] as const) expect(injected.get(kind) ?? 0).toBeGreaterThan(10);
    await expectMirror(dir, emulator, { audio: true });
  });
});
