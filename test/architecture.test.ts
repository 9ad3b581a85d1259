/**
 * The architecture's promises: no import cycle and layers that import only downwards, one error
 * family under one base, one call seam that takes the verb and path from the generated table, and
 * the per-call options every method takes.
 */
import createClient from "openapi-fetch";
import { describe, expect, it } from "vitest";
import type { paths } from "../src/generated/schema.ts";
import { OPERATIONS } from "../src/generated/operations.ts";
import { loadBuildConfig } from "../scripts/openapi/io.ts";
import * as main from "../src/index.ts";
import {
  ConvaiAPIError,
  ConvaiConnectionError,
  ConvaiError,
  ConvaiPaginationError,
  ConvaiTimeoutError,
  ConvaiUnknownVariantError,
  ConvaiValidationError,
  matchPhoneCall,
  waitUntilDone,
} from "../src/index.ts";
import { startEmulator } from "../src/testing/index.ts";
import { cycles, importGraph, violations } from "../scripts/check-imports.ts";
import { KEY, clientWith, json, rejectionOf } from "./helpers.ts";

const conversation = { conversation_id: "c", agent_id: "a", status: "done", transcript: [] };

describe("the import graph", () => {
  it("has no cycle and no layer importing upwards", () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(40);
    expect(cycles(graph)).toEqual([]);
    expect(violations(graph)).toEqual([]);
  });

  it("reports a cycle, a CLI importing a CLI, and an upward import", () => {
    const graph = new Map([
      ["src/resources/a.ts", ["src/resources/b.ts"]],
      ["src/resources/b.ts", ["src/resources/a.ts"]],
      ["src/http/transport.ts", ["src/resources/a.ts"]],
      ["scripts/generate.ts", ["scripts/build-spec.ts"]],
      ["scripts/build-spec.ts", []],
    ]);
    expect(cycles(graph)).toEqual([["src/resources/a.ts", "src/resources/b.ts", "src/resources/a.ts"]]);
    expect(violations(graph)).toEqual([
      "src/http/transport.ts imports src/resources/a.ts: http/ may import only http/, core/, generated/, types.ts",
      "scripts/generate.ts imports scripts/build-spec.ts: the CLIs in scripts/ stay independent",
    ]);
  });
});

describe("one error family", () => {
  it("every error class the main entry exports extends ConvaiError", () => {
    const classes = Object.entries(main).filter(([name, value]) => typeof value === "function" && /Error$/.test(name));
    expect(classes.map(([name]) => name).sort()).toEqual([
      "ConvaiAPIError",
      "ConvaiConnectionError",
      "ConvaiError",
      "ConvaiMonitorError",
      "ConvaiPaginationError",
      "ConvaiResponseError",
      "ConvaiTimeoutError",
      "ConvaiUnknownVariantError",
      "ConvaiValidationError",
      "ConvaiWebhookError",
    ]);
    for (const [name, value] of classes) {
      const Class = value as unknown as new (...args: never[]) => Error;
      expect(Class.prototype instanceof ConvaiError || Class === ConvaiError, name).toBe(true);
      expect(new Class(...([{}] as never[])).name, name).toBe(name);
    }
    expect(ConvaiTimeoutError.prototype).toBeInstanceOf(ConvaiConnectionError);
    expect(ConvaiValidationError.prototype).toBeInstanceOf(ConvaiAPIError);
  });

  it("what each failure throws is a ConvaiError naming the facade method", async () => {
    const hang = () => new Promise<Response>(() => {});
    const cases: [unknown, abstract new (...args: never[]) => unknown][] = [
      [await rejectionOf(clientWith(() => json({}, { status: 404 })).convai.conversations.get("c")), ConvaiAPIError],
      [
        await rejectionOf(clientWith(() => json({ detail: [] }, { status: 422 })).convai.agents.link("a")),
        ConvaiValidationError,
      ],
      [
        await rejectionOf(
          clientWith(() => Promise.reject(new TypeError("fetch failed")), {
            maxRetries: 0,
          }).convai.conversations.delete("c"),
        ),
        ConvaiConnectionError,
      ],
      [
        await rejectionOf(
          clientWith(hang, { maxRetries: 0, timeoutMs: 20 }).convai.sessions.webrtcToken({ agent_id: "a" }),
        ),
        ConvaiTimeoutError,
      ],
      [
        await rejectionOf(
          clientWith(() => json({ conversations: [], has_more: true, next_cursor: null }))
            .convai.conversations.list()
            .toArray({
              max: 5,
            }),
        ),
        ConvaiPaginationError,
      ],
    ];
    const operations = [
      "conversations.get",
      "agents.link",
      "conversations.delete",
      "sessions.webrtcToken",
      "conversations.list",
    ];
    cases.forEach(([error, kind], i) => {
      expect(error).toBeInstanceOf(kind);
      expect(error).toBeInstanceOf(ConvaiError);
      expect((error as ConvaiError).operation).toBe(operations[i]);
    });
    const unknown = (() => {
      try {
        return matchPhoneCall({ type: "vonage" } as never, { twilio: () => 1, sip_trunking: () => 2, exotel: () => 3 });
      } catch (error) {
        return error;
      }
    })();
    expect(unknown).toBeInstanceOf(ConvaiUnknownVariantError);
    expect(unknown).toBeInstanceOf(ConvaiError);
  });

  it("a wait helper's deadline names the helper in `operation`, not in `path`", async () => {
    const emulator = await startEmulator({ lifecycle: { processingAfterMs: 60_000, doneAfterMs: 60_000 } });
    try {
      const convai = main.createConvaiClient({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl });
      const agent_id = (await convai.conversations.list().toArray({ max: 1 }))[0]!.agent_id;
      const { conversationId } = await convai.sessions.webrtcToken({ agent_id });
      const error = await rejectionOf(waitUntilDone(convai, conversationId!, { pollMs: 10, totalTimeoutMs: 80 }));
      expect(error).toBeInstanceOf(ConvaiTimeoutError);
      expect(error).toMatchObject({
        operation: "waitUntilDone",
        timeoutMs: 80,
        method: undefined,
        path: undefined,
      });
    } finally {
      await emulator.close();
    }
  });
});

