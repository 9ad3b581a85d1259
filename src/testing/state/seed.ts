/**
 * The seeded data set: a few agents and their conversations, spread over the 30 days before
 * `now`. The newest conversation is planned as a showcase holding every tool call and result
 * shape, so one transcript is enough to demonstrate (or test) all of them; the next few come in
 * by each phone-call type the spec declares and by WhatsApp.
 */
import type { ConversationStatus } from "../../types.ts";
import { type Channel, PHONE_CALL_TYPES, defaultsFor, planConversation } from "../data/conversation.ts";
import { createRandom, mixSeeds } from "../data/random.ts";
import { Snapshot, StaticEntry, once } from "./store.ts";

export interface Agent {
  id: string;
  name: string | null;
}

const AGENT_NAMES = [
  "Support Agent",
  "Sales Assistant",
  "Booking Concierge",
  "Billing Helper",
  "Tech Support",
  "Returns Desk",
  "Onboarding Guide",
  "Survey Caller",
];

const STATUSES: readonly [ConversationStatus, number][] = [
  ["done", 0.8],
  ["failed", 0.07],
  ["processing", 0.05],
  ["in-progress", 0.04],
  ["initiated", 0.04],
];

/**
 * Agents and conversations for `seed`. Only headers are built here; each transcript is built
 * the first time it is needed.
 *
 * @example
 * const { agents, entries } = seedData({ seed: 1, conversations: 60, agents: 4, now, audioBytes: 48_000 });
 */
export function seedData(options: {
  seed: number;
  conversations: number;
  agents: number;
  now: number;
  audioBytes: number;
}): { agents: Agent[]; entries: StaticEntry[] } {
  const names = createRandom(mixSeeds(options.seed, 0xa6e7));
  const agents = Array.from({ length: options.agents }, (_, i) => {
    const base = AGENT_NAMES[i % AGENT_NAMES.length]!;
    const round = Math.floor(i / AGENT_NAMES.length);
    return { id: `agent_${names.alnum(26)}`, name: round === 0 ? base : `${base} ${round + 1}` };
  });
  const rng = createRandom(mixSeeds(options.seed, 0xda7a));
  const entries: StaticEntry[] = [];
  // After the showcase: one conversation per phone-call type the spec declares, and one on WhatsApp.
  const channels: Channel[] = [...[...PHONE_CALL_TYPES.keys()].map((phone) => ({ phone })), { whatsapp: true }];
  for (let i = 0; i < options.conversations && agents.length > 0; i++) {
    const agent = rng.pick(agents);
    const showcase = i === 0;
    // Everyone else starts at least 5 minutes before `now`, so the showcase is always the newest.
    const ago = rng.int(300, 30 * 86_400);
    const roll = rng.next();
    const conversation = {
      seed: mixSeeds(options.seed, i + 1),
      agent_id: agent.id,
      status: showcase ? "done" : pickStatus(roll),
      start_time_unix_secs: options.now - (showcase ? 60 : ago),
    } as const;
    // Only the sort key is needed now; the plan, like the rest, waits until it is read.
    const key = {
      id: defaultsFor(conversation.seed).conversationId,
      start: conversation.start_time_unix_secs,
      agentId: agent.id,
    };
    const plan = once(() => planConversation(conversation, showcase, channels[i - 1]));
    entries.push(new StaticEntry(Snapshot.planned(plan), key, options.audioBytes));
  }
  return { agents, entries };
}

function pickStatus(roll: number): ConversationStatus {
  let total = 0;
  for (const [status, weight] of STATUSES) {
    total += weight;
    if (roll < total) return status;
  }
  return "done";
}
