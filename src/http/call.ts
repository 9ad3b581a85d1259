/** What every facade module gets from the client: the typed API and two small helpers. */
import type { Client } from "openapi-fetch";
import type { paths } from "../generated/schema.ts";
import { errorFromResponse, redact } from "./errors.ts";
import { requireTimeout } from "./input.ts";
import { type TransportOptions, createTransport } from "./transport.ts";

/** Options every facade call takes. */
export interface RequestOptions {
  /** Aborts the call, including a wait between retries; the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Per-attempt timeout for this call, overriding the client's `timeoutMs`. */
  timeoutMs?: number;
}

export interface Context {
  api: Client<paths>;
  /** openapi-fetch init for one call: the caller's signal and, when given, a per-call timeout. */
  init(
    where: string,
    options?: RequestOptions,
  ): { signal?: AbortSignal; fetch?: (input: Request) => Promise<Response> };
  /** The 2xx body, or a thrown `ConvaiError` for any other status. */
  unwrap<T>(method: string, result: { data?: T; error?: unknown; response: Response }): T;
}

export function createContext(api: Client<paths>, transport: TransportOptions): Context {
  return {
    api,
    init(where, options) {
      if (options === undefined) return {};
      requireTimeout(where, "timeoutMs", options.timeoutMs);
      if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
        throw new TypeError(`${where}: signal must be an AbortSignal`);
      }
      return {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.timeoutMs
          ? { fetch: createTransport(transport, options.timeoutMs) as (input: Request) => Promise<Response> }
          : {}),
      };
    },
    unwrap(method, { data, error, response }) {
      if (!response.ok) throw errorFromResponse(response, redact(error, transport.apiKey), method);
      return data as never;
    },
  };
}
