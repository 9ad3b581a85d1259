/**
 * Bad input is refused before any request, with an error that names the argument. One table for
 * every method and option: each row runs against a client whose fetch counts its calls.
 */
import { describe, expect, it } from "vitest";
import {
  createConvaiClient,
  isBy,
  matchBy,
  monitorConversation,
  reconcileConversations,
  waitForConversation,
  waitUntilDone,
} from "../../src/index.ts";
import { makeConversation } from "../../src/testing/index.ts";
import { saveConversationAudio } from "../../src/node.ts";
import { KEY, clientWith, json, rejectionOf } from "../helpers.ts";

const conversation = { conversation_id: "c", agent_id: "a", status: "done", transcript: [] };
const { convai, calls } = clientWith(() => json({}));
const huge = 2 ** 31;
const wait = { query: { agent_id: "agent_1" }, startedAfter: new Date(0) };

const rows: [string, () => unknown, RegExp][] = [
  // ids
  ["empty id", () => convai.conversations.get(""), /conversations\.get: conversationId must be a non-empty string/],
  ["blank id", () => convai.conversations.delete("  "), /conversations\.delete: conversationId/],
  ["dot-dot id", () => convai.conversations.get(".."), /conversationId "\.\." is not a valid id/],
  [
    "encoded dot id",
    () => convai.conversations.audio("%2e%2E"),
    /conversations\.audio: conversationId .* not a valid id/,
  ],
  ["non-string id", () => convai.conversations.get(42 as never), /conversationId must be a non-empty string, got 42/],
  ["lone surrogate id", () => convai.conversations.get("conv_\udc00"), /conversationId has a lone surrogate/],
  ["100,000-character id", () => convai.conversations.get("x".repeat(100_000)), /conversationId is 100000 characters/],
  ["513-character agent id", () => convai.agents.link("a".repeat(513)), /agents\.link: agentId is 513 characters/],
  ["token agent id", () => convai.sessions.webrtcToken({ agent_id: "" }), /sessions\.webrtcToken: agent_id/],
  ["token query", () => convai.sessions.webrtcToken(null as never), /sessions\.webrtcToken: query must be an object/],
  ["signed url agent", () => convai.sessions.signedUrl({} as never), /sessions\.signedUrl: agent_id/],
  ["link agent", () => convai.agents.link(" "), /agents\.link: agentId/],
  // list
  [
    "query not an object",
    () => convai.conversations.list("x" as never),
    /conversations\.list: query must be an object/,
  ],
  [
    "page_size 0",
    () => convai.conversations.list({ page_size: 0 }),
    /conversations\.list: page_size must be from 1 to 100, got 0/,
  ],
  ["page_size 101", () => convai.conversations.list({ page_size: 101 }), /page_size .* got 101/],
  ["page_size 2.5", () => convai.conversations.list({ page_size: 2.5 }), /page_size/],
  ["fractional filter", () => convai.conversations.list({ rating_min: 1.5 }), /rating_min/],
  ["empty cursor", () => convai.conversations.list({ cursor: "" }), /cursor must be a non-empty string/],
  ["toArray bound", () => convai.conversations.list().toArray({ max: 0 }), /toArray needs max/],
  [
    "toArray without options (plain JavaScript)",
    () => (convai.conversations.list().toArray as (o?: unknown) => unknown)(),
    /conversations\.list: toArray needs max, a positive integer, got undefined/,
  ],
  ["toArray null", () => convai.conversations.list().toArray(null as never), /conversations\.list: toArray needs max/],
  [
    "header value outside Latin-1",
    () => convai.conversations.get("c", { headers: { "x-name": "\u{1F3A7}" } }),
    /conversations\.get: headers\["x-name"\] has a character outside Latin-1/,
  ],
  [
    "header Map setting the key",
    () => convai.conversations.get("c", { headers: new Map([["XI-API-KEY", "x"]]) }),
    /conversations\.get: headers may not set xi-api-key/,
  ],
  [
    "header Headers with a value outside Latin-1",
    () => convai.conversations.list({}, { headers: [["x-a", "€"]] }).toArray({ max: 1 }),
    /conversations\.list: headers\["x-a"\] has a character outside Latin-1/,
  ],
  ["matchBy key 5", () => matchBy(5 as never), /^TypeError: matchBy: key must be the name of the tag property/],
  ["isBy key null", () => isBy(null as never), /^TypeError: isBy: key must be/],
  [
    "isBy tag 5",
    () => isBy<{ type: "x" }, "type">("type")(5 as never, { type: "x" }),
    /^TypeError: isBy\("type"\): tag must be a string/,
  ],
  [
    "makeConversation null",
    () => makeConversation(null as never),
    /^TypeError: makeConversation: options must be an object/,
  ],
  ["makeConversation no seed", () => makeConversation({} as never), /makeConversation: .*integer seed/],
  // bodies
  [
    "feedback value",
    () => convai.conversations.sendFeedback("c", "love" as never),
    /sendFeedback: feedback must be one of "like", "dislike", got "love"/,
  ],
  // every query and body against the spec's parameters
  [
    "unknown filter",
    () => convai.conversations.list({ agent: "a" } as never),
    /conversations\.list: unknown query parameter "agent"; the API takes agent_id, /,
  ],
  [
    "object for a string",
    () => convai.conversations.list({ agent_id: { a: 1 } as never }),
    /agent_id must be a string, got an object/,
  ],
  [
    "value outside the enum",
    () => convai.conversations.list({ call_successful: "maybe" as never }),
    /call_successful must be one of "success", "failure", "unknown", got "maybe"/,
  ],
  [
    "array of the wrong items",
    () => convai.conversations.list({ tool_names: [1] as never }),
    /tool_names\[0\] must be a string, got 1/,
  ],
  ["string for an array", () => convai.conversations.list({ tool_names: "a" as never }), /tool_names must be an array/],
  [
    "string for a boolean",
    () => convai.conversations.list({ has_feedback_comment: "yes" as never }),
    /has_feedback_comment must be true or false/,
  ],
  ["unsafe integer", () => convai.conversations.list({ rating_min: 2 ** 60 }), /rating_min must be an integer/],
  [
    "query value of 5,000 characters",
    () => convai.conversations.list({ search: "s".repeat(5_000) }),
    /search is 5000 characters long/,
  ],
  [
    "lone surrogate in a query",
    () => convai.conversations.list({ user_id: "u\ud800" }),
    /user_id has a lone surrogate/,
  ],
  [
    "unknown token parameter",
    () => convai.sessions.webrtcToken({ agent_id: "a", room: "x" } as never),
    /webrtcToken: unknown query parameter "room"/,
  ],
  [
    "signed url flag",
    () => convai.sessions.signedUrl({ agent_id: "a", include_conversation_id: "true" as never }),
    /include_conversation_id must be true or false/,
  ],
  // call options
  [
    "negative timeout",
    () => convai.conversations.get("c", { timeoutMs: -5 }),
    /get: timeoutMs must be a positive number/,
  ],
  ["timeout past a timer", () => convai.conversations.get("c", { timeoutMs: huge }), /get: timeoutMs must be at most/],
  [
    "maxRetries -1",
    () => convai.conversations.get("c", { maxRetries: -1 }),
    /get: maxRetries must be an integer from 0 to 10/,
  ],
  ["maxRetries 11", () => convai.sessions.signedUrl({ agent_id: "a" }, { maxRetries: 11 }), /signedUrl: maxRetries/],
  [
    "signal not a signal",
    () => convai.conversations.get("c", { signal: {} as never }),
    /get: signal must be an AbortSignal/,
  ],
  [
    "header setting the key",
    () => convai.conversations.get("c", { headers: { "XI-API-KEY": "x" } }),
    /get: headers may not set xi-api-key/,
  ],
  [
    "header with a line break",
    () => convai.conversations.get("c", { headers: { "x-a": "1\r\nx-b: 2" } }),
    /get: headers\["x-a"\]/,
  ],
  [
    "header name with a space",
    () => convai.conversations.get("c", { headers: { "x a": "1" } }),
    /get: headers\["x a"\]/,
  ],
  ["options not an object", () => convai.conversations.get("c", 5 as never), /get: options must be an object/],
  // waits
  [
    "wait: totalTimeoutMs past a timer",
    () => waitForConversation(convai, { ...wait, totalTimeoutMs: huge }),
    /waitForConversation: totalTimeoutMs must be at most/,
  ],
  [
    "wait: timeoutMs past a timer",
    () => waitUntilDone(convai, "c", { timeoutMs: huge }),
    /waitUntilDone: timeoutMs must be at most/,
  ],
  [
    "wait: pollMs 0",
    () => waitUntilDone(convai, "c", { pollMs: 0 }),
    /waitUntilDone: pollMs must be a positive number/,
  ],
  [
    "wait: startedAfter",
    () => waitForConversation(convai, { ...wait, startedAfter: "yesterday" as never }),
    /waitForConversation: startedAfter must be a Date/,
  ],
  [
    "wait: startedAfter 1e300",
    () => waitForConversation(convai, { ...wait, startedAfter: 1e300 }),
    /^RangeError: waitForConversation: startedAfter must be a moment from 1970/,
  ],
  [
    "wait: startedAfter an invalid Date",
    () => waitForConversation(convai, { ...wait, startedAfter: new Date(NaN) }),
    /waitForConversation: startedAfter must be a Date or unix seconds/,
  ],
  [
    "wait: null options",
    () => waitUntilDone(convai, "c", null as never),
    /^TypeError: waitUntilDone: options must be an object, got null/,
  ],
  [
    "reconcileConversations: startedAfter 1e300",
    () => reconcileConversations(convai, { startedAfter: 1e300, seen: new Set() }),
    /^RangeError: reconcileConversations: startedAfter must be a moment/,
  ],
  [
    "reconcileConversations: startedAfter -Infinity",
    () => reconcileConversations(convai, { startedAfter: -Infinity, seen: new Set() }),
    /^RangeError: reconcileConversations: startedAfter/,
  ],
  [
    "wait: match",
    () => waitForConversation(convai, { ...wait, match: 1 as never }),
    /waitForConversation: match must be a function/,
  ],
  [
    "wait: headers",
    () => waitUntilDone(convai, "c", { headers: { "xi-api-key": "k" } }),
    /waitUntilDone: headers may not set xi-api-key/,
  ],
  // saving
  [
    "save: null client",
    () => saveConversationAudio(null as never, "c", "/tmp/convai-never.mp3"),
    /^TypeError: saveConversationAudio: convai must be a client from createConvaiClient, got null/,
  ],
  [
    "save: null options",
    () => saveConversationAudio(convai, "c", "/tmp/convai-never.mp3", null as never),
    /^TypeError: saveConversationAudio: options must be an object, got null/,
  ],
  [
    "save: empty file",
    () => saveConversationAudio(convai, "c", ""),
    /saveConversationAudio: file must be a non-empty path/,
  ],
  [
    "save: onProgress",
    () => saveConversationAudio(convai, "c", "/tmp/x.mp3", { onProgress: 1 as never }),
    /onProgress must be a function/,
  ],
  [
    "save: id",
    () => saveConversationAudio(convai, "", "/tmp/convai-never.mp3"),
    /conversations\.audio: conversationId/,
  ],
  // the client
  [
    "client: timeoutMs past a timer",
    () => createConvaiClient({ apiKey: KEY, timeoutMs: huge }),
    /createConvaiClient: timeoutMs must be at most/,
  ],
  ["client: maxRetries", () => createConvaiClient({ apiKey: KEY, maxRetries: 2.5 }), /createConvaiClient: maxRetries/],
  [
    "client: environment",
    () => createConvaiClient({ apiKey: KEY, environment: "mars" as never }),
    /environment must be one of/,
  ],
  ["client: both", () => createConvaiClient({ apiKey: KEY, baseUrl: "https://a", environment: "eu" }), /not both/],
  [
    "client: baseUrl scheme",
    () => createConvaiClient({ apiKey: KEY, baseUrl: "ftp://x" }),
    /baseUrl must be an http\(s\) URL/,
  ],
  [
    "client: baseUrl query",
    () => createConvaiClient({ apiKey: KEY, baseUrl: "https://a/?x" }),
    /baseUrl must not have a query/,
  ],
  [
    "client: baseUrl fragment",
    () => createConvaiClient({ apiKey: KEY, baseUrl: "https://a/#x" }),
    /baseUrl must not have a fragment/,
  ],
  [
    "client: baseUrl credentials",
    () => createConvaiClient({ apiKey: KEY, baseUrl: "https://u:p@a" }),
    /baseUrl must not contain credentials/,
  ],
  [
    "client: key with LF",
    () => createConvaiClient({ apiKey: `${KEY}\n` }),
    /createConvaiClient: apiKey must be printable ASCII, without spaces, line breaks or NUL/,
  ],
  ["client: key with NUL", () => createConvaiClient({ apiKey: `${KEY}\0` }), /apiKey must be/],
  ["client: key with a space", () => createConvaiClient({ apiKey: "ab cd" }), /apiKey must be printable ASCII/],
  ["client: non-ASCII key", () => createConvaiClient({ apiKey: "kéy" }), /apiKey must be printable ASCII/],
  [
    "client: header value outside Latin-1",
    () => createConvaiClient({ apiKey: KEY, headers: { "x-name": "Zoë €" } }),
    /createConvaiClient: headers\["x-name"\] has a character outside Latin-1/,
  ],
  [
    "client: Headers setting the key",
    () => createConvaiClient({ apiKey: KEY, headers: new Headers({ "xi-api-key": "k" }) }),
    /createConvaiClient: headers may not set xi-api-key/,
  ],
  [
    "client: Map header with a line break",
    () => createConvaiClient({ apiKey: KEY, headers: new Map([["x-a", "1\nx-b: 2"]]) }),
    /createConvaiClient: headers\["x-a"\] has a line break/,
  ],
  [
    "client: Map header with a number",
    () => createConvaiClient({ apiKey: KEY, headers: new Map([["x-a", 1]]) as never }),
    /createConvaiClient: headers\["x-a"\] must be a string, got 1/,
  ],
  [
    "client: headers as a Set",
    () => createConvaiClient({ apiKey: KEY, headers: new Set(["x"]) as never }),
    /createConvaiClient: headers must be an object of header names/,
  ],
  [
    "client: headers",
    () => createConvaiClient({ apiKey: KEY, headers: { "xi-api-key": "k" } }),
    /createConvaiClient: headers may not set xi-api-key/,
  ],
  [
    "client: fetch",
    () => createConvaiClient({ apiKey: KEY, fetch: "no" as never }),
    /createConvaiClient: fetch must be a function/,
  ],
];

