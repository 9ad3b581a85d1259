/**
 * `createConvaiClient()`: the typed openapi-fetch client (`convai.api`) behind the transport's
 * auth, timeout and retry behaviour, and the facade methods for the eight operations.
 */
import createClient, { type Client } from "openapi-fetch";
import type { paths } from "./generated/schema.ts";
import type { AgentLink } from "./types.ts";
import { type Context, type RequestOptions, createContext } from "./http/call.ts";
import { type Conversations, createConversations } from "./resources/conversations.ts";
import { describe, requireId, requireIntegerIn, requireTimeout } from "./http/input.ts";
import { type Sessions, createSessions } from "./resources/sessions.ts";
import { PendingRequest, createTransport } from "./http/transport.ts";

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
  /** The `xi-api-key`. Defaults to `ELEVENLABS_API_KEY` where a process environment exists. */
  apiKey?: string;
  /** One of the API's regions; `production` unless `baseUrl` is given. */
  environment?: ConvaiEnvironment;
  /** Any other origin, such as the local emulator's `baseUrl`. */
  baseUrl?: string;
  /** A fetch implementation, called with a `Request` (its signal carries timeouts and aborts); the global `fetch` by default. */
  fetch?: (input: Request) => Promise<Response>;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
  /** More attempts after a retryable failure (GET and DELETE only). Default 2. */
  maxRetries?: number;
  /** Per-attempt timeout in milliseconds, until the whole JSON body (or an audio stream's headers) arrived. Default 60 000. */
  timeoutMs?: number;
  /** Allows an API key in a browser, where every user of the page could read it. */
  dangerouslyAllowBrowser?: boolean;
}

export interface ConvaiClient {
  /** The openapi-fetch client, typed from the spec, with the same auth, retries and timeouts. */
  readonly api: Client<paths>;
  readonly conversations: Conversations;
  readonly sessions: Sessions;
  readonly agents: {
    /** The agent's shareable link and its token. */
    link(agentId: string, options?: RequestOptions): Promise<AgentLink>;
  };
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
  const where = "createConvaiClient";
  const apiKey = options.apiKey ?? envApiKey();
  if (typeof apiKey !== "string" || apiKey.trim() === "") {
    throw new TypeError(`${where}: apiKey is required: pass { apiKey } or set ELEVENLABS_API_KEY`);
  }
  if (isBrowser() && !options.dangerouslyAllowBrowser) {
    throw new Error(
      `${where}: refusing to use an API key in a browser, where anyone using the page can read it. ` +
        "Mint a conversation token on your server instead, or pass dangerouslyAllowBrowser: true.",
    );
  }
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  requireIntegerIn(where, "maxRetries", maxRetries, 0, 10);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  requireTimeout(where, "timeoutMs", timeoutMs);
  if (options.fetch !== undefined && typeof options.fetch !== "function") {
    throw new TypeError(`${where}: fetch must be a function`);
  }

  const transport = { fetch: options.fetch, maxRetries, timeoutMs, apiKey };
  const api = createClient<paths>({
    baseUrl: baseUrlOf(options),
    fetch: createTransport(transport) as (input: Request) => Promise<Response>,
    // openapi-fetch builds one of these per call; the transport builds the real request.
    Request: PendingRequest as unknown as typeof Request,
    headers: { ...options.headers, "xi-api-key": apiKey },
  });
  const ctx = createContext(api, transport);
  return {
    api,
    conversations: createConversations(ctx),
    sessions: createSessions(ctx),
    agents: { link: (agentId, opts) => getAgentLink(ctx, agentId, opts) },
  };
}

async function getAgentLink(ctx: Context, agentId: string, options?: RequestOptions): Promise<AgentLink> {
  const where = "agents.link";
  const agent_id = requireId(where, "agentId", agentId);
  const result = await ctx.api.GET("/v1/convai/agents/{agent_id}/link", {
    params: { path: { agent_id } },
    ...ctx.init(where, options),
  });
  return ctx.unwrap("GET", result);
}

function baseUrlOf(options: ConvaiClientOptions): string {
  const where = "createConvaiClient";
  if (options.baseUrl !== undefined && options.environment !== undefined) {
    throw new TypeError(`${where}: pass environment or baseUrl, not both`);
  }
  if (options.baseUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(options.baseUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
      throw new TypeError(`${where}: baseUrl must be an http(s) URL, got ${describe(options.baseUrl)}`);
    }
    return options.baseUrl.replace(/\/+$/, "");
  }
  const environment = options.environment ?? "production";
  if (!Object.hasOwn(ENVIRONMENTS, environment)) {
    throw new TypeError(
      `${where}: environment must be one of ${Object.keys(ENVIRONMENTS).join(", ")}, got ${describe(environment)}`,
    );
  }
  return ENVIRONMENTS[environment];
}

function envApiKey(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.ELEVENLABS_API_KEY || undefined;
}

function isBrowser(): boolean {
  const g = globalThis as { window?: { document?: unknown }; document?: unknown };
  return typeof g.window === "object" && g.window !== null && typeof g.window.document === "object";
}
