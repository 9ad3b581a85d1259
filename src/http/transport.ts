/**
 * The `fetch` that openapi-fetch calls: per-attempt timeout, retries and the caller's abort, so
 * `convai.api` and the facade behave the same. JSON and error bodies are read inside the attempt
 * (a timeout or a body cut short is then retried like any other failure); other bodies (audio)
 * are handed over unread once the headers arrive, and are never retried mid-stream.
 */
import { onAbort, raceAbort, setTimer, sleep } from "./abort.ts";
import { ConvaiConnectionError, ConvaiTimeoutError, redact } from "./errors.ts";
import { IDEMPOTENT_METHODS, RETRY_STATUSES, neverSent, retryDelay } from "./retry.ts";

/** A fetch implementation supplied by the caller; it receives a full `Request`. */
type CustomFetch = (input: Request) => Promise<Response>;

/** What the client resolved once, in `createConvaiClient`. */
export interface ClientConfig {
  /** Undefined: the global fetch. */
  fetch: CustomFetch | undefined;
  maxRetries: number;
  timeoutMs: number;
  /** Only used to keep the key out of errors. */
  apiKey: string;
}

/** What one call resolved: its name for errors, its timeout and retries, and how its body is read. */
export interface CallConfig {
  /** The facade method, e.g. `"conversations.get"`; undefined for `convai.api`. */
  operation: string | undefined;
  timeoutMs: number;
  maxRetries: number;
  /** True: hand the body over unread; false: read it inside the attempt; undefined: decide by its type. */
  stream: boolean | undefined;
}

/**
 * What openapi-fetch builds for each call (its `Request` option) instead of a full `Request`:
 * the URL and init as given. A `Request` costs a URL parse, a header copy and a signal; the
 * global fetch builds its own from the URL and init anyway, so building one here as well would
 * do that work twice on every call.
 */
export class PendingRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: RequestInit["body"];
  readonly signal: AbortSignal | undefined;
  readonly redirect: RequestInit["redirect"];

  constructor(url: string, init: RequestInit = {}) {
    this.url = url;
    this.method = init.method ?? "GET";
    this.headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
    this.body = init.body;
    this.signal = init.signal ?? undefined;
    this.redirect = init.redirect;
  }

  /** A full Request, for middleware that wants one. */
  clone(): Request {
    return new Request(this.url, this);
  }

  /**
   * openapi-fetch accepts what middleware returns when it is `instanceof` its Request class, which
   * is this one: a full Request must pass too.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof Request || Object.prototype.isPrototypeOf.call(PendingRequest.prototype, value as object);
  }
}

const TIMEOUT = Symbol("convai.timeout");
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * Sends a request (as openapi-fetch built it, or as middleware replaced it) with the call's
 * timeout per attempt, retries and the caller's abort.
 */
export async function send(
  request: Request | PendingRequest,
  client: ClientConfig,
  call: CallConfig,
): Promise<Response> {
  const { method, url, headers, redirect } = request;
  const caller = request.signal;
  const { timeoutMs, maxRetries, operation } = call;
  // A body is sent on every attempt, so a stream (a Request from middleware) is read once here.
  const body = request instanceof Request ? request.body && (await request.arrayBuffer()) : request.body;
  const retryable = IDEMPOTENT_METHODS.has(method);
  for (let attempt = 0; ; attempt++) {
    if (caller?.aborted) throw caller.reason;
    const controller = new AbortController();
    const signal = controller.signal;
    const clearTimer = setTimer(timeoutMs, () => controller.abort(TIMEOUT));
    const unlisten = onAbort(caller ?? undefined, (reason) => controller.abort(reason));
    const settle = () => {
      clearTimer();
      unlisten();
    };
    let response: Response;
    let stage = "connection failed";
    try {
      const init: RequestInit = { method, headers, body: body ?? null, signal, redirect: redirect ?? "follow" };
      // A custom fetch gets a full Request and may ignore its signal: it is raced against the
      // signal, so that a timeout or an abort still ends the call.
      const race = <T>(p: Promise<T>) => (client.fetch === undefined ? p : raceAbort(p, signal));
      response = await race(client.fetch === undefined ? fetch(url, init) : client.fetch(new Request(url, init)));
      if (call.stream === false || (call.stream === undefined && readsWithinAttempt(response)) || !response.ok) {
        stage = "the response body was cut short";
        response = await race(buffered(response, url));
        settle();
      } else clearTimer(); // A stream: the timeout covers the wait for headers; an abort still ends it.
    } catch (error) {
      settle();
      if (caller?.aborted) throw caller.reason;
      const path = new URL(url).pathname;
      const failure =
        signal.reason === TIMEOUT
          ? new ConvaiTimeoutError({ timeoutMs, method, path, operation })
          : new ConvaiConnectionError({ method, path, operation, cause: redact(error, client.apiKey), reason: stage });
      if (attempt >= maxRetries || !(retryable || neverSent(error))) throw failure;
      await sleep(retryDelay(attempt), caller ?? undefined);
      continue;
    }
    if (retryable && attempt < maxRetries && RETRY_STATUSES.has(response.status)) {
      await sleep(retryDelay(attempt, response.headers), caller ?? undefined);
      continue;
    }
    return response;
  }
}

function readsWithinAttempt(response: Response): boolean {
  if (!response.ok || response.body === null) return true;
  const type = response.headers.get("content-type") ?? "";
  return type === "" || type.includes("json") || type.startsWith("text/");
}

/** Bodies read inside the attempt, by response. Only JSON and text bodies are read this way. */
const held = new WeakMap<object, string>();
const textOf = (response: object): string => held.get(response)!;

/** Body methods served from memory; made once and shared, so a call allocates no closures for them. */
const FROM_MEMORY: PropertyDescriptorMap = {
  body: {
    get(this: Response) {
      return new Response(textOf(this)).body;
    },
  },
  bodyUsed: { value: false },
  text: {
    async value(this: Response) {
      return textOf(this);
    },
  },
  json: {
    async value(this: Response) {
      return JSON.parse(textOf(this)) as unknown;
    },
  },
  arrayBuffer: {
    async value(this: Response) {
      return new TextEncoder().encode(textOf(this)).buffer;
    },
  },
  blob: {
    async value(this: Response) {
      return new Blob([textOf(this)], { type: this.headers.get("content-type") ?? "" });
    },
  },
  clone: {
    value(this: Response) {
      return new Response(textOf(this), this);
    },
  },
};

/**
 * The response with its body read now, inside the attempt (so a timeout or a body cut short is
 * this attempt's failure, and retried), then served from memory to whoever reads it later. The
 * body methods are overridden on this one object rather than copied into a new Response, which
 * would build a second body stream per call for nothing. Read as text, as JSON is parsed from
 * it: reading bytes and decoding them apart cost a copy of the whole body.
 */
async function buffered(response: Response, url: string): Promise<Response> {
  if (NULL_BODY_STATUSES.has(response.status)) return response;
  held.set(response, await response.text());
  Object.defineProperties(response, FROM_MEMORY);
  // Errors report the path; a custom fetch's Response may have no url of its own.
  if (!response.url) Object.defineProperty(response, "url", { value: url });
  return response;
}
