/**
 * The emulator's conversations: kept newest first (start time, then id, both descending), so
 * the list is a keyset walk from the cursor's position, and a cursor stays valid however many
 * conversations are deleted or created between two pages.
 */
import { toolCalls } from "../../transcript/walk.ts";
import type { Conversation, ConversationSummary, FeedbackScore, TranscriptTurn } from "../../types.ts";
import { type Wire, asSpec } from "../data/wire.ts";
import {
  conversationHeader,
  conversationTranscript,
  planConversation,
  type ConversationPlan,
} from "../data/conversation.ts";

/** The parts of a conversation, each computed on first use. */
interface Parts {
  header: () => Conversation;
  transcript: () => TranscriptTurn[];
  messageCount: () => number;
  toolNames: () => readonly string[];
}

/**
 * Remembers the first result of `make`.
 *
 * @example
 * const plan = once(() => planConversation({ seed: 1 })); // planned on the first plan() only
 */
export function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

/**
 * A conversation as served at one moment. Every part is built on first use, so seeding 10 000
 * conversations costs only their ids and start times, and a transcript is built only when it is
 * served or searched.
 *
 * @example
 * const snapshot = Snapshot.planned(once(() => planConversation({ seed: 1 })));
 * snapshot.json(); // the details body, built and cached
 */
export class Snapshot {
  readonly #parts: Parts;
  #json: string | undefined;
  #search: string | undefined;

  constructor(parts: Parts) {
    this.#parts = parts;
  }

  /** A planned conversation; `header` replaces the plan's own (a live conversation's phase). */
  static planned(plan: () => ConversationPlan, header?: Conversation): Snapshot {
    return new Snapshot({
      header: once(() => header ?? conversationHeader(plan())),
      transcript: once(() => conversationTranscript(plan())),
      messageCount: () => plan().turns,
      toolNames: () => plan().toolNames,
    });
  }

  /** A conversation given whole (addConversation). */
  static of(conversation: Conversation): Snapshot {
    const names = once(() => toolNamesOf(conversation.transcript));
    return new Snapshot({
      header: () => conversation,
      transcript: () => conversation.transcript,
      messageCount: () => conversation.transcript.length,
      toolNames: names,
    });
  }

  /** The conversation, possibly without its transcript: use {@link transcript} for the turns. */
  get header(): Conversation {
    return this.#parts.header();
  }

  get messageCount(): number {
    return this.#parts.messageCount();
  }

  /** Every tool name the transcript calls, nested workflow calls included. */
  get toolNames(): readonly string[] {
    return this.#parts.toolNames();
  }

  transcript(): TranscriptTurn[] {
    return this.#parts.transcript();
  }

  /** The details body, serialized once: large transcripts are then served at the cost of a copy. */
  json(): string {
    this.#json ??= JSON.stringify({ ...this.header, transcript: this.transcript() });
    return this.#json;
  }

  /** Every transcript message, lower-cased, for the list's `search`. */
  searchText(): string {
    this.#search ??= this.transcript()
      .map((turn) => turn.message ?? "")
      .join("\n")
      .toLowerCase();
    return this.#search;
  }

  setFeedback(score: FeedbackScore | null): void {
    const metadata = this.header.metadata;
    metadata.feedback = {
      ...metadata.feedback,
      overall_score: score,
      likes: score === "like" ? 1 : 0,
      dislikes: score === "dislike" ? 1 : 0,
    };
    this.#json = undefined;
  }

  summary(agentName: string | null, includeSummary: boolean): ConversationSummary {
    const { header } = this;
    // Shaped to the spec's summary when served, like every body (state/conform.ts).
    return asSpec<ConversationSummary>({
      agent_id: header.agent_id,
      branch_id: header.branch_id ?? null,
      agent_name: agentName,
      conversation_id: header.conversation_id,
      start_time_unix_secs: header.metadata.start_time_unix_secs,
      call_duration_secs: header.metadata.call_duration_secs,
      message_count: this.messageCount,
      status: header.status,
      call_successful: header.analysis?.call_successful ?? "unknown",
      transcript_summary: includeSummary ? (header.analysis?.transcript_summary ?? null) : null,
      call_summary_title: header.analysis?.call_summary_title ?? null,
      direction: header.metadata.phone_call?.direction ?? null,
      rating: header.metadata.feedback?.rating ?? null,
      termination_reason: (header.metadata as { termination_reason?: unknown }).termination_reason ?? "",
      tag_ids: [],
    });
  }
}

