/**
 * Which WebSocket opens the monitoring socket. The API key goes in a header, and the WHATWG
 * WebSocket has no way to send one, so the socket needs an implementation that takes
 * `{ headers }`: the `ws` package, or the runtime's own where it accepts them (Deno, Bun, Node ≥ 22,
 * whose undici WebSocket does). Browsers, edge runtimes and Cloudflare Workers have none (a
 * browser's WebSocket reads the options object as a subprotocol and throws `SyntaxError: … protocol
 * … invalid`): there the error says so and what to do instead.
 */
import { ConvaiMonitorError } from "../../core/errors.ts";

/** The part of a WebSocket this uses: the WHATWG interface, which `ws` implements too. */
export interface MonitorSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: never) => void): void;
  /**
   * `ws` only: `"unexpected-response"` reports the status of a refused handshake, `"message"`
   * hands frames over without wrapping each in an event object, `"pong"` answers a ping.
   */
  on?(event: "unexpected-response" | "message" | "pong", listener: (a: never, b: never) => void): void;
  /** `ws` only: stop and resume reading, for backpressure. */
  pause?(): void;
  resume?(): void;
  /** `ws` only: a ping for the heartbeat. */
  ping?(): void;
  /** `ws` only: drop the connection without a closing handshake. */
  terminate?(): void;
}

/** A WebSocket constructor that accepts `{ headers }` as its second argument (ws, Deno, Bun, undici). */
export type WebSocketConstructor = new (url: string, options: { headers: Record<string, string> }) => MonitorSocket;

/** The globals the choice looks at (a parameter, so tests can stand in for each runtime). */
export interface RuntimeGlobals {
  WebSocket?: unknown;
  Deno?: unknown;
  Bun?: unknown;
  EdgeRuntime?: unknown;
  process?: { versions?: { node?: string } };
  navigator?: { userAgent?: unknown };
  window?: { document?: unknown };
  importScripts?: unknown;
  WorkerGlobalScope?: unknown;
}

export type Runtime = "deno" | "bun" | "node" | "workerd" | "edge" | "browser" | "unknown";

/** The runtime, as far as the monitor cares. Cloudflare's workerd first: with `nodejs_compat` it has a `process`. */
export function runtimeOf(g: RuntimeGlobals): Runtime {
  if (String(g.navigator?.userAgent ?? "").includes("Cloudflare-Workers")) return "workerd";
  if (g.Deno !== undefined) return "deno";
  if (g.Bun !== undefined) return "bun";
  if (g.EdgeRuntime !== undefined) return "edge";
  if (typeof g.process?.versions?.node === "string") return "node";
  const page = typeof g.window === "object" && g.window !== null && typeof g.window.document === "object";
  if (page || typeof g.importScripts === "function" || typeof g.WorkerGlobalScope === "function") return "browser";
  return "unknown";
}

/** What the runtime lacks, and what to do there, for an error message. */
export function runtimeAdvice(g: RuntimeGlobals): string {
  const how = "or pass options.WebSocket: a constructor that accepts (url, { headers })";
  switch (runtimeOf(g)) {
    case "node": {
      const major = Number(g.process?.versions?.node?.split(".")[0]);
      return `Node ${major || "(this version)"} has no WebSocket that can send the API key header: npm install ws (an optional peer dependency), ${how}`;
    }
    case "deno":
    case "bun":
      return `this runtime's WebSocket did not accept the API key header: npm install ws, ${how}`;
    case "workerd":
      return (
        "Cloudflare Workers' WebSocket cannot send the API key header (with or without nodejs_compat, and ws does not run there): " +
        `monitor from a server process (Node with ws, Deno, Bun), ${how}`
      );
    case "browser":
      return (
        "a browser's WebSocket cannot send the API key header, and the key must not reach a browser: " +
        "monitor from your server (Node with ws, Deno, Bun) and forward what the page needs"
      );
    default:
      return `this runtime's WebSocket cannot send the API key header (edge runtimes cannot): monitor from a server process (Node with ws, Deno, Bun), ${how}`;
  }
}

/** Whether a constructor's error means it took `{ headers }` for a subprotocol: a WebSocket without header support. */
export function refusedHeaders(error: unknown): boolean {
  const { name, message } = (typeof error === "object" && error !== null ? error : {}) as {
    name?: unknown;
    message?: unknown;
  };
  return name === "SyntaxError" && /protocol/i.test(String(message));
}

/**
 * The runtime's WebSocket where it can send headers (Deno, Bun), else `ws` (imported by a name
 * bundlers do not follow, so it is never in the main entry's bundle), else Node ≥ 22's own.
 * Elsewhere a `ConvaiMonitorError("unsupported_runtime")` saying what the runtime lacks.
 */
export async function defaultWebSocket(
  where: string,
  g: RuntimeGlobals = globalThis as RuntimeGlobals,
  load: (name: string) => Promise<unknown> = (name) => import(/* @vite-ignore */ /* webpackIgnore: true */ name),
): Promise<WebSocketConstructor> {
  const runtime = runtimeOf(g);
  if ((runtime === "deno" || runtime === "bun") && typeof g.WebSocket === "function") {
    return g.WebSocket as WebSocketConstructor;
  }
  if (runtime === "node" || runtime === "deno" || runtime === "bun") {
    try {
      const ws = (await load("ws")) as { default?: unknown; WebSocket?: unknown };
      const constructor = ws.WebSocket ?? ws.default;
      if (typeof constructor === "function") return constructor as WebSocketConstructor;
    } catch {
      // not installed: the runtime's own, where it can send headers
    }
    const major = Number(g.process?.versions?.node?.split(".")[0]);
    if (runtime === "node" && major >= 22 && typeof g.WebSocket === "function") {
      return g.WebSocket as WebSocketConstructor;
    }
  }
  throw new ConvaiMonitorError("unsupported_runtime", `${where}: ${runtimeAdvice(g)}`);
}
