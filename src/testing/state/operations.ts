/**
 * The eight operations, as the spec describes them, over the emulator's state. Each handler
 * returns a reply for the server to write; none of them touch the socket.
 */
import { randomBytes } from "node:crypto";
import { OPERATIONS, type OperationId } from "../../generated/operations.ts";
import type { AgentLink, Conversation, FeedbackScore } from "../../types.ts";
import { mintConversationToken } from "../data/jwt.ts";
import { listPage, parseListQuery } from "./list.ts";
import { createRandom, hashString, mixSeeds } from "../data/random.ts";
import { seedData } from "./seed.ts";
import { ConversationIndex, LiveEntry, Snapshot, StaticEntry, type Entry, type Lifecycle } from "./store.ts";
import { QueryReader, type Issue } from "../http/validation.ts";

/** The operationIds of the spec, which name operations in faults and request counts. */
export const OPERATION_IDS = Object.keys(OPERATIONS) as readonly OperationId[];

export type { OperationId };

/**
 * How a session ends: processed (`done`), failed in processing (`failed`), or never started, as a
 * phone call that was busy, not answered, or failed for another reason.
 */
export type SessionOutcome =
  "done" | "failed" | { initiationFailure: "busy" | "no-answer" | "unknown"; via?: "twilio" | "sip" };

/** A session as minted, with its schedule. */
export interface Session {
  conversationId: string;
  agentId: string;
  mintedAt: number;
  lifecycle: Lifecycle;
  outcome: SessionOutcome;
}

/** What to send: a JSON body (already serialized), or a recording to stream. */
export type Reply = JsonReply | { status: 200; audio: { id: string; size: number } };
type JsonReply = { status: number; json: string; headers?: Record<string, string> };

interface ApiOptions {
  seed: number;
  conversations: number;
  agents: number;
  audioBytes: number;
  now: number;
  lifecycle: Omit<Lifecycle, "outcome"> & { outcome: SessionOutcome };
  tokenResponseIncludesConversationId: boolean;
}

/**
 * A JSON reply.
 *
 * @example
 * json(200, { token }); // { status: 200, json: '{"token":"…"}' }
 */
export function json(status: number, body: unknown, headers?: Record<string, string>): JsonReply {
  return { status, json: JSON.stringify(body), ...(headers ? { headers } : {}) };
}

/**
 * The API's error shape for a named failure.
 *
 * @example
 * detail(404, "agent_not_found", "Agent agent_x not found");
 */
export function detail(status: number, code: string, message: string, headers?: Record<string, string>): JsonReply {
  return json(status, { detail: { status: code, message } }, headers);
}

function unprocessable(issues: Issue[]): Reply {
  return json(422, { detail: issues });
}

/**
 * The emulated API: agents, conversations, and the handlers of the eight operations.
 *
 * @example
 * const api = new EmulatorApi(options, () => "127.0.0.1:8080");
 * const reply = await api.handle("getConversation", ["conv_abc"], url, async () => "");
 */
export class EmulatorApi {
  readonly index = new ConversationIndex();
  readonly #agents = new Map<string, string | null>();
  readonly #options: ApiOptions;
  readonly #authority: () => string;
  /** The LiveKit-style credentials tokens are signed with; fixed per seed. */
  readonly #livekit: { key: string; secret: string; user: string };
  readonly #scripted: SessionOutcome[] = [];

  constructor(options: ApiOptions, authority: () => string) {
    this.#options = options;
    this.#authority = authority;
    const rng = createRandom(mixSeeds(options.seed, 0x11fe));
    this.#livekit = { key: `APIemu${rng.alnum(10)}`, secret: rng.alnum(40), user: `user_${rng.alnum(16)}` };
    const { agents, entries } = seedData(options);
    for (const agent of agents) this.#agents.set(agent.id, agent.name);
    this.index.load(entries);
  }

  /** The visible conversation `id` as of now. */
  snapshot(id: string): { entry: Entry; snapshot: Snapshot } | undefined {
    const entry = this.index.get(id);
    const snapshot = entry?.at(Date.now());
    return entry && snapshot ? { entry, snapshot } : undefined;
  }

  /** Ids of visible conversations, in list order. */
  conversationIds(): string[] {
    const now = Date.now();
    const ids: string[] = [];
    for (const entry of this.index.from(undefined)) if (entry.at(now)) ids.push(entry.id);
    return ids;
  }

