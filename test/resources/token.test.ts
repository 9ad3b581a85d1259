import { describe, expect, it, vi } from "vitest";
import { conversationIdFromToken, tokenExpiresAt } from "../../src/index.ts";
import { decodeJwtPayload } from "../../src/resources/token.ts";
import { clientWith, json } from "../helpers.ts";

const b64url = (value: string) => Buffer.from(value).toString("base64url");
const jwt = (payload: unknown) => `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(JSON.stringify(payload))}.c2ln`;

describe("conversationIdFromToken", () => {
  it("reads the id from the room name, in each form it takes", () => {
    expect(conversationIdFromToken(jwt({ video: { room: "room_agent_01jx9abc_conv_01jz7kq2" } }))).toBe(
      "conv_01jz7kq2",
    );
    expect(conversationIdFromToken(jwt({ video: { room: "room_conv_XYZ123" } }))).toBe("conv_XYZ123");
    expect(conversationIdFromToken(jwt({ video: { room: "conv_abc" } }))).toBe("conv_abc");
    // The conversation comes last in the room name; an agent named like one does not win.
    expect(conversationIdFromToken(jwt({ video: { room: "room_agent_conv_a_conv_b" } }))).toBe("conv_b");
  });

  it("falls back to the subject when the room has no id", () => {
    expect(conversationIdFromToken(jwt({ sub: "conv_fromSub1", video: { room: "lobby" } }))).toBe("conv_fromSub1");
    expect(conversationIdFromToken(jwt({ sub: "conv_only" }))).toBe("conv_only");
  });

  it("returns undefined for a well-formed token that holds no id", () => {
    expect(conversationIdFromToken(jwt({ sub: "user_1", video: { room: "lobby" } }))).toBeUndefined();
    expect(conversationIdFromToken(jwt({}))).toBeUndefined();
  });

  it("refuses what is not a JWT, saying what is wrong", () => {
    expect(() => conversationIdFromToken("abc")).toThrow(/expected 3 dot-separated parts, found 1/);
    expect(() => conversationIdFromToken("a.b.c.d")).toThrow(/found 4/);
    expect(() => conversationIdFromToken("a.@@@.c")).toThrow(/not base64url/);
    expect(() => conversationIdFromToken(`a.${b64url("not json")}.c`)).toThrow(/not JSON/);
    expect(() => conversationIdFromToken(`a.${b64url("[1]")}.c`)).toThrow(/not a JSON object/);
    expect(() => conversationIdFromToken(`a.${Buffer.from([0xff, 0xfe]).toString("base64url")}.c`)).toThrow(
      /not base64url/,
    );
    expect(() => conversationIdFromToken(42 as never)).toThrow(/expected a JWT string/);
  });

  it("decodes unicode payloads", () => {
    expect(decodeJwtPayload(jwt({ name: "Zoë 🎧" })).name).toBe("Zoë 🎧");
  });
});

describe("tokenExpiresAt", () => {
  it("reads exp as a Date, or undefined", () => {
    expect(tokenExpiresAt(jwt({ exp: 1_900_000_000 }))?.toISOString()).toBe("2030-03-17T17:46:40.000Z");
    expect(tokenExpiresAt(jwt({}))).toBeUndefined();
  });
});

describe("sessions", () => {
  const token = jwt({ exp: 1_900_000_000, video: { room: "room_agent_a1_conv_fromToken" } });

  it("webrtcToken takes the id from the token", async () => {
    const { convai, calls } = clientWith(() => json({ token }));
    const result = await convai.sessions.webrtcToken({ agent_id: "agent_a1", branch_id: "br_1" });
    expect(result).toEqual({
      token,
      conversationId: "conv_fromToken",
      conversationIdSource: "token",
      expiresAt: new Date(1_900_000_000_000),
    });
    expect(calls[0]!.url.search).toBe("?agent_id=agent_a1&branch_id=br_1");
  });

  it("webrtcToken prefers a conversation_id field of the response over the token", async () => {
    const { convai } = clientWith(() => json({ token, conversation_id: "conv_fromResponse" }));
    expect(await convai.sessions.webrtcToken({ agent_id: "a" })).toMatchObject({
      conversationId: "conv_fromResponse",
      conversationIdSource: "response",
    });
  });

  it("webrtcToken reports no id when neither has one", async () => {
    const { convai } = clientWith(() => json({ token: jwt({ sub: "user" }) }));
    expect(await convai.sessions.webrtcToken({ agent_id: "a" })).toMatchObject({
      conversationId: undefined,
      conversationIdSource: undefined,
      expiresAt: undefined,
    });
  });

  it("signedUrl reads the id from the URL, or from a response field, or reports none", async () => {
    const url = "wss://api.test/v1/convai/conversation?agent_id=a&conversation_signature=s";
    const withId = clientWith(() => json({ signed_url: `${url}&conversation_id=conv_inUrl` }));
    expect(await withId.convai.sessions.signedUrl({ agent_id: "a", include_conversation_id: true })).toEqual({
      signedUrl: `${url}&conversation_id=conv_inUrl`,
      conversationId: "conv_inUrl",
      conversationIdSource: "url",
    });
    expect(withId.calls[0]!.url.search).toBe("?agent_id=a&include_conversation_id=true");

    const field = clientWith(() => json({ signed_url: url, conversation_id: "conv_field" }));
    expect(await field.convai.sessions.signedUrl({ agent_id: "a" })).toMatchObject({
      conversationId: "conv_field",
      conversationIdSource: "response",
    });

    const none = clientWith(() => json({ signed_url: url }));
    expect(await none.convai.sessions.signedUrl({ agent_id: "a" })).toEqual({
      signedUrl: url,
      conversationId: undefined,
      conversationIdSource: undefined,
    });
  });
});

describe("minting a token never throws the token away", () => {
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
    // 1 MB: sixteen times the longest token read, refused by its length before any decoding.
    const huge = `${"a".repeat(10)}.${"b".repeat(1024 * 1024)}.c`;
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
