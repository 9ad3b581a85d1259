/**
 * The call seam: every facade method reaches the API through `call(operationId, init, options)`.
 * The operation's verb and path come from the generated table (src/generated/operations.ts), so
 * a method cannot send the wrong verb; the per-call options are checked and resolved here once;
 * openapi-fetch builds the request (the one path, shared with `convai.api` and its middleware)
 * and the transport sends it; the body is parsed here, once, and a 2xx that is not what the spec
 * documents, like any non-2xx, becomes one of the package's errors here, for every operation alike.
 */
import type { Client } from "openapi-fetch";
// The facade's operations only: the others (for `convai.api`) stay out of a bundle of the client.
import {
  FACADE_OPERATIONS as OPERATIONS,
  STREAM_ROUTES,
  type FacadeOperationId as OperationId,
} from "../generated/operations.ts";
import type { operations, paths } from "../generated/schema.ts";
import type { OkBody, RequestBody } from "../types.ts";
import { checkRequestOptions, describe, headerRecord, type HeaderInput } from "../core/input.ts";
import { checkValues } from "../core/params.ts";
import { redactText } from "../core/redact.ts";
import { errorFromResponse } from "./responses.ts";
import { type BodyMode, type CallConfig, type ClientConfig, facadeRequest, responseError, send } from "./transport.ts";

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
  /** Extra headers for this call, over the client's `headers`. The API key cannot be set here. An object, a `Headers` or a `Map`. */
  headers?: HeaderInput;
}

type Parameters_<Id extends OperationId> = operations[Id]["parameters"];

/** What a call sends: the operation's path and query parameters, and its JSON body. */
export interface CallInit<Id extends OperationId> {
  params?: Pick<Parameters_<Id>, "path" | "query">;
  body?: RequestBody<operations[Id]>;
}

/** What a call resolves to: the parsed JSON body, or for a stream operation the response with its body unread. */
export type CallResult<Id extends OperationId> = (typeof OPERATIONS)[Id]["response"] extends "stream"
  ? Response
  : OkBody<operations[Id]>;

/** Fields the facade reads from a body, with the type each must have. */
export type Expected = Record<string, "string" | "boolean" | "array">;

export interface Call {
  <Id extends OperationId>(
    operationId: Id,
    init: CallInit<Id>,
    options: RequestOptions | undefined,
    /** The facade method, e.g. `"conversations.get"`: names it in errors. */
    where: string,
    /** Fields the caller reads: a body without them is a `ConvaiResponseError`, not a TypeError later. */
    expected?: Expected,
  ): Promise<CallResult<Id>>;
  /** Keeps the key out of a string a resource puts into an error (a cursor). */
  redact(text: string): string;
  /** Checks a query against what the operation takes, as `call` does: for a method that must refuse it before returning. */
  checkQuery(operationId: OperationId, query: unknown, where: string): void;
}

/**
 * The `call` function of one client: every call goes through the client's openapi-fetch client
 * (`api()`, so its middleware sees every request), with the transport as its fetch.
 */
export function createCall(api: () => Client<paths>, config: ClientConfig): Call {
  async function call(
    operationId: OperationId,
    init: object,
    options: RequestOptions | undefined,
    where: string,
    expected?: Expected,
  ): Promise<unknown> {
    const operation = OPERATIONS[operationId];
    const { method, path, response: kind } = operation;
    const { params, body: json } = init as { params?: { query?: unknown }; body?: unknown };
    if (params?.query !== undefined) checkValues(where, "query parameter", operation.query, params.query);
    if (json !== undefined && operation.body !== undefined) checkValues(where, "body field", operation.body, json);
    const body: BodyMode = kind === "stream" ? "stream" : "text";
    const attempt = callConfig(where, options, config, body);
    const { data, error, response } = (await api().request(
      method as never,
      path as never,
      {
        ...init,
        // A Headers or a Map is read as well as an object (checked, names in lower case).
        headers: headerRecord(where, "headers", options?.headers),
        // The caller's signal travels in `attempt`, not on the Request (see CallConfig.signal).
        // Read as text, parsed below once: openapi-fetch would parse without saying what came instead.
        parseAs: body,
        Request: facadeRequest(),
        fetch: (request: Request) => send(request, config, attempt),
      } as never,
    )) as { data?: unknown; error?: unknown; response: Response };
    // An empty error body is "" (openapi-fetch gives undefined when Content-Length says 0).
    if (!response.ok) throw errorFromResponse(response, error === undefined ? "" : error, method, where, config.apiKey);
    if (body === "stream") return response;
    const text = (data as string | undefined) ?? "";
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      throw responseError(response, attempt, config, text, "a body that is not JSON", method);
    }
    const problem =
      kind !== "object"
        ? undefined
        : parsed === undefined
          ? "an empty body where the spec documents one"
          : parsed === null || typeof parsed !== "object" || Array.isArray(parsed)
            ? "a body that is not the JSON object the spec documents"
            : missing(parsed as Record<string, unknown>, expected);
    if (problem !== undefined) throw responseError(response, attempt, config, text, problem, method);
    return parsed;
  }
  call.redact = (text: string) => redactText(text, config.apiKey);
  call.checkQuery = (operationId: OperationId, query: unknown, where: string) =>
    checkValues(where, "query parameter", OPERATIONS[operationId].query, query);
  return call as Call;
}

function missing(data: Record<string, unknown>, expected: Expected | undefined): string | undefined {
  for (const field in expected) {
    const type = expected[field],
      value = data[field];
    if (type === "array" ? !Array.isArray(value) : typeof value !== type) {
      return `a body whose ${field} is not ${type === "array" ? "an array" : `a ${type}`}`;
    }
  }
  return undefined;
}

/** Checks a call's options (before any request) and resolves them against the client's. */
function callConfig(
  where: string,
  options: RequestOptions | undefined,
  client: ClientConfig,
  body: BodyMode,
): CallConfig {
  if (options !== undefined) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
    }
    checkRequestOptions(where, options);
  }
  const { timeoutMs = client.timeoutMs, maxRetries = client.maxRetries, signal } = options ?? {};
  return { operation: where, timeoutMs, maxRetries, body, signal };
}

/** How `convai.api` reads a body: streams for the operations the spec says stream, JSON otherwise. */
export function bodyModeOf(method: string, url: string): BodyMode {
  for (const route of STREAM_ROUTES) if (route.method === method && route.pattern.test(url)) return "stream";
  return "json";
}
