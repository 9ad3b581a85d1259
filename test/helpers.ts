/** Test helpers: a client over an injected fetch that records every request it sees. */
import { vi } from "vitest";
import { type ConvaiClientOptions, createConvaiClient } from "../src/index.ts";

export const KEY = "xi-test-key-5d1e8c0b9a7f";

export type Handler = (request: Request, attempt: number) => Response | Promise<Response>;

export interface Recorded {
  method: string;
  url: URL;
  headers: Headers;
  body: string | undefined;
}

/** A client whose fetch answers with `handler`; `calls` lists what reached the fetch. */
export function clientWith(handler: Handler, options: Partial<ConvaiClientOptions> = {}) {
  const calls: Recorded[] = [];
  const fetch = async (request: Request) => {
    calls.push({
      method: request.method,
      url: new URL(request.url),
      headers: request.headers,
      body: request.body ? await request.clone().text() : undefined,
    });
    return handler(request, calls.length);
  };
  const convai = createConvaiClient({ apiKey: KEY, baseUrl: "https://api.test", fetch, ...options });
  return { convai, calls };
}

export function json(body: unknown, init: ResponseInit = {}): Response {
  return new Response(JSON.stringify(body), {
    ...init,
    headers: { "content-type": "application/json", ...(init.headers as Record<string, string>) },
  });
}

/** Everything an error exposes: message, stack, own properties, JSON, cause chain. */
export function everythingIn(error: unknown): string {
  const parts: string[] = [];
  for (let e = error as Record<string, unknown> | undefined, i = 0; e && i < 5; e = e.cause as never, i++) {
    parts.push(String(e), String(e.message), String(e.stack));
    try {
      parts.push(JSON.stringify(e));
    } catch {
      parts.push("[unserializable]");
    }
    for (const k of Object.getOwnPropertyNames(e)) parts.push(k, safe(e[k]));
  }
  return parts.join("\n");
}

function safe(value: unknown): string {
  try {
    return typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

/**
 * Runs `body` on a fake clock (vi.useFakeTimers: timers and Date), so a test says "after 30 ms"
 * by advancing the clock, never by reading a real one. Whatever is still scheduled when `body`
 * ends is run out before the real timers come back, so no fake timer outlives its test.
 */
export async function withFakeTimers<T>(body: () => Promise<T>): Promise<T> {
  vi.useFakeTimers();
  try {
    return await body();
  } finally {
    vi.runOnlyPendingTimers();
    vi.useRealTimers();
  }
}

/** `promise`, with a flag that says whether it has settled yet (without waiting for it). */
export function tracked<T>(promise: Promise<T>): { settled: () => boolean; result: Promise<unknown> } {
  let settled = false;
  const result = promise.then(
    (value) => ((settled = true), value),
    (error: unknown) => ((settled = true), error),
  );
  return { settled: () => settled, result };
}

/**
 * A system tool result whose `result` is null, as the document allows: the transcript tests give
 * it to the walkers and the matchers.
 */
export const NULL_SYSTEM_RESULT = {
  request_id: "r1",
  tool_name: "t",
  result_value: "",
  is_error: false,
  tool_has_been_called: true,
  type: "system",
  result: null,
};