describe("one call seam", () => {
  it("every facade method sends its operation's verb and path from the generated table", async () => {
    const { convai, calls } = clientWith((request) =>
      request.url.endsWith("/audio")
        ? new Response("ID3", { headers: { "content-type": "audio/mpeg" } })
        : request.url.includes("/conversation/token")
          ? json({ token: "t.e.st" })
          : request.url.includes("get-signed-url")
            ? json({ signed_url: "wss://x/y" })
            : request.url.endsWith("/conversations") || request.url.includes("/conversations?")
              ? json({ conversations: [], has_more: false })
              : request.url.includes("/messages/")
                ? json({ results: [], has_more: false })
                : json(conversation),
    );
    await convai.conversations.list().toArray({ max: 1 });
    await convai.conversations.searchMessages({ text_query: "x" }).toArray({ max: 1 });
    await convai.conversations.smartSearchMessages({ text_query: "x" }).toArray({ max: 1 });
    await convai.conversations.addTags("c", ["t"]);
    await convai.conversations.removeTag("c", "a");
    await convai.conversations.runAnalysis("c");
    await convai.conversations.runEvaluation("c", { evaluation_id: "e" });
    await convai.conversations.summary("c");
    await convai.conversations.get("c");
    await convai.conversations.delete("c");
    await convai.conversations.sendFeedback("c", "like");
    await (await convai.conversations.audio("c")).body.cancel();
    await convai.sessions.webrtcToken({ agent_id: "a" }).catch(() => undefined); // "t.e.st" is no JWT
    await convai.sessions.signedUrl({ agent_id: "a" });
    await convai.agents.link("a");
    const sent = calls.map((c) => `${c.method} ${c.url.pathname.replace(/\/(c|a)(?=\/|$)/g, "/{id}")}`);
    // The operations with a facade method (build.yaml names them); the others are for convai.api.
    const facade = (await loadBuildConfig()).operations.map((o) => o.operationId);
    const table = Object.entries(OPERATIONS)
      .filter(([id]) => facade.includes(id))
      .map(([, o]) => `${o.method} ${o.path.replace(/\{[^}]+\}/g, "{id}")}`);
    expect(new Set(sent)).toEqual(new Set(table));
  });
});

