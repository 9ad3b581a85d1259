/**
 * What a hostile server, a broken network or bad input does to the client: each case here broke
 * a promise of the README once (issue 10) and has stayed fixed since.
 */
import { createHash } from "node:crypto";
import { getEventListeners } from "node:events";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  ConvaiConnectionError,
  ConvaiAPIError,
  ConvaiResponseError,
  conversationIdFromToken,
  createConvaiClient,
  isToolResult,
  matchToolResult,
  pairToolCalls,
  toolCalls,
  toolResults,
} from "../../src/index.ts";
import { saveConversationAudio } from "../../src/node.ts";
import { retryAfterMs } from "../../src/http/retry.ts";
import { KEY, clientWith, json, rejectionOf, tracked, withFakeTimers } from "../helpers.ts";
import { type Server, noise, serve } from "../servers.ts";

const conversation = { conversation_id: "c", agent_id: "a", status: "done", transcript: [] };
const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const client = (baseUrl: string, options = {}) => createConvaiClient({ apiKey: KEY, baseUrl, ...options });
const servers: Server[] = [];
const started = async (...args: Parameters<typeof serve>) => {
  const server = await serve(...args);
  servers.push(server);
  return server;
};
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "convai-hardening-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function bytesOf(body: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe("1. recordings are bytes, whatever the headers say", () => {
  const recording = noise(2_097_152, 7);
  const headerCases: [string, Record<string, string>][] = [
    ["no Content-Type, no Content-Length", {}],
    ["text/plain, no Content-Length", { "content-type": "text/plain; charset=utf-8" }],
    [
      "application/json with Content-Length",
      { "content-type": "application/json", "content-length": String(recording.length) },
    ],
    ["no Content-Type with Content-Length", { "content-length": String(recording.length) }],
  ];
  for (const [name, headers] of headerCases) {
    it(`saves exactly the bytes sent: ${name}`, async () => {
      const server = await started((_req, res) => {
        res.writeHead(200, headers);
        res.end(recording);
      });
      const file = path.join(dir, `rec-${sha(Buffer.from(name)).slice(0, 8)}.mp3`);
      const saved = await saveConversationAudio(client(server.url), "conv_1", file);
      const written = await readFile(file);
      expect(written.length).toBe(recording.length);
      expect(sha(written)).toBe(sha(recording));
      expect(saved.bytes).toBe(recording.length);
    });
  }

  it("hands the stream over before the body has arrived, so nothing is buffered", async () => {
    let finish: () => void = () => {};
    const server = await started((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" }); // a lie, and no length
      res.write(recording.subarray(0, 65_536));
      finish = () => res.end(recording.subarray(65_536));
    });
    const audio = await Promise.race([
      client(server.url).conversations.audio("conv_1"),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("audio() waited for the whole body")), 3_000),
      ),
    ]);
    const reader = audio.body.getReader();
    const first = await reader.read();
    expect(first.value?.byteLength).toBeGreaterThan(0);
    finish();
    const rest: Uint8Array[] = [first.value!];
    for (let next = await reader.read(); !next.done; next = await reader.read()) rest.push(next.value);
    expect(sha(Buffer.concat(rest))).toBe(sha(recording));
  });

  it("convai.api reads the audio operation as a stream too", async () => {
    const server = await started((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(recording);
    });
    const { data } = await client(server.url).api.GET("/v1/convai/conversations/{conversation_id}/audio", {
      params: { path: { conversation_id: "c" } },
      parseAs: "stream",
    });
    expect(sha(await bytesOf(data as unknown as ReadableStream<Uint8Array>))).toBe(sha(recording));
  });
});

