import { execFileSync } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ConvaiConnectionError,
  ConvaiAPIError,
  ConvaiTimeoutError,
  ConvaiValidationError,
  ENVIRONMENTS,
  createConvaiClient,
} from "../src/index.ts";
import { KEY, clientWith, everythingIn, json, rejectionOf, tracked, withFakeTimers } from "./helpers.ts";

const conversation = { conversation_id: "conv_1", agent_id: "agent_1", status: "done", transcript: [] };

describe("createConvaiClient options", () => {
  const saved = process.env.ELEVENLABS_API_KEY;
  afterEach(() => {
    if (saved === undefined) delete process.env.ELEVENLABS_API_KEY;
    else process.env.ELEVENLABS_API_KEY = saved;
    delete (globalThis as { window?: unknown }).window;
  });

  it("sends the key as xi-api-key, with extra headers, to the base URL", async () => {
    const { convai, calls } = clientWith(() => json(conversation), { headers: { "x-team": "support" } });
    await convai.conversations.get("conv_1");
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url.href).toBe("https://api.test/v1/convai/conversations/conv_1");
    expect(calls[0]!.headers.get("xi-api-key")).toBe(KEY);
    expect(calls[0]!.headers.get("x-team")).toBe("support");
  });

  it("reads headers given as a Headers, a Map or pairs, the client's and each call's (a call's wins, whatever its case)", async () => {
    for (const headers of [
      new Headers({ "X-Team": "support" }),
      new Map([["x-team", "support"]]),
      [["x-team", "support"]],
    ]) {
      const { convai, calls } = clientWith(() => json(conversation), { headers: headers as never });
      await convai.conversations.get("conv_1");
      await convai.conversations.get("conv_1", { headers: new Headers({ "X-TEAM": "sales", "x-call": "1" }) });
      await convai.conversations.get("conv_1", { headers: new Map([["x-call", "2"]]) });
      // With middleware, the request goes through openapi-fetch: the same headers arrive.
      convai.api.use({ onRequest: () => undefined });
      await convai.conversations.get("conv_1", { headers: new Map([["x-call", "3"]]) });
      expect(calls.map((c) => [c.headers.get("x-team"), c.headers.get("x-call")])).toEqual([
        ["support", null],
        ["sales", "1"],
        ["support", "2"],
        ["support", "3"],
      ]);
      expect(calls.every((c) => c.headers.get("xi-api-key") === KEY)).toBe(true);
    }
  });

  it('accepts a key of any length a header can carry, as short as a test\'s "test"', async () => {
    for (const apiKey of ["test", "k", "sk_+/=", "a".repeat(300)]) {
      const seen: string[] = [];
      const convai = createConvaiClient({
        apiKey,
        baseUrl: "https://api.test",
        fetch: async (r) => (seen.push(r.headers.get("xi-api-key")!), json(conversation)),
      });
      await convai.conversations.get("conv_1");
      expect(seen).toEqual([apiKey]);
    }
    for (const apiKey of ["", " ", "two words", "tab\tkey", "line\nbreak", "nul\0", "kéy", "key\u2028"]) {
      const error = (() => {
        try {
          createConvaiClient({ apiKey, baseUrl: "https://api.test" });
        } catch (e) {
          return e;
        }
      })();
      expect(error, JSON.stringify(apiKey)).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(/^createConvaiClient: apiKey (is required|must be printable ASCII)/);
      if (apiKey.trim() !== "") expect((error as Error).message).not.toContain(apiKey);
    }
  });

  it("takes the key from ELEVENLABS_API_KEY when none is passed", async () => {
    process.env.ELEVENLABS_API_KEY = "from-env-key-123";
    const seen: string[] = [];
    const convai = createConvaiClient({
      baseUrl: "https://api.test",
      fetch: async (r) => (seen.push(r.headers.get("xi-api-key")!), json(conversation)),
    });
    await convai.conversations.get("conv_1");
    expect(seen).toEqual(["from-env-key-123"]);
  });

  it("refuses to start without a key", () => {
    delete process.env.ELEVENLABS_API_KEY;
    expect(() => createConvaiClient({ baseUrl: "https://api.test" })).toThrow(/apiKey is required/);
    expect(() => createConvaiClient({ apiKey: "  " })).toThrow(/apiKey is required/);
  });

  it("uses each environment's base URL", async () => {
    for (const [environment, origin] of Object.entries(ENVIRONMENTS)) {
      const urls: string[] = [];
      const convai = createConvaiClient({
        apiKey: KEY,
        environment: environment as keyof typeof ENVIRONMENTS,
        fetch: async (r) => (urls.push(r.url), json(conversation)),
      });
      await convai.conversations.get("c");
      expect(urls).toEqual([`${origin}/v1/convai/conversations/c`]);
    }
    expect(ENVIRONMENTS.eu).toBe("https://api.eu.residency.elevenlabs.io");
  });

  it("refuses bad options before any request, naming them", () => {
    expect(() => createConvaiClient({ apiKey: KEY, environment: "mars" as never })).toThrow(
      /environment must be one of/,
    );
    expect(() => createConvaiClient({ apiKey: KEY, baseUrl: "ftp://x" })).toThrow(/baseUrl must be an http\(s\) URL/);
    expect(() => createConvaiClient({ apiKey: KEY, baseUrl: "https://a", environment: "eu" })).toThrow(/not both/);
    expect(() => createConvaiClient({ apiKey: KEY, maxRetries: -1 })).toThrow(/maxRetries/);
    expect(() => createConvaiClient({ apiKey: KEY, timeoutMs: 0 })).toThrow(/timeoutMs/);
  });

  it("refuses an API key in a browser's worker too (importScripts or WorkerGlobalScope), but not in workerd", async () => {
    const g = globalThis as Record<string, unknown>;
    for (const name of ["importScripts", "WorkerGlobalScope"]) {
      g[name] = function () {};
      try {
        expect(() => createConvaiClient({ apiKey: KEY }), name).toThrow(/refusing to use an API key in a browser/);
        expect(() => createConvaiClient({ apiKey: KEY, dangerouslyAllowBrowser: true })).not.toThrow();
        const navigator = Object.getOwnPropertyDescriptor(globalThis, "navigator");
        Object.defineProperty(globalThis, "navigator", {
          value: { userAgent: "Cloudflare-Workers" },
          configurable: true,
        });
        try {
          expect(() => createConvaiClient({ apiKey: KEY })).not.toThrow();
        } finally {
          if (navigator) Object.defineProperty(globalThis, "navigator", navigator);
          else delete g.navigator;
        }
      } finally {
        delete g[name];
      }
    }
  });

  it("refuses an API key in a browser unless dangerouslyAllowBrowser", async () => {
    (globalThis as { window?: unknown }).window = { document: {} };
    expect(() => createConvaiClient({ apiKey: KEY })).toThrow(/browser/);
    const { convai, calls } = clientWith(() => json(conversation), { dangerouslyAllowBrowser: true });
    await convai.conversations.get("conv_1");
    expect(calls).toHaveLength(1);
  });

  it("gives convai.api the same auth and retries", async () => {
    const { convai, calls } = clientWith((_r, n) => (n === 1 ? json({}, { status: 503 }) : json(conversation)), {
      maxRetries: 1,
    });
    const { data, response } = await convai.api.GET("/v1/convai/conversations/{conversation_id}", {
      params: { path: { conversation_id: "conv_1" } },
    });
    expect(response.status).toBe(200);
    expect(data?.conversation_id).toBe("conv_1");
    expect(calls.map((c) => c.headers.get("xi-api-key"))).toEqual([KEY, KEY]);
  });

  it("loads no fetch machinery until something needs it (a monitor or a webhook receiver never does)", () => {
    // On Node the first read of a fetch global (fetch, Request, Headers) loads undici: 10–15 ms
    // at startup that a process which only monitors calls or verifies webhooks does not need.
    const probe = `
      const { createConvaiClient } = await import(${JSON.stringify(path.resolve(import.meta.dirname, "../src/index.ts"))});
      const loaded = () => process.moduleLoadList.some((m) => m.includes("undici"));
      const convai = createConvaiClient({ apiKey: "xi-probe-key-0000", baseUrl: "http://127.0.0.1:9" });
      const before = loaded();
      void convai.api;
      console.log(JSON.stringify([before, loaded()]));`;
    const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", probe], {
      encoding: "utf8",
    });
    expect(JSON.parse(out)).toEqual([false, true]);
  });
});

