/**
 * The `fetch` that openapi-fetch calls: per-attempt timeout, retries and the caller's abort, so
 * `convai.api` and the facade behave the same. JSON and error bodies are read inside the attempt
 * (a timeout or a body cut short is then retried like any other failure); other bodies (audio)
 * are handed over unread once the headers arrive, and are never retried mid-stream.
 */
import { ConvaiConnectionError, ConvaiTimeoutError, redact } from "./errors.ts";
import { IDEMPOTENT_METHODS, RETRY_STATUSES, neverSent, retryDelay, sleep } from "./retry.ts";

export type FetchLike = (input: Request) => Promise<Response>;

export interface TransportOptions {
  fetch: (input: Request) => Promise<Response>;
  maxRetries: number;
  timeoutMs: number;
  /** Only used to keep the key out of errors. */
  apiKey: string | undefined;
}

const TIMEOUT = Symbol("convai.timeout");
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

export function createTransport(options: TransportOptions, timeoutMs = options.timeoutMs): FetchLike {
  return (request) => send(request, options, timeoutMs);
}

async function send(request: Request, options: TransportOptions, timeoutMs: number): Promise<Response> {
  const { method, url } = request;
  const caller = request.signal;
  const body = request.body === null ? undefined : await request.arrayBuffer();
  const retryable = IDEMPOTENT_METHODS.has(method);
  for (let attempt = 0; ; attempt++) {
    if (caller.aborted) throw caller.reason;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(TIMEOUT), timeoutMs);
    const onAbort = () => controller.abort(caller.reason);
    caller.addEventListener("abort", onAbort, { once: true });
    const settle = () => {
      clearTimeout(timer);
      caller.removeEventListener("abort", onAbort);
    };
    let response: Response;
    let stage = "connection failed";
    try {
      const attemptRequest = new Request(url, {
        method,
        headers: request.headers,
        body,
        signal: controller.signal,
        redirect: request.redirect,
      });
      // Raced against the signal too: a custom fetch that ignores it must not hang the call.
      response = await untilAborted(options.fetch(attemptRequest), controller.signal);
      if (readsWithinAttempt(response)) {
        stage = "the response body was cut short";
        response = await untilAborted(buffered(response, url), controller.signal);
        settle();
      } else {
        // A stream: the timeout covers the wait for headers; the caller's signal still ends it.
        clearTimeout(timer);
      }
    } catch (error) {
      settle();
      if (caller.aborted) throw caller.reason;
      const path = new URL(url).pathname;
      const failure =
        controller.signal.reason === TIMEOUT
          ? new ConvaiTimeoutError({ timeoutMs, method, path })
          : new ConvaiConnectionError({ method, path, cause: redact(error, options.apiKey), reason: stage });
      if (attempt >= options.maxRetries || !(retryable || neverSent(error))) throw failure;
      await sleep(retryDelay(attempt), caller);
      continue;
    }
    if (retryable && attempt < options.maxRetries && RETRY_STATUSES.has(response.status)) {
      await sleep(retryDelay(attempt, response.headers), caller);
      continue;
    }
    return response;
  }
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => (signal.removeEventListener("abort", onAbort), resolve(value)),
      (error: unknown) => (signal.removeEventListener("abort", onAbort), reject(error)),
    );
  });
}

function readsWithinAttempt(response: Response): boolean {
  if (!response.ok || response.body === null) return true;
  const type = response.headers.get("content-type") ?? "";
  return type === "" || type.includes("json") || type.startsWith("text/");
}

/** The same response with its body already in memory, so reading it later cannot fail. */
async function buffered(response: Response, url: string): Promise<Response> {
  const bytes = NULL_BODY_STATUSES.has(response.status) ? null : await response.arrayBuffer();
  const copy = new Response(bytes, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  // Errors report the path; a custom fetch's Response may have no url of its own.
  Object.defineProperty(copy, "url", { value: response.url || url });
  return copy;
}
