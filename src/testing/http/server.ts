/**
 * The emulator's HTTP side: routing, the API-key check, and the request's way through the request
 * log (log.ts), the scripted faults (faults.ts) and the operations (../state/operations.ts) to the
 * reply's writer (respond.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Conversation } from "../../types.ts";
import { OPERATIONS } from "../../generated/operations.ts";
import { conformBody } from "../state/conform.ts";
import {
  EmulatorApi,
  OPERATION_IDS,
  detail,
  json,
  type OperationId,
  type Reply,
  type SessionOutcome,
} from "../state/operations.ts";
import { audioBytes } from "../data/audio.ts";
import { DEFAULT_NOW } from "../data/conversation.ts";
import { Chaos, type ChaosOptions, type Fault, FaultQueue } from "./faults.ts";
import { type LimitOptions, WorkspaceLimits } from "./limits.ts";
import { type RecordedRequest, RequestLog } from "./log.ts";
import { BodyTooLarge, CORS, readBody, write } from "./respond.ts";
import { LiveEntry } from "../state/store.ts";
import type { MonitorEvent } from "../../types.ts";
import { type MonitorCommandRecord, MonitorHub, type MonitorOptions } from "./monitor.ts";
import { longTimeout } from "./timers.ts";
import { type WebhookDelivery, type WebhookOptions, WebhookSender } from "./webhooks.ts";

export interface EmulatorOptions extends LimitOptions {
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default "127.0.0.1". */
  host?: string;
  /** The key requests must send as `xi-api-key`. Default {@link DEFAULT_API_KEY}. */
  apiKey?: string;
  /** Default 1. The same seed gives byte-identical data. */
  seed?: number;
  /** Seeded conversations. Default 60. */
  conversations?: number;
  /** Seeded agents. Default 4. */
  agents?: number;
  /** Size of each recording in bytes. Default 48 000. */
  audioBytes?: number;
  /** Unix seconds seeded conversations start before. Default 1 763 700 000 (fixed, for determinism). */
  now?: number;
  /**
   * Schedule of conversations created by the token and signed-URL endpoints, in ms after they
   * were minted: hidden until `inProgressAfterMs`, then in-progress, processing, and finally
   * `outcome`. Defaults 0 / 300 / 600 / "done".
   */
  lifecycle?: {
    inProgressAfterMs?: number;
    processingAfterMs?: number;
    doneAfterMs?: number;
    outcome?: SessionOutcome;
  };
  /**
   * Post-call webhooks: when a session ends, signed events are POSTed to `url` (the transcription
   * and the recording, or the failure of a call that never started), as ElevenLabs sends them.
   */
  webhook?: WebhookOptions;
  /** The monitoring socket of sessions in progress (`…/monitor`). Served by default, through the `ws` package. */
  monitor?: MonitorOptions;
  /** Also send `conversation_id` with the token (observed in the wild, not in the spec). Default false. */
  tokenResponseIncludesConversationId?: boolean;
  /** How many of the latest requests `requests` keeps (the counts cover all of them), and of the monitors' commands `monitorCommands` keeps. Default 10 000. */
  requestLogLimit?: number;
  /**
   * The largest request body accepted, in bytes; a longer one is answered 413 as it streams in
   * (never buffered whole) and its connection closed. Default 1 MiB.
   */
  requestBodyLimit?: number;
}