describe("convai.api middleware", () => {
  it("sees each request and may change it or replace it with a full Request", async () => {
    const { convai, calls } = clientWith(() => json(conversation));
    const seen: string[] = [];
    convai.api.use({
      onRequest({ request }) {
        seen.push(`${request.method} ${new URL(request.url).pathname}`);
        request.headers.set("x-trace", "t1");
        return undefined;
      },
    });
    await convai.conversations.get("conv_1");
    expect(seen).toEqual(["GET /v1/convai/conversations/conv_1"]);
    expect(calls[0]!.headers.get("x-trace")).toBe("t1");

    const { convai: other, calls: otherCalls } = clientWith(() => json(conversation));
    other.api.use({ onRequest: ({ request }) => new Request(request.url.replace("conv_1", "conv_2"), request) });
    await other.conversations.get("conv_1");
    expect(otherCalls[0]!.url.pathname).toBe("/v1/convai/conversations/conv_2");
    expect(otherCalls[0]!.headers.get("xi-api-key")).toBe(KEY);
  });
});

describe("ids in paths", () => {
  it("percent-encodes ids so they stay inside their path segment", async () => {
    const { convai, calls } = clientWith(() => json(conversation));
    await convai.conversations.get("a/../b?x=1#y");
    expect(calls[0]!.url.pathname).toBe("/v1/convai/conversations/a%2F..%2Fb%3Fx%3D1%23y");
    expect(calls[0]!.url.search).toBe("");
  });
});

