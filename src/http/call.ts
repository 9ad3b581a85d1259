/**
 * The call seam: every facade method reaches the API through `call(operationId, init, options)`.
 * The operation's verb and path come from the generated table (src/generated/operations.ts), so
 * a method cannot send the wrong verb; the per-call options are checked and resolved here once;
 * a non-2xx answer becomes a `ConvaiError` here, for every operation alike.
 */
import type { Client } from "openapi-fetch";
import { OPERATIONS, type OperationId } from "../generated/operations.ts";
import type { operations, paths } from "../generated/schema.ts";
import type { OkBody } from "../types.ts";
import { errorFromResponse, redact } from "./errors.ts";
import { describe, requireIntegerIn, requireTimeout } from "./input.ts";
import { type CallConfig, type ClientConfig, send } from "./transport.ts";

/** Options every facade method takes as its last argument. */
export interface RequestOptions {
  /** Aborts the call, including a wait between retries; the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Per-attempt timeout in milliseconds, until the whole JSON body (or a stream's headers) arrived.
   * @default the client's `timeoutMs` (60 000)
   */
  timeoutMs?: number;
  /**
   * More attempts after a retryable failure (GET and DELETE; a POST only when it was never sent).
   * @default the client's `maxRetries` (2)
   */
  maxRetries?: number;
  /** Extra headers for this call, over the client's `headers`. The API key cannot be set here. */
  headers?: Record<string, string>;
}

type Parameters_<Id extends OperationId> = operations[Id]["parameters"];

/** What a call sends: the operation's path and query parameters, and its JSON body. */
export interface CallInit<Id extends OperationId> {
  params?: Pick<Parameters_<Id>, "path" | "query">;
  body?: operations[Id] extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;
}

/** What a call resolves to: the parsed JSON body, or for a stream operation the response with its body unread. */
export type CallResult<Id extends OperationId> = (typeof OPERATIONS)[Id]["response"] extends "stream"
  ? Response
  : OkBody<operations[Id]>;

export type Call = <Id extends OperationId>(
  operationId: Id,
  init: CallInit<Id>,
  options: RequestOptions | undefined,
  /** The facade method, e.g. `"conversations.get"`: names it in errors. */
  where: string,
) => Promise<CallResult<Id>>;

/** The `call` function of one client. */
export function createCall(api: Client<paths>, config: ClientConfig): Call {
  return async function call(operationId, init, options, where) {
    const { method, path, response: kind } = OPERATIONS[operationId];
    const stream = kind === "stream";
    const attempt = callConfig(where, options, config, stream);
    const result = await api.request(
      method as never,
      path as never,
      {
        ...(init as object),
        ...(options?.signal ? { signal: options.signal } : {}),
        ...(options?.headers ? { headers: options.headers } : {}),
        ...(stream ? { parseAs: "stream" } : {}),
        fetch: (request: Request) => send(request, config, attempt),
      } as never,
    );
    const { data, error, response } = result as { data?: unknown; error?: unknown; response: Response };
    if (!response.ok) throw errorFromResponse(response, redact(error, config.apiKey), method, where);
    return (stream ? response : data) as never;
  } as Call;
}

/** Checks a call's options (before any request) and resolves them against the client's. */
function callConfig(
  where: string,
  options: RequestOptions | undefined,
  client: ClientConfig,
  stream: boolean,
): CallConfig {
  if (options === undefined)
    return { operation: where, timeoutMs: client.timeoutMs, maxRetries: client.maxRetries, stream };
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
  }
  const { signal, timeoutMs = client.timeoutMs, maxRetries = client.maxRetries, headers } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`${where}: signal must be an AbortSignal, got ${describe(signal)}`);
  }
  requireTimeout(where, "timeoutMs", timeoutMs);
  requireIntegerIn(where, "maxRetries", maxRetries, 0, 10);
  if (headers !== undefined) requireHeaders(where, "headers", headers);
  return { operation: where, timeoutMs, maxRetries, stream };
}

/** Extra headers: string values, no line breaks, and not the API key's header. */
export function requireHeaders(where: string, name: string, headers: unknown): void {
  if (headers === null || typeof headers !== "object" || Array.isArray(headers)) {
    throw new TypeError(
      `${where}: ${name} must be an object of header names and string values, got ${describe(headers)}`,
    );
  }
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === "xi-api-key") {
      throw new TypeError(`${where}: ${name} may not set xi-api-key; pass apiKey to createConvaiClient`);
    }
    if (typeof value !== "string" || /[\r\n\0]/.test(value) || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) {
      throw new TypeError(
        `${where}: ${name}[${JSON.stringify(key)}] must be a valid header name with a string value without line breaks`,
      );
    }
  }
}