describe("the one request path", () => {
  it("sends, for every operation, the very request a bare openapi-fetch client sends", async () => {
    const respond = (request: Request) =>
      request.url.endsWith("/audio")
        ? new Response("ID3", { headers: { "content-type": "audio/mpeg" } })
        : request.url.includes("/conversation/token")
          ? json({ token: "t" })
          : request.url.includes("get-signed-url")
            ? json({ signed_url: "wss://x/y" })
            : /\/conversations(\?|$)/.test(request.url)
              ? json({ conversations: [], has_more: false })
              : json(conversation);
    const list = {
      agent_id: "agent é/&?#",
      tool_names: ["a b", "ü", "x&y=z"],
      call_successful: "failure" as const,
      has_feedback_comment: false,
      rating_min: 1,
      user_id: null,
      search: "100% sure + more",
      page_size: 7,
    };
    const facade = clientWith(respond, { headers: { "x-team": "qa" } });
    const { convai } = facade;
    await convai.conversations.list(list).toArray({ max: 1 });
    await convai.conversations.get("conv/../x?y#z é", { headers: { "x-trace": "t" } });
    await convai.conversations.delete("conv_1");
    await convai.conversations.sendFeedback("conv 1", null);
    await (await convai.conversations.audio("c")).body.cancel();
    await convai.sessions.webrtcToken({ agent_id: "a", participant_name: "Zoë", branch_id: null });
    await convai.sessions.signedUrl({ agent_id: "a", include_conversation_id: true });
    await convai.agents.link("agent/1");

    const bareCalls: typeof facade.calls = [];
    const bare = createClient<paths>({
      baseUrl: "https://api.test",
      headers: { "x-team": "qa", "xi-api-key": KEY },
      fetch: async (request: Request) => {
        const body = request.body ? await request.clone().text() : undefined;
        bareCalls.push({ method: request.method, url: new URL(request.url), headers: request.headers, body });
        return respond(request);
      },
    });
    const send = (id: keyof typeof OPERATIONS, init: object) =>
      bare.request(OPERATIONS[id].method as never, OPERATIONS[id].path as never, init as never);
    await send("listConversations", { params: { query: list } });
    await send("getConversation", {
      params: { path: { conversation_id: "conv/../x?y#z é" } },
      headers: { "x-trace": "t" },
    });
    await send("deleteConversation", { params: { path: { conversation_id: "conv_1" } } });
    await send("sendConversationFeedback", {
      params: { path: { conversation_id: "conv 1" } },
      body: { feedback: null },
    });
    await send("getConversationAudio", { params: { path: { conversation_id: "c" } }, parseAs: "stream" });
    await send("getConversationToken", {
      params: { query: { agent_id: "a", participant_name: "Zoë", branch_id: null } },
    });
    await send("getSignedUrl", { params: { query: { agent_id: "a", include_conversation_id: true } } });
    await send("getAgentLink", { params: { path: { agent_id: "agent/1" } } });

    const shape = (calls: typeof facade.calls) =>
      calls.map((c) => ({ method: c.method, url: c.url.href, headers: [...c.headers].sort(), body: c.body }));
    expect(shape(facade.calls)).toEqual(shape(bareCalls));
    expect(facade.calls).toHaveLength(8);
  });
});

describe("per-call options", () => {
  const hang = () => new Promise<Response>(() => {});
  const busy = () => json({ detail: "busy" }, { status: 503, headers: { "retry-after": "0" } });

  it("maxRetries overrides the client's for one call", async () => {
    const none = clientWith(busy, { maxRetries: 2 });
    await rejectionOf(none.convai.conversations.get("c", { maxRetries: 0 }));
    expect(none.calls).toHaveLength(1);
    const more = clientWith(busy, { maxRetries: 0 });
    await rejectionOf(more.convai.conversations.get("c", { maxRetries: 3 }));
    expect(more.calls).toHaveLength(4);
    const list = clientWith(busy, { maxRetries: 2 });
    await rejectionOf(list.convai.conversations.list({}, { maxRetries: 1 }).toArray({ max: 1 }));
    expect(list.calls).toHaveLength(2);
  });

  it("headers are sent with that call only, over the client's", async () => {
    const { convai, calls } = clientWith(() => json(conversation), { headers: { "x-team": "support", "x-a": "1" } });
    await convai.conversations.get("c", { headers: { "x-trace": "t-1", "x-a": "2" } });
    await convai.conversations.get("c");
    expect(calls[0]!.headers.get("x-trace")).toBe("t-1");
    expect(calls[0]!.headers.get("x-a")).toBe("2");
    expect(calls[0]!.headers.get("x-team")).toBe("support");
    expect(calls[0]!.headers.get("xi-api-key")).toBe(KEY);
    expect(calls[1]!.headers.get("x-trace")).toBeNull();
    expect(calls[1]!.headers.get("x-a")).toBe("1");
  });

  it("reach every poll of a wait helper", async () => {
    const { convai, calls } = clientWith(() => json({ ...conversation, status: "processing" }), { maxRetries: 0 });
    await rejectionOf(waitUntilDone(convai, "c", { headers: { "x-trace": "w" }, pollMs: 5, totalTimeoutMs: 60 }));
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.every((c) => c.headers.get("x-trace") === "w")).toBe(true);
  });

  it("are checked before any request, naming the argument", async () => {
    const { convai, calls } = clientWith(hang);
    const bad: [Parameters<typeof convai.conversations.get>[1], RegExp][] = [
      [{ maxRetries: -1 }, /conversations\.get: maxRetries must be an integer from 0 to 10, got -1/],
      [{ maxRetries: 1.5 }, /maxRetries/],
      [{ headers: { "xi-api-key": "other" } }, /headers may not set xi-api-key/],
      [{ headers: { "x-a": 1 as never } }, /headers\["x-a"\] must be a string, got 1/],
      [{ headers: { "x-a": "a\r\nx-b: 1" } }, /headers\["x-a"\]/],
      [{ headers: { "bad name": "1" } }, /headers\["bad name"\]/],
      [{ headers: "x" as never }, /headers must be an object/],
      [{ signal: {} as never }, /signal must be an AbortSignal/],
      ["fast" as never, /options must be an object/],
    ];
    for (const [options, message] of bad) {
      expect(String(await rejectionOf(convai.conversations.get("c", options)))).toMatch(message);
    }
    expect(() => main.createConvaiClient({ apiKey: KEY, headers: { "XI-API-KEY": "x" } })).toThrow(
      /createConvaiClient: headers may not set xi-api-key/,
    );
    expect(calls).toHaveLength(0);
  });
});
