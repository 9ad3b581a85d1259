/**
 * The call seam (src/http/call.ts): a 2xx body that is not what the spec documents and an error
 * status with an empty body become the package's errors, for every operation alike; and
 * `convai.api` middleware sees every facade call, as openapi-fetch promises.
 */
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { ConvaiAPIError, ConvaiResponseError } from "../../src/index.ts";
import { KEY, clientWith, json, rejectionOf } from "../helpers.ts";

const conversation = { conversation_id: "c", agent_id: "a", status: "done", transcript: [] };

describe("a 2xx that is not what the spec says is a typed error", () => {
  const cases: [string, () => Response, (c: ReturnType<typeof clientWith>["convai"]) => Promise<unknown>, RegExp][] = [
    [
      "invalid JSON",
      () => new Response('{"conversation_id": "c", ', { headers: { "content-type": "application/json" } }),
      (c) => c.conversations.get("c"),
      /a body that is not JSON/,
    ],
    [
      "text/plain",
      () => new Response("OK", { headers: { "content-type": "text/plain" } }),
      (c) => c.conversations.get("c"),
      /a body that is not JSON/,
    ],
    [
      "an empty 200",
      () => new Response(null, { status: 200 }),
      (c) => c.conversations.get("c"),
      /an empty body where the spec documents one/,
    ],
    ["a JSON null", () => json(null), (c) => c.conversations.get("c"), /not the JSON object/],
    [
      "a page without conversations",
      () => json({ has_more: false }),
      (c) => c.conversations.list().toArray({ max: 5 }),
      /conversations is not an array/,
    ],
    [
      "a token response without a token",
      () => json({ conversation_id: "x" }),
      (c) => c.sessions.webrtcToken({ agent_id: "a" }),
      /token is not a string/,
    ],
    [
      "a signed URL response without the URL",
      () => json({}),
      (c) => c.sessions.signedUrl({ agent_id: "a" }),
      /signed_url is not a string/,
    ],
  ];
  for (const [name, respond, run, problem] of cases) {
    it(`${name} → ConvaiResponseError with status, method, path, content type and an excerpt; not retried`, async () => {
      const { convai, calls } = clientWith(respond);
      const error = await rejectionOf(run(convai));
      expect(error).toBeInstanceOf(ConvaiResponseError);
      expect(error).toBeInstanceOf(ConvaiAPIError);
      const e = error as ConvaiResponseError;
      expect(e.status).toBe(200);
      expect(e.method).toBe("GET");
      expect(e.path).toMatch(/^\/v1\/convai\//);
      expect(typeof e.contentType).toBe("string");
      expect(e.message).toMatch(problem);
      expect(calls).toHaveLength(1);
    });
  }

  it("cuts the excerpt short and redacts the key in it", async () => {
    const { convai } = clientWith(
      () => new Response(`not json ${KEY} ${"x".repeat(5_000)}`, { headers: { "content-type": "text/html" } }),
    );
    const error = (await rejectionOf(convai.conversations.get("c"))) as ConvaiResponseError;
    expect(error.contentType).toBe("text/html");
    expect(error.excerpt.length).toBeLessThanOrEqual(201);
    expect(error.excerpt).toContain("[redacted]");
    expect(error.message).not.toContain(KEY);
  });
});

describe("an error status with an empty body", () => {
  it('keeps body "", whether Content-Length says 0 or the body is chunked', async () => {
    for (const headers of [{ "content-length": "0" }, {}] as Record<string, string>[]) {
      const { convai } = clientWith(() => new Response("", { status: 404, headers }), { maxRetries: 0 });
      const error = await rejectionOf(convai.conversations.get("c"));
      expect(error).toBeInstanceOf(ConvaiAPIError);
      expect((error as ConvaiAPIError).body).toBe("");
    }
  });
});

describe("convai.api middleware gets what openapi-fetch promises", () => {
  it("runs the documented idioms: add a header, replace the request, read the body and the response, onError", async () => {
    const { convai, calls } = clientWith(
      (request) => (request.url.includes("fail") ? Promise.reject(new TypeError("fetch failed")) : json(conversation)),
      { maxRetries: 0 },
    );
    const seen: string[] = [];
    convai.api.use({
      async onRequest({ request }) {
        expect(request).toBeInstanceOf(Request);
        request.headers.set("x-trace", "t1");
        if (request.method === "POST") seen.push(`body ${JSON.stringify(await request.clone().json())}`);
        // The idiom of openapi-fetch's docs: a new Request from the old one and an init.
        return new Request(request, { headers: { ...Object.fromEntries(request.headers), "x-replaced": "yes" } });
      },
      async onResponse({ response }) {
        seen.push(`response ${((await response.clone().json()) as { conversation_id?: string }).conversation_id}`);
        return undefined;
      },
      onError({ error }) {
        seen.push(`error ${(error as Error).name}`);
        return json({ ...conversation, conversation_id: "fallback" });
      },
    });
    expect((await convai.conversations.get("c")).conversation_id).toBe("c");
    await convai.conversations.sendFeedback("c", "like");
    expect((await convai.conversations.get("fail")).conversation_id).toBe("fallback");
    expect(calls[0]!.headers.get("x-trace")).toBe("t1");
    expect(calls[0]!.headers.get("x-replaced")).toBe("yes");
    expect(calls[0]!.headers.get("xi-api-key")).toBe(KEY);
    expect(calls[1]!.body).toBe('{"feedback":"like"}');
    expect(seen).toEqual([
      "response c",
      'body {"feedback":"like"}',
      "response c",
      "error ConvaiConnectionError",
      "response fallback", // openapi-fetch runs onResponse on what onError answered
    ]);
  });

  it("sees every facade call as a real Request once used, and none after eject", async () => {
    const { convai, calls } = clientWith(() => json(conversation));
    await convai.conversations.get("c");
    const seen: unknown[] = [];
    const middleware = { onRequest: ({ request }: { request: Request }) => void seen.push(request) };
    convai.api.use(middleware);
    await convai.conversations.get("c");
    await convai.sessions.signedUrl({ agent_id: "a" }).catch(() => undefined);
    convai.api.eject(middleware);
    await convai.conversations.get("c");
    expect(calls).toHaveLength(4);
    expect(seen).toHaveLength(2);
    for (const request of seen) expect(request).toBeInstanceOf(Request);
  });
});

describe("the Request openapi-fetch builds for a facade call", () => {
  it("is not listened to (it has no signal that could abort); one middleware puts in its place is", async () => {
    let built: Request | undefined;
    const listening: number[] = [];
    const { convai } = clientWith(
      (request) => {
        if (request.url.endsWith("/hang")) return new Promise<Response>(() => {});
        listening.push(getEventListeners(built!.signal, "abort").length);
        return json(conversation);
      },
      { maxRetries: 0 },
    );
    const controller = new AbortController();
    convai.api.use({
      onRequest({ request }) {
        built = request;
        // Replaced only for the call that must hang: by one that follows the controller's signal.
        return request.url.endsWith("/hang") ? new Request(request, { signal: controller.signal }) : undefined;
      },
    });
    await convai.conversations.get("c");
    expect(listening).toEqual([0]);
    const hanging = convai.conversations.get("hang");
    const reason = new Error("stop");
    controller.abort(reason);
    expect(await rejectionOf(hanging)).toBe(reason);
  });
});

describe("a call's options", () => {
  it("are refused before any request when they are not an object", async () => {
    const { convai, calls } = clientWith(() => json(conversation));
    for (const options of [null, 5, "fast"]) {
      const error = await rejectionOf(convai.agents.link("a", options as never));
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(/^agents\.link: options must be an object, got /);
    }
    expect(calls).toHaveLength(0);
  });

  it("override the client's, each on its own; absent ones are the client's", async () => {
    const { convai, calls } = clientWith(() => json({}, { status: 503, headers: { "retry-after": "0" } }), {
      maxRetries: 1,
      timeoutMs: 5_000,
    });
    await rejectionOf(convai.agents.link("a"));
    expect(calls).toHaveLength(2); // the client's maxRetries: 1
    await rejectionOf(convai.agents.link("a", { maxRetries: 0 }));
    expect(calls).toHaveLength(3);
    await rejectionOf(convai.agents.link("a", { timeoutMs: 1_000 }));
    expect(calls).toHaveLength(5); // still the client's maxRetries
  });
});

describe("the response middleware sees for a facade call", () => {
  it("has the fetched response's status, url and headers, in itself and in a clone", async () => {
    const { convai } = clientWith(() =>
      json(conversation, { status: 200, headers: { "x-request-id": "req_1", "x-extra": "e" } }),
    );
    const seen: unknown[] = [];
    convai.api.use({
      onResponse({ response }) {
        const clone = response.clone();
        for (const r of [response, clone]) {
          seen.push([r.status, new URL(r.url).pathname, r.headers.get("x-request-id"), r.headers.get("x-extra")]);
        }
        return undefined;
      },
    });
    await convai.conversations.get("c");
    const expected = [200, "/v1/convai/conversations/c", "req_1", "e"];
    expect(seen).toEqual([expected, expected]);
  });
});
