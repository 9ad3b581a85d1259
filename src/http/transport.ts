/**
 * The `fetch` that openapi-fetch calls: per-attempt timeout, retries and the caller's abort, so
 * `convai.api` and the facade behave the same. Redirects are followed here, by hand, so the key
 * never leaves the configured origin. JSON and error bodies are read inside the attempt (a
 * timeout or a body cut short is then retried like any other failure); a stream (audio) is handed
 * over unread once the headers arrive, whatever they claim, and is never retried mid-stream.
 */
import { deadline, onAbort, raceAbort, sleep } from "../core/abort.ts";
import { ConvaiConnectionError, ConvaiResponseError, ConvaiTimeoutError } from "../core/errors.ts";
import { redactText, redactedPath, sanitizeCause } from "../core/redact.ts";
import { noop } from "../core/util.ts";
import { type ConcurrencyLimiter, TOO_MANY_CONCURRENT, rateLimitReason } from "./concurrency.ts";
import { responseFacts } from "./responses.ts";
import { IDEMPOTENT_METHODS, RETRY_STATUSES, neverSent, retryDelay } from "./retry.ts";

/** What the client resolved once, in `createConvaiClient`. */
export interface ClientConfig {
  /** A fetch implementation given by the caller; undefined: the global fetch. */
  fetch: ((input: Request) => Promise<Response>) | undefined;
  maxRetries: number;
  timeoutMs: number;
  /** The base URL, without a trailing slash. */
  baseUrl: string;
  /** The headers of every request: the client's `headers` and the key. */
  headers: Readonly<Record<string, string>>;
  /** The origin of the base URL: redirects within it keep the key, others lose it. */
  origin: string;
  /** Only used to keep the key out of errors. */
  apiKey: string;
  /** `maxConcurrency`: the slots every request of this client shares; undefined: no limit. */
  limiter?: ConcurrencyLimiter | undefined;
}

/**
 * How a success body is read: `"stream"`, handed over unread; `"text"`, read inside the attempt
 * (the facade's calls, which parse it once); `"json"`, that and checked to be JSON (calls through
 * `convai.api`).
 */
export type BodyMode = "stream" | "text" | "json";

/** What one call resolved: its name for errors, its timeout and retries, and how its body is read. */
export interface CallConfig {
  /** The facade method, e.g. `"conversations.get"`; undefined for `convai.api`. */
  operation: string | undefined;
  timeoutMs: number;
  maxRetries: number;
  body: BodyMode;
  /**
   * A facade call's signal, given here rather than on the Request: a Request made with a signal
   * keeps a listener on it until the Request is collected.
   */
  signal?: AbortSignal | undefined;
}