export interface Emulator {
  /** Where the API is served, e.g. "http://127.0.0.1:43211". */
  baseUrl: string;
  apiKey: string;
  /** Stops the server, dropping open connections at once. */
  close(): Promise<void>;
  /** The workspace's limits: the most requests seen in flight at once, and how many were refused for it. */
  readonly concurrency: { readonly peak: number; readonly refused: number };
  /** The latest requests received (up to `requestLogLimit`), in order of arrival. */
  readonly requests: readonly RecordedRequest[];
  /** How many requests were received in all, or for one operationId. */
  requestCount(operationId?: string): number;
  resetRequests(): void;
  /** Queues a fault for an operationId, or "*" for any request; each operation's queue is FIFO. */
  fault(operationId: string | "*", fault: Fault): void;
  /**
   * Fails a share of the requests at random, with faults drawn from a list (queued faults come
   * first); `undefined` stops it. Returns the count of faults injected so far, by kind.
   *
   * @example
   * const injected = emulator.chaos({ rate: 0.1, seed: 7, faults: [{ kind: "reset" }, { kind: "status", status: 503 }] });
   */
  chaos(options: ChaosOptions | undefined): ReadonlyMap<Fault["kind"], number>;
  clearFaults(): void;
  /** Ids of the current conversations, newest first, as the list orders them. */
  conversationIds(): string[];
  /** A copy of what the details endpoint would serve for `id`. */
  conversation(id: string): Conversation | undefined;
  /** The bytes the audio endpoint serves for `id`; undefined when it has no audio. */
  audio(id: string): Uint8Array | undefined;
  /** Serves `conversation` (replacing one with the same id), with a recording of `audioBytes`. */
  addConversation(conversation: Conversation, options?: { audioBytes?: number }): void;
  /**
   * How the next sessions minted end, in order (later ones follow `lifecycle.outcome`): `"done"`,
   * `"failed"`, or a call that never started, `{ initiationFailure: "busy" | "no-answer" | "unknown" }`.
   *
   * @example
   * emulator.scriptSessions(["done", { initiationFailure: "busy", via: "sip" }]);
   */
  scriptSessions(...outcomes: SessionOutcome[]): void;
  /** The webhook deliveries made so far (with `webhook`), dropped ones included. */
  readonly webhookDeliveries: readonly WebhookDelivery[];
  /** Resolves once every webhook delivery scheduled so far has been made (or dropped). */
  webhooksSettled(): Promise<void>;
  /** Sends events to the monitors of a conversation in progress (and keeps them for the replay). */
  monitorEmit(conversationId: string, ...events: MonitorEvent[]): void;
  /** The commands monitors sent, in order: the latest `requestLogLimit` of them. */
  readonly monitorCommands: readonly MonitorCommandRecord[];
  /** Drops monitor connections (of one conversation, or all) without a close frame; returns how many. */
  cutMonitors(conversationId?: string): number;
  /** How many monitors are connected to a conversation. */
  monitorConnections(conversationId: string): number;
}

/** The default API key: distinctive, so a test can tell it never leaks into a message. */
export const DEFAULT_API_KEY = "xi-emulator-7f3a9c2e51d04b68";

interface Route {
  pattern: RegExp;
  methods: Partial<Record<string, OperationId>>;
}

