/**
 * 10,000 conversations walked through the emulator while a share of the requests fail at random
 * (resets, 500/502/503, 429 with Retry-After: 0, bodies cut mid-JSON, headers later than the
 * timeout). Seeded: the faults depend on the seed and the request, not on timing, so a failure
 * replays. At 10 % the retries absorb almost everything; at 30 % they run out and walks resume
 * from the cursor the error carries. Either way: nothing lost, nothing twice.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConvaiError, createConvaiClient, type ConvaiClient } from "../../src/index.ts";
import { type Emulator, type Fault, startEmulator } from "../../src/testing/index.ts";

const CONVERSATIONS = 10_000;
const AGENTS = 10;
const FAULTS: Fault[] = [
  { kind: "reset" },
  { kind: "status", status: 500 },
  { kind: "status", status: 502 },
  { kind: "status", status: 503 },
  { kind: "status", status: 429, retryAfter: 0 },
  { kind: "truncate" },
  { kind: "delay", ms: 400 },
];

let emulator: Emulator;
let convai: ConvaiClient;
/** The emulator's own account of who owns what: the oracle the walks are checked against. */
const byAgent = new Map<string, Set<string>>();

beforeAll(async () => {
  emulator = await startEmulator({ conversations: CONVERSATIONS, agents: AGENTS, seed: 5 });
  convai = createConvaiClient({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, timeoutMs: 250, maxRetries: 2 });
  for (const id of emulator.conversationIds()) {
    const agent = emulator.conversation(id)!.agent_id;
    if (!byAgent.has(agent)) byAgent.set(agent, new Set());
    byAgent.get(agent)!.add(id);
  }
});
afterAll(() => emulator.close());

/** Every conversation of one agent, resuming from `err.cursor` whenever the retries run out. */
async function walk(agent_id: string): Promise<{ ids: string[]; resumes: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let resumes = 0; resumes < 50; resumes++) {
    try {
      for await (const c of convai.conversations.list({ agent_id, page_size: 25, ...(cursor ? { cursor } : {}) })) {
        ids.push(c.conversation_id);
      }
      return { ids, resumes };
    } catch (error) {
      if (!(error instanceof ConvaiError)) throw error;
      cursor = error.cursor; // the page that failed; its items were never yielded
    }
  }
  throw new Error(`${agent_id}: still failing after 50 resumes`);
}

async function run(rate: number, seed: number) {
  emulator.resetRequests();
  const injected = emulator.chaos({ rate, seed, faults: FAULTS });
  try {
    const walks = await Promise.all([...byAgent.keys()].map((agent) => walk(agent)));
    const seen = walks.flatMap((w) => w.ids);
    const unique = new Set(seen);
    const expected = new Set([...byAgent.values()].flatMap((ids) => [...ids]));
    return {
      requests: emulator.requestCount(),
      faults: [...injected.values()].reduce((a, b) => a + b, 0),
      kinds: new Set(injected.keys()),
      resumes: walks.reduce((a, w) => a + w.resumes, 0),
      duplicated: seen.length - unique.size,
      lost: [...expected].filter((id) => !unique.has(id)).length,
      extra: [...unique].filter((id) => !expected.has(id)).length,
      byAgent: walks.every((w, i) => w.ids.every((id) => byAgent.get([...byAgent.keys()][i]!)!.has(id))),
    };
  } finally {
    emulator.chaos(undefined);
  }
}

describe("paging through injected faults", () => {
  it("at 10 %: 0 lost, 0 duplicated", async () => {
    const r = await run(0.1, 11);
    expect(byAgent.size).toBe(AGENTS);
    expect(r.faults / r.requests).toBeGreaterThan(0.07);
    expect(r.kinds.size).toBe(4); // reset, status (429, 5xx), truncate, delay
    expect({ lost: r.lost, duplicated: r.duplicated, extra: r.extra, byAgent: r.byAgent }).toEqual({
      lost: 0,
      duplicated: 0,
      extra: 0,
      byAgent: true,
    });
  });

  it("at 30 %, resuming from err.cursor: 0 lost, 0 duplicated", async () => {
    const r = await run(0.3, 12);
    expect(r.faults / r.requests).toBeGreaterThan(0.25);
    expect(r.resumes).toBeGreaterThan(0); // the retries did run out, and the walks resumed
    expect({ lost: r.lost, duplicated: r.duplicated, extra: r.extra, byAgent: r.byAgent }).toEqual({
      lost: 0,
      duplicated: 0,
      extra: 0,
      byAgent: true,
    });
  });
});