describe("errors", () => {
  it("throws ConvaiAPIError with status, body, request id, method and path", async () => {
    const body = { detail: { status: "conversation_not_found", message: "Conversation not found" } };
    const { convai } = clientWith(() => json(body, { status: 404, headers: { "request-id": "req_42" } }));
    const error = await rejectionOf(convai.conversations.get("conv_x"));
    expect(error).toBeInstanceOf(ConvaiAPIError);
    expect(error).toMatchObject({
      name: "ConvaiAPIError",
      status: 404,
      body,
      requestId: "req_42",
      method: "GET",
      path: "/v1/convai/conversations/conv_x",
    });
    expect((error as Error).message).toBe(
      "GET /v1/convai/conversations/conv_x failed with 404: Conversation not found",
    );
  });

  it("throws ConvaiValidationError with the detail list for 422", async () => {
    const detail = [{ loc: ["query", "page_size"], msg: "must be at most 100", type: "less_than_equal" }];
    const { convai } = clientWith(() => json({ detail }, { status: 422 }));
    const error = await rejectionOf(convai.conversations.list().toArray({ max: 1 }));
    expect(error).toBeInstanceOf(ConvaiValidationError);
    expect(error).toBeInstanceOf(ConvaiAPIError);
    expect((error as ConvaiValidationError).detail).toEqual(detail);
    expect((error as Error).message).toContain("query.page_size: must be at most 100");
  });

  it("wraps a network failure in ConvaiConnectionError with its cause", async () => {
    const cause = Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } });
    const { convai, calls } = clientWith(() => Promise.reject(cause), { maxRetries: 0 });
    const error = await rejectionOf(convai.conversations.get("c"));
    expect(error).toBeInstanceOf(ConvaiConnectionError);
    // A copy of what the fetch threw, never the object itself: name, message and code, cause too.
    const kept = (error as Error).cause as Error & { code?: string; cause?: Error & { code?: string } };
    expect(kept).not.toBe(cause);
    expect(kept).toMatchObject({ name: "TypeError", message: "fetch failed" });
    expect(kept.cause?.code).toBe("ECONNRESET");
    expect((error as Error).message).toContain("ECONNRESET");
    expect(calls).toHaveLength(1);
  });

  it("never carries the key, even when the fetch or the server echo it", async () => {
    const leaky = new Error(`connect failed for key ${KEY}`);
    const { convai: a } = clientWith(() => Promise.reject(leaky), { maxRetries: 0 });
    const { convai: b } = clientWith(() => json({ detail: `bad key ${KEY}` }, { status: 401 }));
    const { convai: c } = clientWith(() => new Promise<Response>(() => {}), { maxRetries: 0, timeoutMs: 20 });
    for (const error of [
      await rejectionOf(a.conversations.get("c")),
      await rejectionOf(b.conversations.get("c")),
      await rejectionOf(c.conversations.get("c")),
    ]) {
      expect(error).toBeInstanceOf(Error);
      expect(everythingIn(error)).not.toContain(KEY);
    }
  });

  it("times out per attempt with ConvaiTimeoutError, at timeoutMs and not before", async () => {
    await withFakeTimers(async () => {
      const { convai } = clientWith(() => new Promise<Response>(() => {}), { maxRetries: 0, timeoutMs: 30 });
      const call = tracked(convai.conversations.get("c"));
      await vi.advanceTimersByTimeAsync(29);
      expect(call.settled()).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(call.settled()).toBe(true);
      const error = await call.result;
      expect(error).toBeInstanceOf(ConvaiTimeoutError);
      expect(error).toMatchObject({ timeoutMs: 30, method: "GET", path: "/v1/convai/conversations/c" });
    });
  });

  it("lets a per-call timeoutMs override the client's", async () => {
    const { convai } = clientWith(() => new Promise<Response>(() => {}), { maxRetries: 0, timeoutMs: 60_000 });
    const error = await rejectionOf(convai.conversations.get("c", { timeoutMs: 25 }));
    expect(error).toMatchObject({ name: "ConvaiTimeoutError", timeoutMs: 25 });
  });

  it("rejects with the caller's abort reason, unwrapped", async () => {
    const { convai } = clientWith(() => new Promise<Response>(() => {}));
    const controller = new AbortController();
    const reason = new Error("user went away");
    const pending = rejectionOf(convai.conversations.get("c", { signal: controller.signal }));
    setTimeout(() => controller.abort(reason), 10);
    expect(await pending).toBe(reason);
  });
});