const TIMEOUT = Symbol("convai.timeout");
// 1xx never reach here: fetch does not hand them over, and a Response cannot carry one.
const NULL_BODY_STATUSES = new Set([204, 205, 304]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** As many hops as a browser's fetch allows. */
const MAX_REDIRECTS = 20;

/**
 * Sends openapi-fetch's request (as middleware left it) with the call's timeout per attempt,
 * retries and the caller's abort.
 */
export async function send(request: Request, client: ClientConfig, call: CallConfig): Promise<Response> {
  const { method, url, headers } = request;
  // A facade call's Request is made without a signal (see facadeRequest): it can never abort, so it
  // is not listened to. Without middleware, openapi-fetch builds it and calls this at once, so it
  // is the last one built; a Request that middleware put in its place, or one another call built
  // meanwhile, is listened to as any other.
  const caller = call.signal ?? (request === built ? undefined : request.signal);
  const { timeoutMs, maxRetries, operation } = call;
  // A body is sent on every attempt, so its stream is read once here.
  const body = request.body && (await request.arrayBuffer());
  const retryable = IDEMPOTENT_METHODS.has(method);
  for (let attempt = 0; ; attempt++) {
    if (caller?.aborted) throw caller.reason;
    // A slot of the client's `maxConcurrency`, held until this attempt's answer has been read.
    const slot = client.limiter === undefined ? undefined : await client.limiter.acquire(caller);
    const release = slot === undefined ? noop : slot.release;
    const controller = new AbortController();
    const signal = controller.signal;
    const clearTimer = deadline(timeoutMs, () => controller.abort(TIMEOUT));
    const unlisten = onAbort(caller, (reason) => controller.abort(reason));
    let response: Response;
    let stage = "connection failed";
    try {
      response = await follow(client, { method, url, headers, body }, signal);
      if (call.body !== "stream" || !response.ok || response.body === null) {
        stage = "the response body was cut short";
        const reading = buffered(response, call, client, method);
        response = await (client.fetch === undefined ? reading : raceAbort(reading, signal));
        clearTimer();
        unlisten();
        release();
      } else {
        // A stream: the timeout covers the wait for headers; from here the body itself listens
        // to the caller's signal (see `releasing`), until it ends, fails or is cancelled.
        clearTimer();
        unlisten();
        response = releasing(response, caller, release, (error) => {
          if (caller?.aborted) return caller.reason;
          return new ConvaiConnectionError({
            method,
            path: redactedPath(url, client.apiKey),
            operation,
            cause: sanitizeCause(error, client.apiKey),
            reason: "the response body was cut short",
          });
        });
      }
    } catch (error) {
      clearTimer();
      unlisten();
      release();
      if (caller?.aborted) throw caller.reason;
      if (error instanceof ConvaiResponseError || error instanceof ConvaiConnectionError) throw error;
      const path = redactedPath(url, client.apiKey);
      const failure =
        signal.reason === TIMEOUT
          ? new ConvaiTimeoutError({ timeoutMs, method, path, operation })
          : new ConvaiConnectionError({
              method,
              path,
              operation,
              cause: sanitizeCause(error, client.apiKey),
              reason: stage,
            });
      if (attempt >= maxRetries || !(retryable || neverSent(error))) throw failure;
      await sleep(retryDelay(attempt), caller);
      continue;
    }
    if (slot !== undefined) {
      // `too_many_concurrent_requests` asks for fewer at once; `system_busy` only for the backoff below.
      if (response.status !== 429) client.limiter!.succeeded();
      else if (rateLimitReason(await response.text()) === TOO_MANY_CONCURRENT) client.limiter!.tooMany(slot);
    }
    if (retryable && attempt < maxRetries && RETRY_STATUSES.has(response.status)) {
      await sleep(retryDelay(attempt, response.headers), caller);
      continue;
    }
    return response;
  }
}

/**
 * The Request class openapi-fetch builds a facade call's request with: a plain Request, made
 * without a signal and remembered (the last one built), so the transport knows it. One function
 * for every call (a new one per call cost each call a new object shape), made on first use:
 * reading Request loads undici on Node, as in readResponse. Its prototype is Request's, as
 * openapi-fetch checks what middleware returns with `instanceof` it.
 */
export function facadeRequest(): typeof Request {
  return (FacadeRequest ??= Object.assign(
    function (url: string, init: RequestInit) {
      return (built = new Request(url, init));
    },
    { prototype: Request.prototype },
  ) as never);
}

let FacadeRequest: typeof Request | undefined;
let built: Request | undefined;

interface Hop {
  method: string;
  url: string;
  headers: Headers;
  body: RequestInit["body"];
}

/**
 * Sends one attempt, following redirects by hand: within the configured origin as fetch would;
 * to another origin without any of the request's headers (the key among them), so a recording
 * behind a storage URL still arrives and the key stays home. A 303, or a 301/302 answering a
 * POST, continues as a GET without a body, as fetch does.
 */
async function follow(client: ClientConfig, hop: Hop, signal: AbortSignal): Promise<Response> {
  for (let hops = 0; ; hops++) {
    const init: RequestInit = {
      method: hop.method,
      headers: hop.headers,
      body: hop.body ?? null,
      signal,
      redirect: "manual",
    };
    // A custom fetch gets a full Request and may ignore its signal: it is raced against the signal.
    const response = await (client.fetch === undefined
      ? fetch(hop.url, init)
      : raceAbort(client.fetch(new Request(hop.url, init)), signal));
    if (response.type === "opaqueredirect") {
      throw new ConvaiConnectionError({
        method: hop.method,
        path: redactedPath(hop.url, client.apiKey),
        reason:
          "the API answered with a redirect whose target this runtime hides; not followed, as it could take the key elsewhere",
      });
    }
    const location = REDIRECT_STATUSES.has(response.status) ? response.headers.get("location") : null;
    if (location === null) {
      // Not a redirect, or one without a target: the answer as it is. Errors report its path; a
      // custom fetch's Response may have no url of its own.
      if (!response.url) Object.defineProperty(response, "url", { value: hop.url });
      return response;
    }
    await response.body?.cancel().catch(noop);
    let next: URL;
    try {
      next = new URL(location, hop.url);
    } catch {
      next = new URL("invalid:");
    }
    if ((next.protocol !== "https:" && next.protocol !== "http:") || hops >= MAX_REDIRECTS) {
      throw new ConvaiConnectionError({
        method: hop.method,
        path: redactedPath(hop.url, client.apiKey),
        reason:
          hops >= MAX_REDIRECTS ? `more than ${MAX_REDIRECTS} redirects` : "a redirect to a URL that is not http(s)",
      });
    }
    const toGet =
      response.status === 303 || ((response.status === 301 || response.status === 302) && hop.method === "POST");
    const headers = next.origin === client.origin ? new Headers(hop.headers) : new Headers();
    if (toGet) headers.delete("content-type");
    hop = {
      method: toGet && hop.method !== "HEAD" ? "GET" : hop.method,
      url: next.href,
      headers,
      body: toGet ? null : hop.body,
    };
  }
}

/**
 * The response with its body wrapped so that `release` runs once when the body ends, fails or is
 * cancelled, and a failure to read it surfaces as `failure(error)` says. An abort of `signal`
 * errors the body with its reason at once, whether a read is waiting or not, and cancels the
 * source: whether the fetch ends the body it returned on abort is up to that fetch (a custom one
 * may ignore its signal; undici's Request follows a signal only while the Request lives, which a
 * stream outlives), so it is not relied on. The listener goes when the body ends, fails or is
 * cancelled. Pull-based with no queue of its own: nothing is buffered on the way.
 */
function releasing(
  response: Response,
  signal: AbortSignal | undefined,
  release: () => void,
  failure: (error: unknown) => unknown,
): Response {
  const reader = response.body!.getReader();
  let stop: (reason: unknown) => void = noop;
  let unlisten = noop;
  const done = () => {
    unlisten();
    release();
    stop = unlisten = release = noop;
  };
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        stop = (reason: unknown) => {
          done();
          controller.error(reason);
          reader.cancel(reason).catch(noop);
        };
        unlisten = onAbort(signal, (reason) => stop(reason));
      },
      async pull(controller) {
        try {
          const next = await reader.read();
          if (next.done) {
            done();
            controller.close();
          } else controller.enqueue(next.value);
        } catch (error) {
          if (stop === noop) return; // already errored by the abort
          done();
          controller.error(failure(error));
        }
      },
      cancel(reason) {
        done();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  const wrapped = new Response(body, response);
  Object.defineProperty(wrapped, "url", { value: response.url });
  return wrapped;
}

/**
 * The response with its body read now, inside the attempt (so a timeout or a body cut short is
 * this attempt's failure, and retried), for openapi-fetch (and middleware) to read from memory.
 * In `"json"` mode a 2xx body must parse (an empty one may stand for no body), else a
 * `ConvaiResponseError` says what came instead.
 */
async function buffered(response: Response, call: CallConfig, client: ClientConfig, method: string): Promise<Response> {
  if (NULL_BODY_STATUSES.has(response.status)) return response;
  const text = await response.text();
  let json: { value: unknown } | undefined;
  if (call.body === "json" && response.ok && text !== "") {
    try {
      json = { value: JSON.parse(text) };
    } catch {
      throw responseError(response, call, client, text, "a body that is not JSON", method);
    }
  }
  return readResponse(text, response, json);
}

/**
 * A response whose body was read: its status and headers, and the text served from memory by
 * every body method (more than once, as middleware may read it before openapi-fetch does). A
 * `new Response(text)` would build a second body stream and decode the body again on every call:
 * about a tenth of a loopback call's time, measured (bench figure 2). The class is made on first
 * use: extending `Response` reads the fetch globals, which on Node loads undici (10–15 ms), and a
 * process that only verifies webhooks never needs it. (Typed against a narrowed base: TypeScript
 * declares Response's methods as properties, which a class cannot override.)
 */
function readResponse(text: string, from: Response, json: { value: unknown } | undefined): Response {
  ReadResponse ??= class extends (Response as new (body: null, init: ResponseInit) => object) {
    readonly #text: string;
    readonly #from: Response;
    readonly #json: { value: unknown } | undefined;

    constructor(text: string, from: Response, json: { value: unknown } | undefined) {
      // Status and text of its own; url and headers are the read response's, the very Headers a
      // bare openapi-fetch client hands its middleware (a copy was a fifth of the facade's own
      // time per call, measured).
      super(null, { status: from.status, statusText: from.statusText });
      this.#text = text;
      this.#from = from;
      this.#json = json;
    }

    get url(): string {
      return this.#from.url;
    }
    get headers(): Headers {
      return this.#from.headers;
    }
    get body(): ReadableStream<Uint8Array> {
      return new Response(this.#text).body!;
    }
    get bodyUsed(): boolean {
      return false;
    }
    async text(): Promise<string> {
      return this.#text;
    }
    async json(): Promise<unknown> {
      return this.#json ? this.#json.value : JSON.parse(this.#text);
    }
    async arrayBuffer(): Promise<ArrayBuffer> {
      return new TextEncoder().encode(this.#text).buffer as ArrayBuffer;
    }
    async blob(): Promise<Blob> {
      return new Blob([this.#text], { type: this.headers.get("content-type") ?? "" });
    }
    clone(): Response {
      return readResponse(this.#text, this as unknown as Response, this.#json);
    }
  };
  return new ReadResponse(text, from, json) as unknown as Response;
}

let ReadResponse: (new (text: string, from: Response, json: { value: unknown } | undefined) => object) | undefined;

/** The error for a 2xx whose body is not what the spec documents. */
export function responseError(
  response: Response,
  call: Pick<CallConfig, "operation">,
  client: Pick<ClientConfig, "apiKey">,
  text: string,
  problem: string,
  method: string,
): ConvaiResponseError {
  return new ConvaiResponseError({
    ...responseFacts(response, method, call.operation, client.apiKey),
    contentType: redactText(response.headers.get("content-type") ?? "", client.apiKey).slice(0, 100),
    text: redactText(text.slice(0, 400), client.apiKey),
    problem,
  });
}