  add(conversation: Conversation, audioBytes = this.#options.audioBytes): void {
    if (
      typeof conversation?.conversation_id !== "string" ||
      !Number.isInteger(conversation.metadata?.start_time_unix_secs)
    ) {
      throw new TypeError(
        "addConversation: expected a conversation with conversation_id and metadata.start_time_unix_secs",
      );
    }
    if (!Number.isSafeInteger(audioBytes) || audioBytes < 0) {
      throw new RangeError(`addConversation: audioBytes must be a non-negative integer, got ${audioBytes}`);
    }
    if (!this.#agents.has(conversation.agent_id)) this.#agents.set(conversation.agent_id, null);
    const copy = structuredClone(conversation);
    const key = { id: copy.conversation_id, start: copy.metadata.start_time_unix_secs, agentId: copy.agent_id };
    this.index.put(new StaticEntry(Snapshot.of(copy), key, audioBytes));
  }

  async handle(operation: OperationId, params: string[], url: URL, body: () => Promise<string>): Promise<Reply> {
    const id = params[0] ?? "";
    switch (operation) {
      case "listConversations": {
        const query = parseListQuery(url.searchParams);
        if (Array.isArray(query)) return unprocessable(query);
        return json(
          200,
          listPage(this.index, query, Date.now(), (agent) => this.#agents.get(agent) ?? null),
        );
      }
      case "getConversation": {
        const found = this.snapshot(id);
        return found ? { status: 200, json: found.snapshot.json() } : notFound(id);
      }
      case "deleteConversation": {
        if (!this.snapshot(id)) return notFound(id);
        this.index.delete(id);
        return json(200, null);
      }
      case "getConversationAudio": {
        const found = this.snapshot(id);
        if (!found) return notFound(id);
        if (!found.snapshot.header.has_audio) {
          return detail(404, "conversation_audio_not_found", `Conversation ${id} has no audio`);
        }
        return { status: 200, audio: { id, size: found.entry.audioBytes } };
      }
      case "sendConversationFeedback":
        return this.#feedback(id, await body());
      case "getAgentLink":
        return this.#link(id);
      case "getConversationToken":
        return this.#token(url.searchParams);
      case "getSignedUrl":
        return this.#signedUrl(url.searchParams);
    }
  }

  #feedback(id: string, text: string): Reply {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return unprocessable([{ loc: ["body"], msg: "JSON decode error", type: "json_invalid", input: {} }]);
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      return unprocessable([
        {
          loc: ["body"],
          msg: "Input should be a valid dictionary or object",
          type: "model_attributes_type",
          input: body,
        },
      ]);
    }
    const value = (body as { feedback?: unknown }).feedback;
    if (value === undefined) {
      return unprocessable([{ loc: ["body", "feedback"], msg: "Field required", type: "missing", input: body }]);
    }
    if (value !== null && value !== "like" && value !== "dislike") {
      return unprocessable([
        { loc: ["body", "feedback"], msg: "Input should be 'like' or 'dislike'", type: "enum", input: value },
      ]);
    }
    const found = this.snapshot(id);
    if (!found) return notFound(id);
    found.entry.setFeedback(value as FeedbackScore | null);
    return json(200, {});
  }

  #link(agentId: string): Reply {
    if (!this.#agents.has(agentId)) return agentNotFound(agentId);
    const rng = createRandom(mixSeeds(this.#options.seed, hashString(agentId)));
    const link: AgentLink = {
      agent_id: agentId,
      token: {
        agent_id: agentId,
        conversation_token: `cvtkn_${rng.alnum(24)}`,
        expiration_time_unix_secs: null,
        conversation_id: null,
        purpose: "shareable_link",
        token_requester_user_id: this.#livekit.user,
      },
    };
    return json(200, link);
  }

  #token(params: URLSearchParams): Reply {
    const q = new QueryReader(params);
    const agentId = q.required("agent_id");
    const participant = q.string("participant_name");
    const branchId = q.string("branch_id");
    if (q.issues.length > 0) return unprocessable(q.issues);
    if (!this.#agents.has(agentId)) return agentNotFound(agentId);
    const now = Date.now();
    const conversationId = this.#create(agentId, branchId ?? null, "livekit_token", now);
    const token = mintConversationToken(
      {
        issuer: this.#livekit.key,
        identity: participant ?? this.#livekit.user,
        ...(participant === undefined ? {} : { name: participant }),
        agentId,
        conversationId,
        now: Math.floor(now / 1000),
      },
      this.#livekit.secret,
    );
    return json(
      200,
      this.#options.tokenResponseIncludesConversationId ? { token, conversation_id: conversationId } : { token },
    );
  }

  #signedUrl(params: URLSearchParams): Reply {
    const q = new QueryReader(params);
    const agentId = q.required("agent_id");
    const include = q.boolean("include_conversation_id") ?? false;
    if (q.issues.length > 0) return unprocessable(q.issues);
    if (!this.#agents.has(agentId)) return agentNotFound(agentId);
    const search = new URLSearchParams({ agent_id: agentId, conversation_signature: `cvtkn_${randomAlnum(24)}` });
    if (include) search.set("conversation_id", this.#create(agentId, null, "signed_url", Date.now()));
    return json(200, { signed_url: `wss://${this.#authority()}/v1/convai/conversation?${search}` });
  }

  #create(agentId: string, branchId: string | null, via: "livekit_token" | "signed_url", mintedAt: number): string {
    const id = `conv_${randomAlnum(26)}`;
    const outcome = this.#scripted.shift() ?? this.#options.lifecycle.outcome;
    const base = this.#options.lifecycle;
    // A call that never started fails as soon as it would have been in progress.
    const lifecycle: Lifecycle =
      typeof outcome === "string"
        ? { ...base, outcome }
        : {
            ...base,
            processingAfterMs: base.inProgressAfterMs,
            doneAfterMs: base.inProgressAfterMs,
            outcome: "failed",
          };
    this.index.put(
      new LiveEntry({
        id,
        agentId,
        branchId,
        mintedAt,
        lifecycle,
        audioBytes: this.#options.audioBytes,
        via,
        seed: hashString(id),
      }),
    );
    this.onSession?.({ conversationId: id, agentId, mintedAt, lifecycle, outcome });
    return id;
  }

  /** Outcomes for the next sessions minted, in order; later ones follow `lifecycle.outcome`. */
  scriptSessions(outcomes: readonly SessionOutcome[]): void {
    this.#scripted.push(...outcomes);
  }

  /** Called for every session minted: the emulator's webhooks schedule their deliveries from it. */
  onSession: ((session: Session) => void) | undefined;
}

function notFound(id: string): Reply {
  return detail(404, "conversation_not_found", `Conversation ${id} not found`);
}

function agentNotFound(id: string): Reply {
  return detail(404, "agent_not_found", `Agent ${id} not found`);
}

/** Session-created ids are random, like the API's: they start at the real time anyway. */
function randomAlnum(length: number): string {
  const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
  let out = "";
  for (const byte of randomBytes(length)) out += alphabet[byte % alphabet.length];
  return out;
}