/** Tool names a transcript calls, nested workflow calls included (to any depth, as the client walks them). */
function toolNamesOf(transcript: readonly TranscriptTurn[]): string[] {
  return [...new Set(Array.from(toolCalls(transcript), ({ call }) => call.tool_name))];
}

/** One stored conversation. */
export interface Entry {
  readonly id: string;
  readonly start: number;
  readonly agentId: string;
  readonly audioBytes: number;
  /** The conversation as of `nowMs`, or `undefined` while it is not visible yet. */
  at(nowMs: number): Snapshot | undefined;
  setFeedback(score: FeedbackScore | null): void;
}

/**
 * A conversation that does not change by itself (seeded or added).
 *
 * @example
 * index.put(new StaticEntry(Snapshot.of(conversation), { id, start, agentId }, 48_000));
 */
export class StaticEntry implements Entry {
  readonly id: string;
  readonly start: number;
  readonly agentId: string;
  readonly audioBytes: number;
  readonly #snapshot: Snapshot;

  constructor(snapshot: Snapshot, key: { id: string; start: number; agentId: string }, audioBytes: number) {
    this.#snapshot = snapshot;
    this.id = key.id;
    this.start = key.start;
    this.agentId = key.agentId;
    this.audioBytes = audioBytes;
  }

  at(): Snapshot {
    return this.#snapshot;
  }

  setFeedback(score: FeedbackScore | null): void {
    this.#snapshot.setFeedback(score);
  }
}

/** When a session-created conversation moves on, in ms after it was minted. */
export interface Lifecycle {
  inProgressAfterMs: number;
  processingAfterMs: number;
  doneAfterMs: number;
  outcome: "done" | "failed";
}

type Phase = "in-progress" | "processing" | "done" | "failed";

/**
 * A conversation started by a token or signed URL. Its status follows the wall clock from the
 * moment it was minted, computed on each read, so there are no timers to clean up.
 *
 * @example
 * const entry = new LiveEntry({ id, agentId, branchId: null, mintedAt: Date.now(), lifecycle, audioBytes, via: "signed_url", seed });
 * entry.at(Date.now())?.header.status; // "in-progress", later "processing", then "done"
 */
export class LiveEntry implements Entry {
  readonly id: string;
  readonly start: number;
  readonly agentId: string;
  readonly audioBytes: number;
  readonly #mintedAt: number;
  #lifecycle: Lifecycle;
  readonly #plan: () => ConversationPlan;
  readonly #overrides: { branch_id: string | null; authorization_method: "livekit_token" | "signed_url" };
  readonly #cache = new Map<Phase, Snapshot>();
  #feedback: FeedbackScore | null | undefined;

  constructor(options: {
    id: string;
    agentId: string;
    branchId: string | null;
    mintedAt: number;
    lifecycle: Lifecycle;
    audioBytes: number;
    via: "livekit_token" | "signed_url";
    seed: number;
  }) {
    this.id = options.id;
    this.agentId = options.agentId;
    this.audioBytes = options.audioBytes;
    this.#mintedAt = options.mintedAt;
    this.#lifecycle = options.lifecycle;
    this.start = Math.floor(options.mintedAt / 1000);
    this.#overrides = { branch_id: options.branchId, authorization_method: options.via };
    const plan = {
      seed: options.seed,
      agent_id: options.agentId,
      conversation_id: options.id,
      start_time_unix_secs: this.start,
      turns: 6,
    };
    this.#plan = once(() => planConversation(plan));
  }

  /** Whether the conversation is live (in progress) at `nowMs`: what the monitoring socket serves. */
  liveAt(nowMs: number): boolean {
    const elapsed = nowMs - this.#mintedAt;
    return elapsed >= this.#lifecycle.inProgressAfterMs && elapsed < this.#lifecycle.processingAfterMs;
  }

