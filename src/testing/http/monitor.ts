/**
 * The emulator's monitoring socket (`/v1/convai/conversations/{id}/monitor`): while an emulated
 * session is in progress, its events stream to every monitor connected, the last 100 are replayed
 * on each connect (in a slightly shuffled order when asked), commands are recorded and `end_call`
 * ends the call. It speaks WebSocket through the `ws` package, loaded on the first connection.
 */
import { STATUS_CODES, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { MonitorEvent, TranscriptTurn } from "../../types.ts";
import { createRandom } from "../data/random.ts";
import type { Session } from "../state/operations.ts";
import { Timers } from "./timers.ts";

/** How the emulator serves the monitoring socket. */
export interface MonitorOptions {
  /** False: answer every handshake 403, as a workspace without the entitlement does. Default true. */
  entitled?: boolean;
  /** A session's scripted events come this often while it is in progress, in ms. Default 100. */
  intervalMs?: number;
  /** Replay the history on connect in a slightly shuffled order (events "may arrive out of order"). Default false. */
  shuffleReplay?: boolean;
  /** False: a session streams no events of its own (only what `monitorEmit` sends). Default true. */
  scripted?: boolean;
}

/** A command a monitor sent, as received. */
export interface MonitorCommandRecord {
  conversationId: string;
  command: unknown;
  /** Milliseconds since the epoch. */
  at: number;
}

/** The part of a `ws` socket the hub uses. */
interface Peer {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: "message", listener: (data: unknown) => void): void;
  on(event: "close", listener: () => void): void;
}

interface Server {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, done: (peer: Peer) => void): void;
}

/** What the hub needs of the emulator. */
export interface MonitorSource {
  apiKey: string;
  /** How many of the latest commands `commands` keeps. */
  commandLimit: number;
  /** Whether `id` is a conversation in progress now. */
  live(id: string): boolean;
  /** Ends the call now (an `end_call`). */
  end(id: string): void;
}

const HISTORY = 100;

/**
 * The monitors of every conversation, and the events each conversation has had.
 *
 * @example
 * const hub = new MonitorHub(options, source);
 * server.on("upgrade", (req, socket, head) => hub.upgrade(req, socket, head));
 */
export class MonitorHub {
  readonly commands: MonitorCommandRecord[] = [];
  readonly #options: MonitorOptions;
  readonly #source: MonitorSource;
  readonly #history = new Map<string, MonitorEvent[]>();
  readonly #peers = new Map<string, Set<Peer>>();
  readonly #timers = new Timers();
  #server: Promise<Server | undefined> | undefined;
  #shuffles = 0;

  constructor(options: MonitorOptions, source: MonitorSource) {
    this.#options = options;
    this.#source = source;
  }

  /** Streams a session's scripted events while it is in progress: its start, then its turns. */
  schedule(session: Session, turns: () => TranscriptTurn[]): void {
    if (typeof session.outcome === "object") return; // a call that never started has nothing to monitor
    const { conversationId: id, mintedAt, lifecycle } = session;
    // When the call ends on schedule, its monitors are closed normally.
    this.#timers.later(Math.max(0, mintedAt + lifecycle.processingAfterMs - Date.now()), () => this.end(id));
    if (this.#options.scripted === false) return;
    const interval = this.#options.intervalMs ?? 100;
    const at = (ms: number, emit: () => void) =>
      this.#timers.later(Math.max(0, mintedAt + ms - Date.now()), () => {
        if (this.#source.live(id)) emit();
      });
    at(lifecycle.inProgressAfterMs, () =>
      this.emit(id, {
        type: "conversation_initiation_metadata",
        conversation_initiation_metadata_event: {
          conversation_id: id,
          agent_output_audio_format: "pcm_16000",
          user_input_audio_format: "pcm_16000",
        },
      }),
    );
    turns().forEach((turn, i) => {
      const when = lifecycle.inProgressAfterMs + (i + 1) * interval;
      if (when >= lifecycle.processingAfterMs) return;
      at(when, () => {
        for (const event of eventsOf(turn)) this.emit(id, event);
      });
    });
  }

