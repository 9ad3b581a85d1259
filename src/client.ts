/**
 * `createConvaiClient()`: resolves and checks the options once, then wires the HTTP layer (the
 * openapi-fetch client behind the transport's auth, timeouts and retries, and the call seam) to
 * the resources (`conversations`, `sessions`, `agents`).
 */
import createClient, { type Client } from "openapi-fetch";
import type { paths } from "./generated/schema.ts";
import { bodyModeOf, createCall } from "./http/call.ts";
import { checkRequestOptions, describe, headerRecord, requireApiKey, type HeaderInput } from "./core/input.ts";
import { concurrencyLimiter } from "./http/concurrency.ts";
import { type ClientConfig, send } from "./http/transport.ts";
import { type Agents, createAgents } from "./resources/agents.ts";
import { registerClient } from "./resources/context.ts";
import { type Conversations, createConversations } from "./resources/conversations.ts";
import { type Sessions, createSessions } from "./resources/sessions.ts";

/** The API's regional base URLs. */
export const ENVIRONMENTS = {
  production: "https://api.elevenlabs.io",
  us: "https://api.us.elevenlabs.io",
  eu: "https://api.eu.residency.elevenlabs.io",
  india: "https://api.in.residency.elevenlabs.io",
  singapore: "https://api.sg.residency.elevenlabs.io",
} as const;

export type ConvaiEnvironment = keyof typeof ENVIRONMENTS;

export interface ConvaiClientOptions {
  /**
   * The `xi-api-key`, sent with every request and kept out of every error.
   * @default process.env.ELEVENLABS_API_KEY, where a process environment exists
   */
  apiKey?: string;
  /**
   * One of the API's regions. Not together with `baseUrl`.
   * @default "production"
   */
  environment?: ConvaiEnvironment;
  /** Any other origin, such as the local emulator's `baseUrl`. Not together with `environment`. */
  baseUrl?: string;
  /**
   * A fetch implementation, called with a `Request` (its signal carries timeouts and aborts).
   * @default globalThis.fetch
   */
  fetch?: (input: Request) => Promise<Response>;
  /** Extra headers sent with every request. The API key cannot be set here. An object, a `Headers` or a `Map`. */
  headers?: HeaderInput;
  /**
   * More attempts after a retryable failure (GET and DELETE; a POST only when it was never sent).
   * @default 2
   */
  maxRetries?: number;
  /**
   * Per-attempt timeout in milliseconds, until the whole JSON body (or a stream's headers) arrived.
   * @default 60000
   */
  timeoutMs?: number;
  /**
   * At most this many requests in flight at once, shared by every call of this client (the
   * workspace's concurrency limit). A 429 `too_many_concurrent_requests` lowers it (halving, at
   * least 1) and the request is retried; successes raise it back by one at a time.
   * @default undefined: no limit
   */
  maxConcurrency?: number;
  /**
   * Allows an API key in a browser or a web worker, where every user of the page could read it.
   * @default false
   */
  dangerouslyAllowBrowser?: boolean;
}

