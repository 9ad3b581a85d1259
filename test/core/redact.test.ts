/**
 * The key-leak sweep: one canary key, every error class the package throws and every way a
 * server or a custom fetch can hand the key back, searched in everything an error exposes
 * (message, stack, String(), util.inspect with hidden fields at any depth, JSON, each cause).
 */
import { inspect } from "node:util";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ConvaiAPIError,
  ConvaiConnectionError,
  ConvaiError,
  ConvaiPaginationError,
  ConvaiResponseError,
  ConvaiTimeoutError,
  ConvaiUnknownVariantError,
  ConvaiValidationError,
  createConvaiClient,
  matchPhoneCall,
  waitUntilDone,
} from "../../src/index.ts";
import { saveConversationAudio } from "../../src/node.ts";
import { startEmulator } from "../../src/testing/index.ts";
import { rejectionOf } from "../helpers.ts";
import { serve } from "../servers.ts";

const CANARY = "sk_canary_5f0e1d2c3b4a59687";
const FORMS = [CANARY, encodeURIComponent(CANARY), Buffer.from(CANARY).toString("base64")];

/** Everything an error exposes, each cause level included. */
function exposed(error: unknown): string[] {
  const parts: string[] = [inspect(error, { depth: Infinity, showHidden: true, getters: true })];
  for (let e = error as { cause?: unknown } | undefined, i = 0; e && i < 10; e = e.cause as never, i++) {
    const err = e as Error;
    parts.push(String(err), String(err.message), String(err.stack));
    try {
      parts.push(JSON.stringify(err) ?? "");
    } catch {
      parts.push("[unserializable]");
    }
    parts.push(inspect(err, { depth: Infinity, showHidden: true }));
  }
  return parts;
}

function leaks(error: unknown): number {
  return exposed(error).reduce((n, part) => n + FORMS.filter((form) => part.includes(form)).length, 0);
}

// The client's own timeout: a call that is not about a timeout must not meet one on a loaded machine.
const client = (baseUrl: string, fetch?: (r: Request) => Promise<Response>, maxRetries = 0, timeoutMs = 60_000) =>
  createConvaiClient({ apiKey: CANARY, baseUrl, maxRetries, timeoutMs, ...(fetch ? { fetch } : {}) });
const echoJson =
  (status: number, extra: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify({ detail: { message: `bad key ${CANARY}`, key: CANARY }, echo: [CANARY] }), {
      status,
      headers: { "content-type": "application/json", "request-id": `req_${CANARY}`, ...extra },
    });

/** A custom fetch's error with the key everywhere a fetch library puts things. */
function leakyFetchError(): Error {
  const request = new Request("https://api.test/v1/x", { headers: { "xi-api-key": CANARY } });
  const inner = Object.assign(new Error(`socket for ${CANARY}`), { code: `E_${CANARY}` });
  const aggregate = new AggregateError([inner, new Error(CANARY)], `all failed ${CANARY}`);
  return Object.assign(new TypeError(`fetch failed with ${CANARY}`), {
    code: CANARY,
    request,
    config: { headers: { "xi-api-key": CANARY } },
    response: { headers: { "set-cookie": CANARY } },
    cause: aggregate,
  });
}

const dir = await mkdtemp(path.join(tmpdir(), "convai-leaks-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("a key with characters that percent-encode (+, /, =)", () => {
  const KEY = "sk_a+b/c=d+e/f==";
  const forms = [KEY, encodeURIComponent(KEY), new URLSearchParams({ k: KEY }).toString().slice(2)];

  it("is redacted as it is and in its encoded form, in URLs, bodies and a custom fetch's errors", async () => {
    expect(encodeURIComponent(KEY)).toBe("sk_a%2Bb%2Fc%3Dd%2Be%2Ff%3D%3D");
    const convai = (fetch: (r: Request) => Promise<Response>) =>
      createConvaiClient({ apiKey: KEY, baseUrl: "https://api.test", maxRetries: 0, fetch });
    const errors = [
      await rejectionOf(
        convai(async () =>
          Response.json(
            { detail: { message: `bad key ${encodeURIComponent(KEY)} / ${KEY}` } },
            { status: 401, headers: { "request-id": encodeURIComponent(KEY) } },
          ),
        ).conversations.get("c"),
      ),
      await rejectionOf(
        convai(async (r) => {
          // A redirect loop through the encoded key: it lands in the path the error reports.
          return new Response(null, { status: 302, headers: { location: `${r.url}/${encodeURIComponent(KEY)}` } });
        }).conversations.get("c"),
      ),
      await rejectionOf(
        convai(async () =>
          Promise.reject(new Error(`connect to ?key=${encodeURIComponent(KEY)} failed`)),
        ).conversations.get("c"),
      ),
      await rejectionOf(
        convai(async (r) =>
          new URL(r.url).searchParams.has("cursor")
            ? Response.json({ detail: "gone" }, { status: 400 })
            : Response.json({ conversations: [], has_more: true, next_cursor: `cur_${encodeURIComponent(KEY)}` }),
        )
          .conversations.list()
          .toArray({ max: 9 }),
      ),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(ConvaiError);
      const text = exposed(error).join("\n");
      for (const form of forms) expect(text).not.toContain(form);
      expect(text).toContain("[redacted]");
    }
  });
});