describe("bad input never reaches the wire", () => {
  for (const [name, run, message] of rows) {
    it(`refuses ${name}`, async () => {
      let error: unknown;
      try {
        await run();
      } catch (e) {
        error = e;
      }
      expect(error, "no error").toBeInstanceOf(Error);
      expect(["TypeError", "RangeError"]).toContain((error as Error).name);
      expect(String(error)).toMatch(message);
      expect(String(error)).not.toContain(KEY);
      expect(calls).toHaveLength(0);
    });
  }

  describe("the monitor, before it opens a socket", () => {
    const opened: string[] = [];
    // Records a socket it was asked to open, and opens none.
    const WebSocket = class {
      constructor(url: string) {
        opened.push(url);
      }
      readyState = 0;
      send() {}
      close() {}
      addEventListener() {}
    };
    const monitorRows: [string, object, RegExp][] = [
      ["timeoutMs 0", { timeoutMs: 0 }, /monitorConversation: timeoutMs must be a positive number/],
      ["timeoutMs -1", { timeoutMs: -1 }, /monitorConversation: timeoutMs must be a positive number/],
      ["timeoutMs NaN", { timeoutMs: NaN }, /monitorConversation: timeoutMs must be a positive number/],
      ["timeoutMs past a timer", { timeoutMs: huge }, /monitorConversation: timeoutMs must be at most/],
      ["signal not a signal", { signal: {} }, /monitorConversation: signal must be an AbortSignal, got an object/],
      ["bufferLimit 0", { bufferLimit: 0 }, /monitorConversation: bufferLimit must be a positive integer/],
    ];
    for (const [name, options, message] of monitorRows) {
      it(`refuses ${name}`, () => {
        opened.length = 0;
        expect(() => monitorConversation(convai, "c", { ...options, WebSocket } as never)).toThrow(message);
        expect(opened).toEqual([]);
      });
    }
  });

  it("every promise-returning method rejects rather than throwing synchronously", async () => {
    const pending = [
      convai.conversations.get(""),
      convai.agents.link(""),
      convai.sessions.webrtcToken(null as never),
      waitUntilDone(convai, ""),
    ];
    for (const promise of pending) expect(promise).toBeInstanceOf(Promise);
    expect((await Promise.allSettled(pending)).map((r) => r.status)).toEqual([
      "rejected",
      "rejected",
      "rejected",
      "rejected",
    ]);
  });
});

describe("timeouts that cannot overflow", () => {
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
    expect(String(await rejectionOf(waitForConversation(convai, { ...wait, totalTimeoutMs: huge })))).toMatch(
      /waitForConversation: totalTimeoutMs must be at most/,
    );
    expect(String(await rejectionOf(waitUntilDone(convai, "c", { totalTimeoutMs: huge })))).toMatch(
      /waitUntilDone: totalTimeoutMs must be at most/,
    );
    expect(String(await rejectionOf(waitUntilDone(convai, "c", { timeoutMs: huge })))).toMatch(
      /waitUntilDone: timeoutMs must be at most/,
    );
    expect(String(await rejectionOf(waitUntilDone(convai, "c", { pollMs: huge })))).toMatch(/pollMs/);
    expect(calls).toHaveLength(0);
  });

  it("accepts the longest timer there is, and the call goes through", async () => {
    const { convai, calls } = clientWith(() => json(conversation), { timeoutMs: 2 ** 31 - 1 });
    expect((await convai.conversations.get("c", { timeoutMs: 2 ** 31 - 1 })).conversation_id).toBe("c");
    expect(calls).toHaveLength(1);
  });
});

describe("ids in paths", () => {
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