export interface ConvaiClient {
  /** The openapi-fetch client, typed from the spec, with the same auth, retries and timeouts. */
  readonly api: Client<paths>;
  readonly conversations: Conversations;
  readonly sessions: Sessions;
  readonly agents: Agents;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 2;

/**
 * Creates a client. Nothing is sent until a method is called.
 *
 * @example
 * const convai = createConvaiClient({ environment: "eu" }); // key from ELEVENLABS_API_KEY
 * for await (const c of convai.conversations.list({ agent_id: "agent_123" })) console.log(c.conversation_id);
 */
export function createConvaiClient(options: ConvaiClientOptions = {}): ConvaiClient {
  const config = resolveOptions(options);
  // The openapi-fetch client is made on first use (a call, or `convai.api`): making it reads
  // globalThis.Request, and on Node the first read of a fetch global loads undici (10–15 ms), which
  // a process that only monitors a call or verifies webhooks never needs.
  let api: Client<paths> | undefined;
  const getApi = (): Client<paths> => (api ??= openapiClient(config));
  const call = createCall(getApi, config);
  const client: ConvaiClient = {
    get api() {
      return getApi();
    },
    conversations: createConversations(call),
    sessions: createSessions(call),
    agents: createAgents(call),
  };
  registerClient(client, config); // for monitorConversation(client, …), a module of its own
  return client;
}

/**
 * The openapi-fetch client behind `convai.api` and every facade call, over the client's
 * transport. The facade passes its own `fetch` per call (its options, its name in errors).
 */
function openapiClient(config: ClientConfig): Client<paths> {
  return createClient<paths>({
    baseUrl: config.baseUrl,
    // Calls made through convai.api directly: the client's timeout and retries, the body read as
    // the spec says the operation answers (a recording as a stream, whatever its headers claim).
    fetch: ((request: Request) =>
      send(request, config, {
        operation: undefined,
        timeoutMs: config.timeoutMs,
        maxRetries: config.maxRetries,
        body: bodyModeOf(request.method, request.url),
      })) as (input: Request) => Promise<Response>,
    headers: config.headers,
  });
}

/** Checks every option before anything else happens, and fills in the defaults. */
function resolveOptions(options: ConvaiClientOptions): ClientConfig {
  const where = "createConvaiClient";
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
  }
  // Never shown: a key that reached a message would be one more place it can leak from.
  const apiKey = requireApiKey(where, options.apiKey ?? envApiKey());
  if (isBrowser() && !options.dangerouslyAllowBrowser) {
    throw new Error(
      `${where}: refusing to use an API key in a browser, where anyone using the page can read it. ` +
        "Mint a conversation token on your server instead, or pass dangerouslyAllowBrowser: true.",
    );
  }
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  checkRequestOptions(where, { maxRetries, timeoutMs, headers: options.headers });
  if (options.fetch !== undefined && typeof options.fetch !== "function") {
    throw new TypeError(`${where}: fetch must be a function`);
  }
  const { maxConcurrency } = options;
  if (maxConcurrency !== undefined && !(Number.isSafeInteger(maxConcurrency) && maxConcurrency >= 1)) {
    throw new RangeError(`${where}: maxConcurrency must be a positive integer, got ${describe(maxConcurrency)}`);
  }
  const limiter = maxConcurrency === undefined ? undefined : concurrencyLimiter(maxConcurrency);
  const base = baseUrlOf(options);
  const headers = Object.freeze({ ...headerRecord(where, "headers", options.headers), "xi-api-key": apiKey });
  const urls = { baseUrl: base.href, origin: base.origin };
  return { fetch: options.fetch, maxRetries, timeoutMs, apiKey, ...urls, headers, limiter };
}

/**
 * The base URL, which must mean one thing: http(s), no credentials (they would be sent, and
 * shown, with every request), no query or fragment (paths are appended to it). Never echoed: it
 * may hold a password.
 */
function baseUrlOf(options: ConvaiClientOptions): { href: string; origin: string } {
  const where = "createConvaiClient";
  if (options.baseUrl !== undefined && options.environment !== undefined) {
    throw new TypeError(`${where}: pass environment or baseUrl, not both`);
  }
  if (options.baseUrl !== undefined) {
    const raw: unknown = options.baseUrl;
    let url: URL | undefined;
    try {
      url = typeof raw === "string" ? new URL(raw) : undefined;
    } catch {
      url = undefined;
    }
    const problem =
      url === undefined || (url.protocol !== "https:" && url.protocol !== "http:")
        ? `must be an http(s) URL, got ${typeof raw === "string" ? "a string that is not one" : describe(raw)}`
        : url.username !== "" || url.password !== ""
          ? "must not contain credentials (user:password@); the key goes in apiKey"
          : (raw as string).includes("?")
            ? "must not have a query (?…); paths are appended to it"
            : (raw as string).includes("#")
              ? "must not have a fragment (#…); paths are appended to it"
              : undefined;
    if (problem !== undefined) throw new TypeError(`${where}: baseUrl ${problem}`);
    return { href: `${url!.origin}${url!.pathname.replace(/\/+$/, "")}`, origin: url!.origin };
  }
  const environment = options.environment ?? "production";
  if (!Object.hasOwn(ENVIRONMENTS, environment)) {
    throw new TypeError(
      `${where}: environment must be one of ${Object.keys(ENVIRONMENTS).join(", ")}, got ${describe(environment)}`,
    );
  }
  return { href: ENVIRONMENTS[environment], origin: ENVIRONMENTS[environment] };
}

function envApiKey(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.ELEVENLABS_API_KEY || undefined;
}

/**
 * A browser page, or a browser's worker (whose global scope has `importScripts` or is a
 * `WorkerGlobalScope`): places where whoever uses the page can read the key. Server runtimes that
 * borrow worker globals are not browsers: Deno, and Cloudflare's workerd.
 */
function isBrowser(): boolean {
  const g = globalThis as {
    window?: { document?: unknown };
    importScripts?: unknown;
    WorkerGlobalScope?: unknown;
    Deno?: unknown;
    navigator?: { userAgent?: unknown };
  };
  if (typeof g.window === "object" && g.window !== null && typeof g.window.document === "object") return true;
  const worker = typeof g.importScripts === "function" || typeof g.WorkerGlobalScope === "function";
  return worker && g.Deno === undefined && !/Cloudflare-Workers/.test(String(g.navigator?.userAgent ?? ""));
}