/** A route per path of the spec: its template's `{name}`s match one segment each. */
const ROUTES: readonly Route[] = (() => {
  const byPath = new Map<string, Route>();
  for (const id of OPERATION_IDS) {
    const { method, path } = OPERATIONS[id];
    const route = byPath.get(path) ?? {
      pattern: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[^}]+\\?\}/g, "([^/]+)")}$`),
      methods: {},
    };
    route.methods[method] = id;
    byPath.set(path, route);
  }
  // A literal segment wins over a parameter (`/conversations/resolve` is not a conversation id):
  // routes with fewer parameters are tried first.
  const params = (path: string) => (path.match(/\{/g) ?? []).length;
  return [...byPath.entries()].sort(([a], [b]) => params(a) - params(b)).map(([, route]) => route);
})();

const METHOD_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"];

/** An `Allow` header: the methods, each once, in the usual order. */
function allowed(methods: readonly string[]): string {
  return [...new Set(methods)].sort((a, b) => METHOD_ORDER.indexOf(a) - METHOD_ORDER.indexOf(b)).join(", ");
}

/** What a CORS preflight allows: every method some route serves, and the preflight's own. */
const PREFLIGHT_METHODS = allowed([...ROUTES.flatMap((r) => Object.keys(r.methods)), "OPTIONS"]);

type Matched = { operation: OperationId; params: string[] } | { reply: Reply };

function route(method: string, path: string): Matched {
  for (const { pattern, methods } of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    const operation = methods[method];
    if (!operation) {
      return { reply: json(405, { detail: "Method Not Allowed" }, { allow: allowed(Object.keys(methods)) }) };
    }
    const params = match.slice(1).map(safeDecode);
    if (params.includes(undefined)) break; // A malformed escape can name no resource.
    return { operation, params: params as string[] };
  }
  return { reply: json(404, { detail: "Not Found" }) };
}

/**
 * Starts an emulator of the conversations API on a local port.
 *
 * @example
 * const emulator = await startEmulator({ conversations: 200 });
 * const res = await fetch(`${emulator.baseUrl}/v1/convai/conversations`, {
 *   headers: { "xi-api-key": emulator.apiKey },
 * });
 * await emulator.close();
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  // Every option is checked before anything listens, so a bad one never leaves a server behind.
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`startEmulator: options must be an object, got ${kind(options)}`);
  }
  const host = options.host ?? "127.0.0.1";
  if (typeof host !== "string" || host === "") {
    throw new TypeError(`startEmulator: host must be a non-empty string, got ${kind(host)}`);
  }
  const port = options.port ?? 0;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`startEmulator: port must be an integer from 0 to 65535, got ${kind(port)}`);
  }
  const apiKey = options.apiKey ?? DEFAULT_API_KEY;
  if (typeof apiKey !== "string" || !/^[\x21-\x7e]+$/.test(apiKey)) {
    // Not shown: a test may pass a real-looking key.
    throw new TypeError(
      "startEmulator: apiKey must be a non-empty string of printable ASCII without spaces (it is a header value)",
    );
  }
  const audioSize = count("audioBytes", options.audioBytes ?? 48_000);
  const lifecycle = options.lifecycle ?? {};
  if (lifecycle === null || typeof lifecycle !== "object") {
    throw new TypeError(`startEmulator: lifecycle must be an object, got ${kind(lifecycle)}`);
  }
  const outcome = lifecycle.outcome ?? "done";
  checkOutcome("startEmulator: lifecycle.outcome", outcome);
  for (const flag of ["tokenResponseIncludesConversationId"] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== "boolean") {
      throw new TypeError(`startEmulator: ${flag} must be a boolean, got ${kind(options[flag])}`);
    }
  }
  checkMonitorOptions(options.monitor);
  const logLimit = count("requestLogLimit", options.requestLogLimit ?? 10_000);
  const bodyLimit = count("requestBodyLimit", options.requestBodyLimit ?? 1_048_576);
  let authority = "";
  const api = new EmulatorApi(
    {
      seed: count("seed", options.seed ?? 1),
      conversations: count("conversations", options.conversations ?? 60),
      agents: count("agents", options.agents ?? 4),
      audioBytes: audioSize,
      now: count("now", options.now ?? DEFAULT_NOW),
      lifecycle: {
        inProgressAfterMs: count("lifecycle.inProgressAfterMs", lifecycle.inProgressAfterMs ?? 0),
        processingAfterMs: count("lifecycle.processingAfterMs", lifecycle.processingAfterMs ?? 300),
        doneAfterMs: count("lifecycle.doneAfterMs", lifecycle.doneAfterMs ?? 600),
        outcome,
      },
      tokenResponseIncludesConversationId: options.tokenResponseIncludesConversationId ?? false,
    },
    () => authority,
  );

  /** A conversation as served, and its recording's bytes: for the tests, and for the webhooks sent. */
  const conversation = (id: string): Conversation | undefined => {
    const found = api.snapshot(id);
    // As served: shaped to the spec like the body of getConversation.
    return found ? (conformBody("getConversation", JSON.parse(found.snapshot.json())) as Conversation) : undefined;
  };
  const audio = (id: string): Uint8Array | undefined => {
    const found = api.snapshot(id);
    return found?.snapshot.header.has_audio ? audioBytes(id, found.entry.audioBytes) : undefined;
  };
  const sender =
    options.webhook === undefined
      ? undefined
      : new WebhookSender(options.webhook, { conversation: (id) => conversation(id), audio: (id) => audio(id) });
  const hub = new MonitorHub(options.monitor ?? {}, {
    apiKey,
    commandLimit: logLimit,
    live: (id) => {
      const entry = api.index.get(id);
      return entry instanceof LiveEntry && entry.liveAt(Date.now());
    },
    end: (id) => {
      const entry = api.index.get(id);
      const now = Date.now();
      if (!(entry instanceof LiveEntry) || !entry.liveAt(now)) return;
      entry.end(now);
      // The post-call webhooks follow the call's end, as the platform's do.
      sender?.ended(id, now);
    },
  });
  api.onSession = (session) => {
    sender?.schedule(session);
    const entry = api.index.get(session.conversationId);
    if (entry instanceof LiveEntry) hub.schedule(session, () => entry.plannedTurns());
  };
  const log = new RequestLog(logLimit);
  const limits = new WorkspaceLimits(options, count);
  const faults = new FaultQueue(OPERATION_IDS);
  let chaos: Chaos | undefined;
  const sockets = new Set<Socket>();
  const sleepers = new Set<() => void>();
  let served = 0;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        cancel();
        sleepers.delete(wake);
        resolve();
      };
      // A delay of 2³¹ ms or more waits that long, in chunks, rather than firing at once.
      const cancel = longTimeout(ms, wake);
      sleepers.add(wake);
    });

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = target(req.url);
    const method = req.method ?? "GET";
    if (url === undefined) {
      const reply = detail(400, "invalid_request_target", "The request target is not a valid path");
      log.add({ method, path: (req.url ?? "").slice(0, 2048), query: "", operationId: undefined, status: 400 });
      return write(res, reply, `req_${String(++served).padStart(6, "0")}`, undefined);
    }
    const matched = route(method, url.pathname);
    const operation = "operation" in matched ? matched.operation : undefined;
    const record = log.add({
      method,
      path: url.pathname,
      query: url.search.slice(1),
      operationId: operation,
      status: 0,
    });
    const requestId = `req_${String(++served).padStart(6, "0")}`;

    if (method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) {
      // A browser's CORS preflight: allowed for any origin (the emulator listens on loopback only).
      record.status = 204;
      res.writeHead(204, {
        ...CORS,
        "access-control-allow-methods": PREFLIGHT_METHODS,
        "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "xi-api-key, content-type",
        "access-control-max-age": "600",
      });
      res.end();
      return;
    }
    const overLimit = limits.admit(res);
    if (limits.latencyMs > 0) await sleep(limits.latencyMs);
    const fault = overLimit
      ? undefined
      : (faults.take(operation) ?? chaos?.draw(operation, `${method} ${url.pathname}${url.search}`));
    if (fault?.kind === "reset") {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "delay") {
      await sleep(fault.ms);
      if (res.destroyed) return;
    }
    let reply: Reply;
    if (overLimit) {
      reply = overLimit;
    } else if (fault?.kind === "status") {
      const headers = fault.retryAfter === undefined ? undefined : { "retry-after": String(fault.retryAfter) };
      reply =
        fault.body === undefined
          ? detail(fault.status, "emulated_fault", `Fault injected by the emulator (HTTP ${fault.status})`, headers)
          : json(fault.status, fault.body, headers);
    } else if ("reply" in matched) {
      reply = matched.reply;
    } else if (req.headers["xi-api-key"] !== apiKey) {
      // Never echo the received key: clients log error bodies.
      reply = detail(401, "invalid_api_key", "Invalid API key");
    } else {
      const length = Number(req.headers["content-length"] ?? 0);
      if (length > bodyLimit) return tooLarge(req, res, record, bodyLimit);
      try {
        reply = await api.handle(matched.operation, matched.params, url, () => readBody(req, bodyLimit));
      } catch (error) {
        if (error instanceof BodyTooLarge) return tooLarge(req, res, record, bodyLimit);
        throw error;
      }
    }
    record.status = reply.status;
    const cutAt =
      fault?.kind === "truncate" ? (size: number) => Math.min(fault.bytes ?? Math.floor(size / 2), size) : undefined;
    await write(res, reply, requestId, cutAt);
  };

  const server = createServer((req, res) => {
    onRequest(req, res).catch((error: unknown) => {
      // A bug in the emulator: answer 500 rather than leave the client hanging.
      if (res.destroyed) return;
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ detail: `Emulator error: ${error instanceof Error ? error.message : String(error)}` }));
    });
  });
  server.on("upgrade", (req, socket, head: Buffer) => {
    // A target no URL parser takes (`//[`) is refused, never thrown: this runs outside any promise.
    const url = target(req.url);
    if (url === undefined)
      return void socket.end("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    const match = /^\/v1\/convai\/conversations\/([^/]+)\/monitor$/.exec(url.pathname);
    const id = match ? safeDecode(match[1]!) : undefined;
    if (id === undefined)
      return void socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    hub.upgrade(req, socket, head, id).catch(() => socket.destroy());
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") {
    server.close();
    sender?.close();
    hub.close();
    throw new Error("startEmulator: the server has no TCP address");
  }
  authority = `${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    baseUrl: `http://${authority}`,
    apiKey,
    close() {
      closing ??= new Promise<void>((resolve) => {
        sender?.close();
        hub.close();
        server.close(() => resolve());
        for (const wake of [...sleepers]) wake();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
    concurrency: limits,
    get requests() {
      return log.records;
    },
    requestCount: (operationId) => log.count(operationId),
    resetRequests: () => log.clear(),
    fault: (operationId, fault) => faults.add(operationId, fault),
    chaos(chaosOptions) {
      chaos = chaosOptions === undefined ? undefined : new Chaos(chaosOptions, OPERATION_IDS);
      return chaos?.injected ?? new Map();
    },
    clearFaults() {
      faults.clear();
    },
    conversationIds: () => api.conversationIds(),
    conversation,
    audio,
    addConversation(conversation, addOptions) {
      api.add(conversation, addOptions?.audioBytes);
    },
    scriptSessions(...outcomes) {
      outcomes.forEach((outcome, i) => checkOutcome(`scriptSessions: outcome ${i + 1}`, outcome));
      api.scriptSessions(outcomes);
    },
    get webhookDeliveries() {
      return sender?.deliveries ?? [];
    },
    webhooksSettled: async () => sender?.settled(),
    monitorEmit(id, ...events) {
      if (typeof id !== "string" || id === "") {
        throw new TypeError(`monitorEmit: conversationId must be a non-empty string, got ${kind(id)}`);
      }
      events.forEach((event, i) => {
        if (event === null || typeof event !== "object" || typeof (event as { type?: unknown }).type !== "string") {
          throw new TypeError(`monitorEmit: event ${i + 1} must be an object with a string type, got ${kind(event)}`);
        }
      });
      hub.emit(id, ...events);
    },
    get monitorCommands() {
      return hub.commands;
    },
    cutMonitors: (id) => hub.cut(id),
    monitorConnections: (id) => hub.connected(id),
  };
}

function count(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`startEmulator: ${name} must be a non-negative integer, got ${kind(value)}`);
  }
  return value;
}

