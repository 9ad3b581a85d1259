/**
 * The eight operations, as the spec describes them, over the emulator's state. Each handler
 * returns a reply for the server to write; none of them touch the socket.
 */
import { randomBytes } from "node:crypto";
import { OPERATIONS, type OperationId } from "../../generated/operations.ts";
import type { AgentLink, Conversation, FeedbackScore } from "../../types.ts";
import { mintConversationToken } from "../data/jwt.ts";
import { otlpTraces } from "../data/otlp.ts";
import { listPage, parseListQuery } from "./list.ts";
import { createRandom, hashString, mixSeeds } from "../data/random.ts";
import { conformBody, requiresField } from "./conform.ts";
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

  /**
   * The reply to one request of `operation`. A JSON success body is shaped to the spec the
   * emulator was generated from (state/conform.ts); an operation it does not emulate answers 501.
   */
  async handle(operation: OperationId, params: string[], url: URL, body: () => Promise<string>): Promise<Reply> {
    const reply = await this.#serve(operation, params, url, body);
    if (reply === undefined) return notImplemented(operation);
    if (!("json" in reply) || reply.status < 200 || reply.status > 299 || reply.json === "") return reply;
    let shaped = this.#shaped.get(reply.json);
    if (shaped === undefined) {
      shaped = JSON.stringify(conformBody(operation, JSON.parse(reply.json)));
      // A conversation is served many times as it is: shaped once per version of its body.
      if (this.#shaped.size >= 512) this.#shaped.delete(this.#shaped.keys().next().value!);
      this.#shaped.set(reply.json, shaped);
    }
    return { ...reply, json: shaped };
  }

  readonly #shaped = new Map<string, string>();

  async #serve(
    operation: OperationId,
    params: string[],
    url: URL,
    body: () => Promise<string>,
  ): Promise<Reply | undefined> {
    const id = params[0] ?? "";
    switch (operation as string) {
      case "listConversations": {
        const query = parseListQuery(url.searchParams);
        if (Array.isArray(query)) return unprocessable(query);
        return json(
          200,
          listPage(this.index, query, Date.now(), (agent) => this.#agents.get(agent) ?? null),
        );
      }
      case "getConversation":
      case "runConversationAnalysis": {
        // A re-run analysis gives the same judgement: the data is deterministic.
        const found = this.snapshot(id);
        if (!found) return notFound(id);
        const q = new QueryReader(url.searchParams);
        const format = operation === "getConversation" ? q.oneOf("format", ["json", "opentelemetry"]) : undefined;
        if (q.issues.length > 0) return unprocessable(q.issues);
        const reply = this.#conversationReply(id, found.snapshot);
        if (format !== "opentelemetry" || !("json" in reply)) return reply;
        const conversation = JSON.parse(reply.json) as Conversation;
        return json(200, { ...conversation, otlp_traces: otlpTraces(conversation) });
      }
      case "runConversationEvaluations": {
        const found = this.snapshot(id);
        if (!found) return notFound(id);
        const parsed = parseObject(await body());
        if (!parsed.ok) return parsed.reply;
        if (typeof parsed.value.evaluation_id !== "string" || parsed.value.evaluation_id === "") {
          return unprocessable([
            { loc: ["body", "evaluation_id"], msg: "Field required", type: "missing", input: parsed.value },
          ]);
        }
        return this.#conversationReply(id, found.snapshot);
      }
      case "getConversationSummary": {
        const found = this.snapshot(id);
        if (!found) return notFound(id);
        const q = new QueryReader(url.searchParams);
        const max = q.integer("max_messages", { min: 1, max: 200 }) ?? 20;
        if (q.issues.length > 0) return unprocessable(q.issues);
        const { header } = found.snapshot;
        const turns = found.snapshot.transcript().filter((t) => typeof t.message === "string" && t.message !== "");
        const omitted = turns.length > max;
        return json(200, {
          conversation_id: header.conversation_id,
          agent_id: header.agent_id,
          status: header.status,
          call_summary_title: header.analysis?.call_summary_title ?? null,
          transcript_summary: header.analysis?.transcript_summary ?? null,
          call_successful: header.analysis?.call_successful ?? null,
          message_count: turns.length,
          start_time_unix_secs: header.metadata.start_time_unix_secs,
          call_duration_secs: header.metadata.call_duration_secs,
          // Inline only when the whole chat fits in max_messages, as the API does.
          messages: omitted ? null : turns.map((t) => ({ role: t.role, message: t.message })),
          messages_omitted: omitted,
          note: omitted
            ? `The conversation has ${turns.length} messages; get the conversation for its whole transcript.`
            : "These are all the messages of the conversation.",
        });
      }
      case "addConversationTags": {
        if (!this.snapshot(id)) return notFound(id);
        const parsed = parseObject(await body());
        if (!parsed.ok) return parsed.reply;
        const ids = parsed.value.tag_ids;
        if (!Array.isArray(ids) || ids.length === 0 || ids.length > 50 || !ids.every((t) => typeof t === "string")) {
          return unprocessable([
            {
              loc: ["body", "tag_ids"],
              msg: "Input should be a list of 1 to 50 strings",
              type: "list_type",
              input: ids,
            },
          ]);
        }
        const tags = this.#tags.get(id) ?? [];
        for (const tag of ids as string[]) if (!tags.includes(tag)) tags.push(tag);
        this.#tags.set(id, tags);
        return { status: 204, json: "" };
      }
      case "removeConversationTag": {
        if (!this.snapshot(id)) return notFound(id);
        const tags = this.#tags.get(id) ?? [];
        this.#tags.set(
          id,
          tags.filter((t) => t !== params[1]),
        );
        return { status: 204, json: "" };
      }
      case "textSearchConversationMessages":
      case "smartSearchConversationMessages":
        return this.#searchMessages(url.searchParams, (operation as string) === "smartSearchConversationMessages");
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
      default:
        return undefined;
    }
  }

  readonly #tags = new Map<string, string[]>();

  /** A conversation's body, with the tags given to it since it was seeded. */
  #conversationReply(id: string, snapshot: Snapshot): Reply {
    const tags = this.#tags.get(id);
    if (tags === undefined) return { status: 200, json: snapshot.json() };
    return json(200, { ...(JSON.parse(snapshot.json()) as object), tag_ids: tags });
  }

  /**
   * Messages that hold the words of `text_query`: all of them, case-insensitively (text search),
   * or any of them, scored by how many (smart search, a stand-in for semantic similarity).
   * Newest conversations first, then by turn; the cursor is the offset of the next result.
   */
  #searchMessages(params: URLSearchParams, smart: boolean): Reply {
    const q = new QueryReader(params);
    const text = q.required("text_query");
    const agentId = q.string("agent_id");
    const pageSize = q.integer("page_size", { min: 1, max: 50 }) ?? 20;
    const cursor = q.string("cursor");
    const offset = cursor === undefined || cursor === "" ? 0 : Number.parseInt(cursor, 10);
    if (cursor !== undefined && cursor !== "" && !(Number.isSafeInteger(offset) && offset >= 0)) {
      q.issues.push({ loc: ["query", "cursor"], msg: "Invalid cursor", type: "value_error", input: cursor });
    }
    if (q.issues.length > 0) return unprocessable(q.issues);
    const words = text.toLowerCase().split(/\s+/).filter(Boolean);
    const now = Date.now();
    const results: object[] = [];
    for (const entry of this.index.from(undefined)) {
      if (agentId !== undefined && entry.agentId !== agentId) continue;
      const snapshot = entry.at(now);
      if (!snapshot) continue;
      snapshot.transcript().forEach((turn, index) => {
        const message = turn.message;
        if (typeof message !== "string") return;
        const lower = message.toLowerCase();
        const hits = words.filter((w) => lower.includes(w)).length;
        if (hits === 0 || (!smart && hits < words.length)) return;
        results.push({
          conversation_id: entry.id,
          agent_id: entry.agentId,
          agent_name: this.#agents.get(entry.agentId) ?? null,
          transcript_index: index,
          chunk_text: message,
          chunk_highlights: smart ? null : highlights(message, words),
          score: Math.round((hits / words.length) * 1000) / 1000,
          conversation_start_time_unix_secs: entry.start,
        });
      });
      if (results.length > offset + pageSize) break; // one more than the page tells has_more
    }
    const page = results.slice(offset, offset + pageSize);
    const more = results.length > offset + pageSize;
    return json(200, { results: page, has_more: more, next_cursor: more ? String(offset + pageSize) : null });
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
      // Observed on the wire before any document declared it; a document that requires it gets it always.
      this.#options.tokenResponseIncludesConversationId || requiresField("getConversationToken", "conversation_id")
        ? { token, conversation_id: conversationId }
        : { token },
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

/** A JSON object body, or the 422 the API answers to anything else. */
function parseObject(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; reply: Reply } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {
      ok: false,
      reply: unprocessable([{ loc: ["body"], msg: "JSON decode error", type: "json_invalid", input: {} }]),
    };
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return {
      ok: false,
      reply: unprocessable([
        {
          loc: ["body"],
          msg: "Input should be a valid dictionary or object",
          type: "model_attributes_type",
          input: body,
        },
      ]),
    };
  }
  return { ok: true, value: body as Record<string, unknown> };
}

/** A message split into the parts that match one of `words` and those that do not. */
function highlights(message: string, words: string[]): { value: string; is_hit: boolean }[] {
  const pattern = new RegExp(`(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`, "gi");
  return message
    .split(pattern)
    .filter((part) => part !== "")
    .map((part) => ({ value: part, is_hit: words.includes(part.toLowerCase()) }));
}

/** An operation of the spec the emulator does not emulate: a clear answer, never a crash. */
function notImplemented(operation: string): Reply {
  return json(501, {
    detail: {
      status: "not_implemented",
      message: `The emulator does not implement ${operation}; it is in the spec, so convai.api can call it against the real API`,
    },
  });
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