  /** Ends the call at `nowMs` (an end_call command): processing starts now and takes as long as planned. */
  end(nowMs: number): void {
    if (!this.liveAt(nowMs)) return;
    const { processingAfterMs, doneAfterMs } = this.#lifecycle;
    const processing = nowMs - this.#mintedAt;
    this.#lifecycle = {
      ...this.#lifecycle,
      processingAfterMs: processing,
      doneAfterMs: processing + (doneAfterMs - processingAfterMs),
    };
  }

  /** The turns the call will have, for the monitoring socket to stream as they happen. */
  plannedTurns(): TranscriptTurn[] {
    return conversationTranscript(this.#plan());
  }

  at(nowMs: number): Snapshot | undefined {
    const elapsed = nowMs - this.#mintedAt;
    const { inProgressAfterMs, processingAfterMs, doneAfterMs, outcome } = this.#lifecycle;
    if (elapsed < inProgressAfterMs) return undefined;
    const phase: Phase = elapsed < processingAfterMs ? "in-progress" : elapsed < doneAfterMs ? "processing" : outcome;
    // In progress, the duration grows with the clock; later phases are fixed and cached.
    if (phase === "in-progress") return this.#build(phase, Math.max(0, Math.floor(elapsed / 1000)));
    let snapshot = this.#cache.get(phase);
    if (!snapshot) {
      snapshot = this.#build(phase, this.#plan().duration);
      this.#cache.set(phase, snapshot);
    }
    return snapshot;
  }

  setFeedback(score: FeedbackScore | null): void {
    this.#feedback = score;
    for (const snapshot of this.#cache.values()) snapshot.setFeedback(score);
  }

  #build(phase: Phase, duration: number): Snapshot {
    const plan = this.#plan();
    const ended = phase !== "in-progress";
    const header = conversationHeader({ ...plan, status: phase === "failed" ? "done" : phase, duration });
    // Written loosely, as the API sends them: the body served is shaped to the spec (conform.ts),
    // so a version of the document without one of these fields still compiles and validates.
    const h = header as unknown as Wire;
    h.status = phase;
    h.branch_id = this.#overrides.branch_id;
    // A session started from a browser SDK: no phone leg, whatever the seed drew.
    const metadata = h.metadata as Wire;
    metadata.authorization_method = this.#overrides.authorization_method;
    metadata.phone_call = null;
    metadata.batch_call = null;
    metadata.initiator_id = null;
    metadata.conversation_initiation_source = "js_sdk";
    const features = metadata.features_usage as Wire | undefined;
    if (features) features.is_livekit = this.#overrides.authorization_method === "livekit_token";
    h.conversation_initiation_client_data = {
      ...(h.conversation_initiation_client_data as Wire | undefined),
      source_info: { source: "js_sdk", version: null },
    };
    if (phase === "failed") {
      metadata.error = { code: 1011, reason: "The session ended unexpectedly" };
      metadata.termination_reason = "Error occurred";
      const analysis = h.analysis as Wire | undefined;
      if (analysis) analysis.call_successful = "failure";
    }
    // Audio is only there once the call is processed, and only when it went well.
    const hasAudio = phase === "done";
    h.has_audio = h.has_user_audio = h.has_response_audio = hasAudio;
    const snapshot = ended
      ? Snapshot.planned(() => plan, header)
      : new Snapshot({ header: () => header, transcript: () => [], messageCount: () => 0, toolNames: () => [] });
    if (this.#feedback !== undefined) snapshot.setFeedback(this.#feedback);
    return snapshot;
  }
}

/** The sort key of the list, as a cursor carries it. */
export interface Key {
  start: number;
  id: string;
}

/**
 * Negative when `a` is listed before `b` (newer, or same second and greater id).
 *
 * @example
 * entries.sort(compareKeys); // list order
 */
function compareKeys(a: Key, b: Key): number {
  return b.start - a.start || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/**
 * Entries kept in list order, with lookups by id.
 *
 * @example
 * for (const entry of index.from(cursorKey)) if (entry.at(Date.now())) page.push(entry);
 */
export class ConversationIndex {
  readonly #byId = new Map<string, Entry>();
  readonly #order: Entry[] = [];

  get(id: string): Entry | undefined {
    return this.#byId.get(id);
  }

  /** Adds an entry, replacing any with the same id. */
  put(entry: Entry): void {
    this.delete(entry.id);
    this.#byId.set(entry.id, entry);
    this.#order.splice(this.#firstAfter(entry, true), 0, entry);
  }

  /** Bulk load for seeding: one sort instead of thousands of inserts. */
  load(entries: Entry[]): void {
    for (const entry of entries) this.#byId.set(entry.id, entry);
    this.#order.push(...entries);
    this.#order.sort(compareKeys);
  }

  delete(id: string): boolean {
    const entry = this.#byId.get(id);
    if (!entry) return false;
    this.#byId.delete(id);
    this.#order.splice(this.#firstAfter(entry, true), 1);
    return true;
  }

  /** Entries in list order, starting just after `after` (from the start when undefined). */
  *from(after: Key | undefined): Generator<Entry> {
    for (let i = after ? this.#firstAfter(after, false) : 0; i < this.#order.length; i++) yield this.#order[i]!;
  }

  /** The index of the first entry after `key` (or at it, when `inclusive`). */
  #firstAfter(key: Key, inclusive: boolean): number {
    let low = 0;
    let high = this.#order.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const c = compareKeys(this.#order[mid]!, key);
      if (c < 0 || (c === 0 && !inclusive)) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