  /** Sends events to the monitors of `id`, and keeps them for the replay. */
  emit(id: string, ...events: MonitorEvent[]): void {
    const history = this.#history.get(id) ?? [];
    const peers = this.#peers.get(id);
    for (const event of events) {
      history.push(event);
      if (history.length > HISTORY) history.shift();
      const text = JSON.stringify(event);
      for (const peer of peers ?? []) if (peer.readyState === 1) peer.send(text);
    }
    this.#history.set(id, history);
  }

  /** The call ended: its monitors are closed normally (1000). */
  end(id: string): void {
    for (const peer of this.#peers.get(id) ?? []) peer.close(1000, "conversation ended");
    this.#peers.delete(id);
  }

  /** Drops the connections of `id` (or all) without a close frame: an abnormal close, to test reconnects. */
  cut(id?: string): number {
    let cut = 0;
    for (const [conversation, peers] of this.#peers) {
      if (id !== undefined && conversation !== id) continue;
      for (const peer of peers) (peer.terminate(), cut++);
      peers.clear();
    }
    return cut;
  }

  /** How many monitors are connected to `id`. */
  connected(id: string): number {
    return this.#peers.get(id)?.size ?? 0;
  }

  close(): void {
    this.#timers.close();
    this.cut();
  }

  /** Answers a WebSocket handshake on the monitor's path, or refuses it as the API would. */
  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, id: string): Promise<void> {
    const refuse = (status: number, message: string) => {
      const body = JSON.stringify({ detail: { status: String(status), message } });
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    };
    if (req.headers["xi-api-key"] !== this.#source.apiKey) return refuse(401, "Invalid API key");
    if (this.#options.entitled === false) return refuse(403, "Monitoring is not enabled for this workspace");
    if (!this.#source.live(id)) return refuse(404, `Conversation ${id} is not in progress`);
    const server = await this.#serverOnce();
    if (server === undefined) return refuse(501, "The emulator needs the ws package to serve the monitoring socket");
    server.handleUpgrade(req, socket, head, (peer) => this.#accept(id, peer));
  }

  #accept(id: string, peer: Peer): void {
    const peers = this.#peers.get(id) ?? new Set();
    peers.add(peer);
    this.#peers.set(id, peers);
    peer.on("close", () => peers.delete(peer));
    peer.on("message", (data) => {
      let command: unknown;
      try {
        command = JSON.parse(String(data));
      } catch {
        return;
      }
      this.commands.push({ conversationId: id, command, at: Date.now() });
      // Bounded like the request log: the latest `commandLimit` are kept.
      const over = this.commands.length - this.#source.commandLimit;
      if (over > 0) this.commands.splice(0, over);
      if ((command as { command_type?: unknown } | null)?.command_type === "end_call") {
        this.#source.end(id);
        this.end(id);
      }
    });
    const replay = [...(this.#history.get(id) ?? [])];
    if (this.#options.shuffleReplay) {
      // Out of order, but not far: neighbours swapped at random (seeded per connect).
      const rng = createRandom(++this.#shuffles);
      for (let i = 0; i + 1 < replay.length; i++)
        if (rng.chance(0.3)) [replay[i], replay[i + 1]] = [replay[i + 1]!, replay[i]!];
    }
    for (const event of replay) peer.send(JSON.stringify(event));
  }

  #serverOnce(): Promise<Server | undefined> {
    this.#server ??= (async () => {
      try {
        const name = "ws";
        const ws = (await import(name)) as { WebSocketServer: new (options: { noServer: true }) => Server };
        return new ws.WebSocketServer({ noServer: true });
      } catch {
        return undefined;
      }
    })();
    return this.#server;
  }
}

/** The events a monitor sees for one transcript turn. */
function eventsOf(turn: TranscriptTurn): MonitorEvent[] {
  const events: MonitorEvent[] = [];
  for (const call of turn.tool_calls ?? []) {
    events.push({
      type: "client_tool_call",
      client_tool_call: { tool_name: call.tool_name, tool_call_id: call.request_id, parameters: {} },
    });
  }
  if (turn.message) {
    events.push(
      turn.role === "user"
        ? { type: "user_transcript", user_transcription_event: { user_transcript: turn.message } }
        : { type: "agent_response", agent_response_event: { agent_response: turn.message } },
    );
  }
  return events;
}
