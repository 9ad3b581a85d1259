/**
 * The transport (src/http/transport.ts), the fetch every call goes through: a recording handed over
 * as bytes whatever its headers say, redirects followed by hand so the key never leaves its origin,
 * abort listeners removed and aborts honoured mid-stream, `convai.api`'s JSON bodies checked.
 * Each case here broke a promise of the README once (issue 10) and has stayed fixed since.
 */
import { createHash } from "node:crypto";
import { getEventListeners } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConvaiConnectionError, ConvaiResponseError, createConvaiClient } from "../../src/index.ts";
import { saveConversationAudio } from "../../src/node.ts";
import { KEY, json, rejectionOf } from "../helpers.ts";
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
  dir = await mkdtemp(path.join(tmpdir(), "convai-transport-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function bytesOf(body: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe("recordings are bytes, whatever the headers say", () => {
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
    // Only a hang trips the guard (the body does not end until the test says so): no race with a busy machine.
    let guard: ReturnType<typeof setTimeout> | undefined;
    const audio = await Promise.race([
      client(server.url).conversations.audio("conv_1"),
      new Promise<never>((_, reject) => {
        guard = setTimeout(() => reject(new Error("audio() waited for the whole body")), 60_000);
      }),
    ]);
    clearTimeout(guard);
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

describe("the key never leaves its origin", () => {
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

describe("no leaked listeners", () => {
  it("audio() and saveConversationAudio remove their abort listener when the stream ends, fails or is cancelled", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    let n = 0;
    const server = await started((_req, res) => {
      const i = n++;
      res.writeHead(200, { "content-type": "audio/mpeg", "content-length": "40000" });
      if (i % 3 === 2)
        res.write(noise(10_000), () => res.destroy()); // cut short
      else res.end(noise(40_000));
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

describe("convai.api JSON bodies", () => {
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