describe("the key-leak sweep", () => {
  it("finds the canary in no error, whatever fails", async () => {
    const errors: [string, unknown][] = [];
    const add = async (name: string, promise: Promise<unknown>) => errors.push([name, await rejectionOf(promise)]);
    const base = "https://api.test";

    // Non-2xx answers that echo the key in body, request id and headers.
    await add("404 echoing the key", client(base, async () => echoJson(404)()).conversations.get("c"));
    await add("422 echoing the key", client(base, async () => echoJson(422)()).agents.link("a"));
    await add(
      "500 echoing the key, retried",
      client(base, async () => echoJson(500, { "retry-after": "0" })(), 2).conversations.get("c"),
    );
    // 2xx answers that are not what the spec says.
    await add(
      "200 not JSON",
      client(
        base,
        async () => new Response(`<html>${CANARY}</html>`, { headers: { "content-type": `text/${CANARY}` } }),
      ).conversations.get("c"),
    );
    await add("200 empty", client(base, async () => new Response(null)).sessions.webrtcToken({ agent_id: "a" }));
    // A custom fetch that throws an error full of the key, directly and after a retry.
    await add("custom fetch error", client(base, async () => Promise.reject(leakyFetchError())).conversations.get("c"));
    await add(
      "custom fetch error, never sent, POST",
      client(
        base,
        async () => Promise.reject(Object.assign(leakyFetchError(), { code: "ECONNREFUSED" })),
        1,
      ).conversations.sendFeedback("c", "like"),
    );
    await add("a thrown string", client(base, async () => Promise.reject(`string ${CANARY}`)).conversations.get("c"));
    await add("timeout", client(base, () => new Promise<Response>(() => {}), 0, 200).conversations.get("c"));
    // Redirects that carry the key in where they go.
    await add(
      "redirect loop through the key",
      client(
        base,
        async (r) => new Response(null, { status: 302, headers: { location: `${r.url}/${CANARY}` } }),
      ).conversations.get("c"),
    );
    // Pagination: the key in cursors, and a failure after such a cursor.
    const pager = (fail: boolean) => async (r: Request) => {
      const cursor = new URL(r.url).searchParams.get("cursor");
      if (cursor === null) return Response.json({ conversations: [], has_more: true, next_cursor: `cur_${CANARY}` });
      if (fail) return Promise.reject(leakyFetchError());
      return Response.json({ conversations: [], has_more: true, next_cursor: `cur_${CANARY}` });
    };
    await add("repeated cursor holding the key", client(base, pager(false)).conversations.list().toArray({ max: 9 }));
    await add(
      "failure after a cursor holding the key",
      client(base, pager(true)).conversations.list().toArray({ max: 9 }),
    );
    await add(
      "has_more without a cursor",
      client(base, async () => Response.json({ conversations: [], has_more: true }))
        .conversations.list()
        .toArray({ max: 9 }),
    );
    // A stream cut short, while read and while saved.
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "audio/mpeg", "content-length": "100000", "request-id": CANARY });
      res.write(Buffer.alloc(1000), () => res.destroy());
    });
    try {
      const audio = await client(server.url).conversations.audio("c");
      errors.push(["stream cut short", await rejectionOf(new Response(audio.body).arrayBuffer())]);
      await add("save cut short", saveConversationAudio(client(server.url), "c", path.join(dir, "a.mp3")));
    } finally {
      await server.close();
    }
    // The emulator: a wait that runs out, a 404 from a real server.
    const emulator = await startEmulator({
      apiKey: CANARY,
      lifecycle: { processingAfterMs: 60_000, doneAfterMs: 60_000 },
    });
    try {
      const convai = createConvaiClient({ apiKey: CANARY, baseUrl: emulator.baseUrl });
      const agent_id = (await convai.conversations.list().toArray({ max: 1 }))[0]!.agent_id;
      const { conversationId } = await convai.sessions.webrtcToken({ agent_id });
      await add("wait deadline", waitUntilDone(convai, conversationId!, { pollMs: 10, totalTimeoutMs: 60 }));
      await add("emulator 404", convai.conversations.get("conv_missing"));
      emulator.fault("listConversations", { kind: "truncate" });
      await add(
        "emulator body cut mid-JSON",
        createConvaiClient({ apiKey: CANARY, baseUrl: emulator.baseUrl, maxRetries: 0 })
          .conversations.list()
          .toArray({ max: 1 }),
      );
    } finally {
      await emulator.close();
    }
    // Bad input and the matcher: nothing of the key to leak, and nothing leaks.
    await add("bad input", client(base).conversations.get(""));
    errors.push([
      "unknown variant",
      (() => {
        try {
          return matchPhoneCall({ type: "vonage" } as never, {
            twilio: () => 1,
            sip_trunking: () => 2,
            exotel: () => 3,
          });
        } catch (error) {
          return error;
        }
      })(),
    ]);
    for (const key of [`${CANARY}\n`, `${CANARY}\r`, `bad\0${CANARY}`, `${CANARY} x`]) {
      try {
        createConvaiClient({ apiKey: key });
        errors.push(["a key with a line break", new Error("accepted")]);
      } catch (error) {
        errors.push(["a key with a line break", error]);
      }
    }

    const classes = new Set(errors.map(([, e]) => (e as Error).constructor));
    for (const kind of [
      ConvaiAPIError,
      ConvaiValidationError,
      ConvaiResponseError,
      ConvaiConnectionError,
      ConvaiTimeoutError,
      ConvaiPaginationError,
      ConvaiUnknownVariantError,
      TypeError,
    ]) {
      expect(classes.has(kind), kind.name).toBe(true);
    }
    expect(errors.filter(([, e]) => e instanceof ConvaiError).length).toBeGreaterThan(15);
    const found = errors.map(([name, error]) => [name, leaks(error)] as const).filter(([, n]) => n > 0);
    expect(found).toEqual([]);
    // The sweep looks where it should: the same search finds a key put there on purpose.
    expect(leaks(new Error("x", { cause: { deep: [CANARY] } }))).toBeGreaterThan(0);
  }, 30_000);
});