describe("2. the key never leaves its origin", () => {
  for (const status of [301, 302, 303, 307, 308]) {
    it(`${status} within the origin keeps the key; to another origin drops every header (JSON)`, async () => {
      const other = await started((_req, res) =>
        res.end(JSON.stringify({ ...conversation, conversation_id: "moved" })),
      );
      const api = await started((req, res) => {
        if (req.url === "/v1/convai/conversations/same")
          return void res.writeHead(status, { location: "/v1/elsewhere/same" }).end();
        if (req.url === "/v1/convai/conversations/away")
          return void res.writeHead(status, { location: `${other.url}/x/away` }).end();
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(conversation));
      });
      const convai = client(api.url, { headers: { "x-team": "support" } });
      expect((await convai.conversations.get("same")).conversation_id).toBe("c");
      expect(api.seen.map((s) => s.url)).toEqual(["/v1/convai/conversations/same", "/v1/elsewhere/same"]);
      expect(api.seen.every((s) => s.headers["xi-api-key"] === KEY)).toBe(true);

      expect((await convai.conversations.get("away")).conversation_id).toBe("moved");
      expect(other.seen).toHaveLength(1);
      expect(other.seen[0]!.headers["xi-api-key"]).toBeUndefined();
      expect(other.seen[0]!.headers["x-team"]).toBeUndefined();
    });

    it(`${status} to another origin fetches a recording without the key`, async () => {
      const recording = noise(100_000, status);
      const storage = await started((_req, res) => res.writeHead(200, { "content-type": "audio/mpeg" }).end(recording));
      const api = await started((_req, res) =>
        res.writeHead(status, { location: `${storage.url}/bucket/c.mp3?sig=1` }).end(),
      );
      const audio = await client(api.url).conversations.audio("c");
      expect(sha(await bytesOf(audio.body))).toBe(sha(recording));
      expect(storage.seen[0]!.headers["xi-api-key"]).toBeUndefined();
      expect(api.seen[0]!.headers["xi-api-key"]).toBe(KEY);
    });
  }

  it("a POST redirected by 303 continues as a GET without its body; by 307 as the same POST", async () => {
    const api = await started((req, res) => {
      if (req.url === "/v1/convai/conversations/a/feedback")
        return void res.writeHead(303, { location: "/done" }).end();
      if (req.url === "/v1/convai/conversations/b/feedback" && !req.headers["x-hop"])
        return void res.writeHead(307, { location: "/v1/convai/conversations/b/feedback?again=1" }).end();
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    const convai = client(api.url);
    await convai.conversations.sendFeedback("a", "like");
    await convai.conversations.sendFeedback("b", "dislike");
    expect(api.seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual([
      'POST /v1/convai/conversations/a/feedback {"feedback":"like"}',
      "GET /done ",
      'POST /v1/convai/conversations/b/feedback {"feedback":"dislike"}',
      'POST /v1/convai/conversations/b/feedback?again=1 {"feedback":"dislike"}',
    ]);
  });

  for (const status of [301, 302]) {
    it(`a POST redirected by ${status} continues as a GET without its body or content type, as fetch does`, async () => {
      const api = await started((req, res) => {
        if (req.url === "/v1/convai/conversations/a/feedback")
          return void res.writeHead(status, { location: "/moved" }).end();
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
      await client(api.url).conversations.sendFeedback("a", "like");
      expect(api.seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual([
        'POST /v1/convai/conversations/a/feedback {"feedback":"like"}',
        "GET /moved ",
      ]);
      expect(api.seen[1]!.headers["content-type"]).toBeUndefined();
      expect(api.seen[1]!.headers["xi-api-key"]).toBe(KEY); // same origin: the key goes along
    });
  }

  it("refuses a redirect loop and a redirect to a URL that is not http(s)", async () => {
    const loop = await started((req, res) => res.writeHead(302, { location: `${req.url}x` }).end());
    const error = await rejectionOf(client(loop.url, { maxRetries: 0 }).conversations.get("c"));
    expect(error).toBeInstanceOf(ConvaiConnectionError);
    expect((error as Error).message).toContain("more than 20 redirects");
    const files = await started((_req, res) => res.writeHead(302, { location: "file:///etc/passwd" }).end());
    expect(String(await rejectionOf(client(files.url).conversations.get("c")))).toContain("not http(s)");
  });

  it("an https base redirected to http on the same host loses the key (another origin)", async () => {
    const seen: (string | null)[] = [];
    const convai = createConvaiClient({
      apiKey: KEY,
      baseUrl: "https://api.test",
      fetch: async (request) => {
        seen.push(request.headers.get("xi-api-key"));
        return request.url.startsWith("https:")
          ? new Response(null, { status: 301, headers: { location: "http://api.test/v1/x" } })
          : json(conversation);
      },
    });
    await convai.conversations.get("c");
    expect(seen).toEqual([KEY, null]);
  });
});

describe("3. timeouts that cannot overflow", () => {
  const huge = 2 ** 31;
  it("refuses a timeout past what a timer can wait, naming the argument, before any request", async () => {
    const { convai, calls } = clientWith(() => json(conversation));
    expect(() => createConvaiClient({ apiKey: KEY, timeoutMs: huge })).toThrow(
      /createConvaiClient: timeoutMs must be at most 2147483647 ms/,
    );
    expect(String(await rejectionOf(convai.conversations.get("c", { timeoutMs: huge })))).toMatch(
      /conversations\.get: timeoutMs must be at most/,
    );
    const wait = { query: { agent_id: "a" }, startedAfter: new Date() };
    expect(String(await rejectionOf(convai.conversations.waitFor({ ...wait, totalTimeoutMs: huge })))).toMatch(
      /conversations\.waitFor: totalTimeoutMs must be at most/,
    );
    expect(String(await rejectionOf(convai.conversations.waitUntilDone("c", { totalTimeoutMs: huge })))).toMatch(
      /conversations\.waitUntilDone: totalTimeoutMs must be at most/,
    );
    expect(String(await rejectionOf(convai.conversations.waitUntilDone("c", { timeoutMs: huge })))).toMatch(
      /waitUntilDone: timeoutMs must be at most/,
    );
    expect(String(await rejectionOf(convai.conversations.waitUntilDone("c", { pollMs: huge })))).toMatch(/pollMs/);
    expect(calls).toHaveLength(0);
  });

  it("accepts the longest timer there is, and the call goes through", async () => {
    const { convai, calls } = clientWith(() => json(conversation), { timeoutMs: 2 ** 31 - 1 });
    expect((await convai.conversations.get("c", { timeoutMs: 2 ** 31 - 1 })).conversation_id).toBe("c");
    expect(calls).toHaveLength(1);
  });
});

describe("4. no leaked listeners", () => {
  it("audio() and saveConversationAudio remove their abort listener when the stream ends, fails or is cancelled", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    let n = 0;
    const server = await started((_req, res) => {
      const i = n++;
      res.writeHead(200, { "content-type": "audio/mpeg", "content-length": "200000" });
      if (i % 3 === 2)
        res.write(noise(50_000), () => res.destroy()); // cut short
      else res.end(noise(200_000));
    });
    const convai = client(server.url, { maxRetries: 0 });
    const controller = new AbortController();
    const { signal } = controller;
    try {
      for (let i = 0; i < 30; i++) {
        const audio = await convai.conversations.audio("c", { signal });
        if (i % 3 === 0) await bytesOf(audio.body);
        else if (i % 3 === 1) await audio.body.cancel();
        else await rejectionOf(bytesOf(audio.body));
      }
      expect(getEventListeners(signal, "abort")).toHaveLength(0);
      for (let i = 0; i < 30; i++) {
        await saveConversationAudio(convai, "c", path.join(dir, `leak-${i}.mp3`), { signal }).catch(() => undefined);
      }
      expect(getEventListeners(signal, "abort")).toHaveLength(0);
      for (let i = 0; i < 12; i++) await rejectionOf(convai.conversations.get("c", { signal }));
      expect(getEventListeners(signal, "abort")).toHaveLength(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("an abort still ends a stream being read", async () => {
    const server = await started((_req, res) => {
      res.writeHead(200, { "content-type": "audio/mpeg" });
      res.write(noise(10_000)); // and never ends
    });
    const controller = new AbortController();
    const audio = await client(server.url).conversations.audio("c", { signal: controller.signal });
    const reader = audio.body.getReader();
    await reader.read();
    const reason = new Error("stop");
    setTimeout(() => controller.abort(reason), 20);
    expect(await rejectionOf(reader.read())).toBe(reason);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });
});

describe("5. a 2xx that is not what the spec says is a typed error", () => {
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

  it("convai.api gets the same error for a body that is not JSON, with or without Content-Length", async () => {
    for (const headers of [{ "content-type": "text/plain" }, { "content-type": "text/plain", "content-length": "2" }]) {
      const server = await started((_req, res) => res.writeHead(200, headers).end("OK"));
      const error = await rejectionOf(
        client(server.url).api.GET("/v1/convai/conversations/{conversation_id}", {
          params: { path: { conversation_id: "c" } },
        }),
      );
      expect(error).toBeInstanceOf(ConvaiResponseError);
    }
  });
});

describe("5b. an error status with an empty body", () => {
  it('keeps body "", whether Content-Length says 0 or the body is chunked', async () => {
    for (const headers of [{ "content-length": "0" }, {}] as Record<string, string>[]) {
      const { convai } = clientWith(() => new Response("", { status: 404, headers }), { maxRetries: 0 });
      const error = await rejectionOf(convai.conversations.get("c"));
      expect(error).toBeInstanceOf(ConvaiAPIError);
      expect((error as ConvaiAPIError).body).toBe("");
    }
  });
});

describe("6. minting a token never throws the token away", () => {
  it("returns a token that is not a JWT, with the response's conversation id or none", async () => {
    const withId = clientWith(() => json({ token: "opaque-token", conversation_id: "conv_9" }));
    expect(await withId.convai.sessions.webrtcToken({ agent_id: "a" })).toEqual({
      token: "opaque-token",
      conversationId: "conv_9",
      conversationIdSource: "response",
      expiresAt: undefined,
    });
    const without = clientWith(() => json({ token: "opaque-token" }));
    expect(await without.convai.sessions.webrtcToken({ agent_id: "a" })).toMatchObject({
      token: "opaque-token",
      conversationId: undefined,
      expiresAt: undefined,
    });
  });

  it("does not decode a token of absurd size, and the readers refuse one", async () => {
    const huge = `${"a".repeat(10)}.${"b".repeat(10 * 1024 * 1024)}.c`;
    const { convai } = clientWith(() => json({ token: huge }));
    const decode = vi.spyOn(globalThis, "atob");
    try {
      const minted = await convai.sessions.webrtcToken({ agent_id: "a" });
      expect(minted.token.length).toBe(huge.length);
      expect(minted.conversationId).toBeUndefined();
      expect(decode).not.toHaveBeenCalled(); // refused by its length, before any decoding
    } finally {
      decode.mockRestore();
    }
    expect(() => conversationIdFromToken(huge)).toThrow(/more than 65536/);
  });

  it("an exp no Date can hold gives expiresAt undefined, not an Invalid Date", async () => {
    const payload = Buffer.from(JSON.stringify({ exp: 1e20, video: { room: "room_agent_a_conv_abc" } })).toString(
      "base64url",
    );
    const { convai } = clientWith(() => json({ token: `e30.${payload}.sig` }));
    const minted = await convai.sessions.webrtcToken({ agent_id: "a" });
    expect(minted.expiresAt).toBeUndefined();
    expect(minted.conversationId).toBe("conv_abc");
  });
});

describe("8. a baseUrl that can only mean one thing", () => {
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

describe("9. transcripts with nulls", () => {
  const result = {
    request_id: "r1",
    tool_name: "t",
    result_value: "",
    is_error: false,
    tool_has_been_called: true,
    type: "system",
    result: null,
  };
  const nested = {
    ...result,
    request_id: "wf",
    type: "workflow",
    result: {
      steps: [
        null,
        { type: "nested_tools", results: null, requests: null },
        { type: "nested_tools", results: [null, result], requests: [null] },
      ],
    },
  };
  const odd = {
    transcript: [
      null,
      { role: "agent", tool_results: null, tool_calls: null },
      { role: "agent", tool_results: [null, nested], tool_calls: [null] },
    ],
  } as never;

  it("walkers skip every null: transcript, lists and items", () => {
    expect([...toolResults({ transcript: null } as never)]).toEqual([]);
    expect([...toolResults(odd)].map((e) => e.result.request_id)).toEqual(["wf", "r1"]);
    expect([...toolCalls(odd)]).toEqual([]);
    expect([...pairToolCalls(odd)]).toEqual([]);
  });

  it("matchers given something that is not an object throw a TypeError naming the argument; guards say false", () => {
    expect(() => matchToolResult(null as never, { _: () => 1 })).toThrow(/matchToolResult: value must be an object/);
    expect(() => matchToolResult(undefined as never, { _: () => 1 })).toThrow(TypeError);
    expect(() => matchToolResult(result as never, null as never)).toThrow(
      /matchToolResult: handlers must be an object/,
    );
    expect(isToolResult("system", null as never)).toBe(false);
    expect([null, result, undefined].filter(isToolResult("system") as never)).toEqual([result]);
    expect([null, result].filter(isToolResult(["system", "client"]) as never)).toEqual([result]);
    expect(() => toolResults(null as never).next()).toThrow(/toolResults: source must be a conversation/);
  });
});

describe("10. saving only over regular files", () => {
  it("refuses a symlink, a FIFO, a directory, a socket and a device at the target, before any request", async () => {
    const { convai, calls } = clientWith(() => new Response(noise(10), { headers: { "content-type": "audio/mpeg" } }));
    const place = path.join(dir, "targets");
    await mkdir(place, { recursive: true });
    const victim = path.join(place, "victim.txt");
    await writeFile(victim, "keep me");
    const targets: [string, string][] = [];
    await symlink(victim, path.join(place, "link.mp3"));
    targets.push(["link.mp3", "a symbolic link"]);
    execFileSync("mkfifo", [path.join(place, "fifo.mp3")]);
    targets.push(["fifo.mp3", "a FIFO"]);
    await mkdir(path.join(place, "dir.mp3"));
    targets.push(["dir.mp3", "a directory"]);
    const socketServer = createNetServer().listen(path.join(place, "sock.mp3"));
    await new Promise((resolve) => socketServer.once("listening", resolve));
    targets.push(["sock.mp3", "a socket"]);
    try {
      execFileSync("mknod", [path.join(place, "dev.mp3"), "c", "1", "3"], { stdio: "ignore" });
      targets.push(["dev.mp3", "a device"]);
    } catch {
      // Not allowed to make a device node here: the other kinds still run.
    }
    try {
      for (const [name, kind] of targets) {
        const error = await rejectionOf(saveConversationAudio(convai, "c", path.join(place, name)));
        expect(String(error), name).toContain(`exists and is ${kind}`);
      }
      expect(calls).toHaveLength(0);
      expect(await readFile(victim, "utf8")).toBe("keep me");
      expect((await readdir(place)).sort()).toEqual([...targets.map(([n]) => n), "victim.txt"].sort());
    } finally {
      socketServer.close();
    }
  });

  it("replaces a regular file", async () => {
    const { convai } = clientWith(() => new Response(noise(10), { headers: { "content-type": "audio/mpeg" } }));
    const file = path.join(dir, "regular.mp3");
    await writeFile(file, "old");
    await saveConversationAudio(convai, "c", file);
    expect(await readFile(file)).toEqual(noise(10));
  });
});

describe("11. smaller ones", () => {
  it("ignores a Retry-After that is negative or not one of HTTP's forms", () => {
    const at = Date.parse("Sun, 06 Nov 1994 08:49:37 GMT");
    const of = (value: string) => retryAfterMs(new Headers({ "retry-after": value }), at - 5_000);
    for (const bad of ["-5", "-1", "abc 2", "Jan 5", "5 seconds", "1e3", "", "Sun, 06 Nov 1994"]) {
      expect(of(bad), bad).toBeUndefined();
    }
    expect(retryAfterMs(new Headers({ "retry-after-ms": "-5" }))).toBeUndefined();
    expect(of("2")).toBe(2_000);
    expect(of("0.5")).toBe(500);
    expect(of("Sun, 06 Nov 1994 08:49:37 GMT")).toBe(5_000);
    expect(of("Sunday, 06-Nov-94 08:49:37 GMT")).toBe(5_000);
    expect(of("Sun Nov  6 08:49:37 1994")).toBe(5_000);
  });

  it("a bad Retry-After backs off instead of retrying at once", async () => {
    await withFakeTimers(async () => {
      const { convai, calls } = clientWith((_r, n) =>
        n === 1 ? json({}, { status: 503, headers: { "retry-after": "-1" } }) : json(conversation),
      );
      const call = tracked(convai.conversations.get("c"));
      await vi.advanceTimersByTimeAsync(374); // the shortest backoff: 500 ms jittered down by a quarter
      expect(calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(126);
      expect(calls).toHaveLength(2);
      expect(await call.result).toMatchObject({ conversation_id: "c" });
    });
  });

  it("refuses an id with a lone surrogate or longer than 512 characters, before any request", async () => {
    const { convai, calls } = clientWith(() => json(conversation));
    const lone = await rejectionOf(convai.conversations.get("conv_\ud800x"));
    expect(lone).toBeInstanceOf(TypeError);
    expect(String(lone)).toMatch(/conversations\.get: conversationId has a lone surrogate/);
    expect(String(await rejectionOf(convai.conversations.get("c".repeat(100_000))))).toMatch(
      /conversationId is 100000 characters long; an id is at most 512/,
    );
    expect(String(await rejectionOf(convai.conversations.get("c".repeat(100_000))))).not.toContain("ccccccccc");
    expect(calls).toHaveLength(0);
    await convai.conversations.get("c".repeat(512));
    await convai.conversations.get("conv_😀");
    expect(calls).toHaveLength(2);
  });
});

describe("14. convai.api middleware gets what openapi-fetch promises", () => {
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

describe("15. the license", () => {
  it("is MIT, as package.json says", async () => {
    const root = path.resolve(import.meta.dirname, "../..");
    const pkg = JSON.parse(await readFile(path.join(root, "package.json"), "utf8")) as { license: string };
    expect(pkg.license).toBe("MIT");
    expect(await readFile(path.join(root, "LICENSE"), "utf8")).toMatch(/^MIT License\n/);
  });
});