/** A value for a message: strings quoted and cut short, objects by their kind. */
function kind(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}

const FAILURES: readonly unknown[] = ["busy", "no-answer", "unknown"];

/** A session's outcome: "done", "failed" or `{ initiationFailure, via? }`. */
function checkOutcome(where: string, outcome: unknown): asserts outcome is SessionOutcome {
  if (outcome === "done" || outcome === "failed") return;
  const failure = outcome as { initiationFailure?: unknown; via?: unknown } | null;
  if (
    failure !== null &&
    typeof failure === "object" &&
    FAILURES.includes(failure.initiationFailure) &&
    (failure.via === undefined || failure.via === "twilio" || failure.via === "sip")
  ) {
    return;
  }
  throw new TypeError(
    `${where} must be "done", "failed" or { initiationFailure: "busy" | "no-answer" | "unknown", via?: "twilio" | "sip" }, got ${kind(outcome)}`,
  );
}

function checkMonitorOptions(monitor: MonitorOptions | undefined): void {
  if (monitor === undefined) return;
  if (monitor === null || typeof monitor !== "object") {
    throw new TypeError(`startEmulator: monitor must be an object, got ${kind(monitor)}`);
  }
  const interval = monitor.intervalMs;
  if (interval !== undefined && !(typeof interval === "number" && interval > 0 && interval <= 2_147_483_647)) {
    throw new RangeError(`startEmulator: monitor.intervalMs must be a positive number of ms, got ${kind(interval)}`);
  }
  for (const flag of ["entitled", "shuffleReplay", "scripted"] as const) {
    if (monitor[flag] !== undefined && typeof monitor[flag] !== "boolean") {
      throw new TypeError(`startEmulator: monitor.${flag} must be a boolean, got ${kind(monitor[flag])}`);
    }
  }
}

/** The request's target as a URL, or undefined when it cannot be read as one (`//[`): a 400. */
function target(raw: string | undefined): URL | undefined {
  try {
    return new URL(raw ?? "/", "http://emulator.invalid");
  } catch {
    return undefined;
  }
}

/** Answers 413 to a body over the limit, and closes the connection rather than read the rest. */
function tooLarge(req: IncomingMessage, res: ServerResponse, record: RecordedRequest, limit: number): void {
  record.status = 413;
  if (res.headersSent || res.destroyed) return void req.socket?.destroy();
  const body = JSON.stringify({
    detail: { status: "payload_too_large", message: `The request body is over ${limit} bytes` },
  });
  res.writeHead(413, {
    ...CORS,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    connection: "close",
  });
  const socket = req.socket; // detached from req once the answer is sent
  res.end(body, () => socket?.destroy());
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