describe("a baseUrl that can only mean one thing", () => {
  const cases: [string, RegExp][] = [
    ["https://api.test/base?x=1", /baseUrl must not have a query/],
    ["https://api.test/?", /baseUrl must not have a query/],
    ["https://api.test/#frag", /baseUrl must not have a fragment/],
    ["https://user:hunter2secret@api.test", /baseUrl must not contain credentials/],
    ["ftp://user:hunter2secret@api.test", /baseUrl must be an http\(s\) URL/],
  ];
  for (const [baseUrl, message] of cases) {
    it(`refuses ${baseUrl.replace("hunter2secret", "…")}`, () => {
      let error: unknown;
      try {
        createConvaiClient({ apiKey: KEY, baseUrl });
      } catch (e) {
        error = e;
      }
      expect(String(error)).toMatch(message);
      expect(String(error)).not.toContain("hunter2secret");
    });
  }

  it("keeps a path prefix, without trailing slashes", async () => {
    const urls: string[] = [];
    const convai = createConvaiClient({
      apiKey: KEY,
      baseUrl: "https://proxy.test/elevenlabs//",
      fetch: async (r) => (urls.push(r.url), json(conversation)),
    });
    await convai.conversations.get("c");
    expect(urls).toEqual(["https://proxy.test/elevenlabs/v1/convai/conversations/c"]);
  });
});
