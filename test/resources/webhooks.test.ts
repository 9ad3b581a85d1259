/**
 * Post-call webhooks: the signature scheme against vectors computed here with node:crypto, every
 * way a header, a timestamp or a body can be wrong, bodies as strings and bytes, a 30 MB audio
 * event, the verifier on Web Crypto alone, and a receiver fed by the emulator that ends with every
 * conversation exactly once although a fifth of the deliveries never come.
 */
import { createHmac, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import path from "node:path";
import { runInNewContext } from "node:vm";
import { build } from "esbuild";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ConvaiError,
  ConvaiUnknownVariantError,
  ConvaiWebhookError,
  createConvaiClient,
  isWebhookEvent,
  matchWebhookEvent,
  type PostCallWebhookEvent,
  reconcileConversations,
  verifyWebhook,
  webhookAudio,
} from "../../src/index.ts";
import { signWebhook, startEmulator } from "../../src/testing/index.ts";
import { rejectionOf } from "../helpers.ts";

const SECRET = "wsec_5e1f0d2c3b4a5968";
const NOW = 1_763_700_000;
const hmac = (secret: string, payload: string | Buffer) => createHmac("sha256", secret).update(payload).digest("hex");
const header = (t: number, body: string | Buffer, secret = SECRET) =>
  `t=${t},v0=${hmac(secret, Buffer.concat([Buffer.from(`${t}.`), Buffer.from(body)]))}`;
const event = (type = "post_call_transcription", data: unknown = { conversation_id: "conv_1", agent_id: "agent_1" }) =>
  JSON.stringify({ type, event_timestamp: NOW, data });
const verify = (body: string | Uint8Array | ArrayBuffer, h: string | null | undefined, options = {}) =>
  verifyWebhook(body, h, SECRET, { now: NOW, ...options });

async function reason(promise: Promise<unknown>): Promise<string> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(ConvaiWebhookError);
  expect(error).toBeInstanceOf(ConvaiError);
  return (error as ConvaiWebhookError).reason;
}

describe.each(["node:crypto", "Web Crypto"] as const)("the signature, on %s", (path) => {
  // Node hands out node:crypto through process.getBuiltinModule; hiding it leaves Web Crypto,
  // the path of browsers and workers. Every case below runs on both.
  beforeEach(() => {
    if (path === "Web Crypto") vi.spyOn(process, "getBuiltinModule").mockReturnValue(undefined as never);
  });
  afterEach(() => vi.restoreAllMocks());

  it(`computes the HMAC with ${path}`, async () => {
    const lookup = vi.spyOn(process, "getBuiltinModule");
    const subtle = vi.spyOn(crypto.subtle, "verify");
    const body = event();
    expect((await verify(body, header(NOW, body))).type).toBe("post_call_transcription");
    expect(lookup).toHaveBeenCalledWith("node:crypto");
    expect(subtle).toHaveBeenCalledTimes(path === "Web Crypto" ? 1 : 0);
  });

  it("hashes the timestamp as sent, leading zeros included", async () => {
    const body = event();
    const stamp = `00${NOW}`;
    const signed = `t=${stamp},v0=${hmac(SECRET, `${stamp}.${body}`)}`;
    expect((await verify(body, signed)).type).toBe("post_call_transcription");
    expect(await reason(verify(body, `t=${stamp},v0=${hmac(SECRET, `${NOW}.${body}`)}`))).toBe("signature_mismatch");
  });

  it("verifies against a vector computed independently, and signWebhook computes the same", async () => {
    const body = event();
    const expected = `t=${NOW},v0=${hmac(SECRET, `${NOW}.${body}`)}`;
    expect(signWebhook(body, SECRET, { timestamp: NOW })).toBe(expected);
    const parsed = await verify(body, expected);
    expect(parsed).toEqual(JSON.parse(body));
    expect(isWebhookEvent("post_call_transcription", parsed)).toBe(true);
  });

  it("refuses a tampered body, a tampered timestamp and another secret", async () => {
    const body = event();
    const good = header(NOW, body);
    expect(await reason(verify(body.replace("conv_1", "conv_2"), good))).toBe("signature_mismatch");
    expect(await reason(verify(body, good.replace(`t=${NOW}`, `t=${NOW + 1}`)))).toBe("signature_mismatch");
    expect(await reason(verify(body, header(NOW, body, "other-secret")))).toBe("signature_mismatch");
    expect(await reason(verify(`${body} `, good))).toBe("signature_mismatch");
  });

  it("reads header variants: spaces, other schemes, several v0; refuses malformed and missing ones", async () => {
    const body = event();
    const sig = hmac(SECRET, `${NOW}.${body}`);
    const wrong = "0".repeat(64);
    for (const ok of [
      `t=${NOW},v0=${sig}`,
      ` t = ${NOW} , v0 = ${sig} `,
      `v0=${sig},t=${NOW}`,
      `t=${NOW},v1=${wrong},v0=${sig},scheme=x`,
      `t=${NOW},v0=${wrong},v0=${sig}`,
      `t=${NOW},v0=${sig.toUpperCase()}`,
    ]) {
      expect((await verify(body, ok)).type, ok).toBe("post_call_transcription");
    }
    const cases: [string | null | undefined, string][] = [
      [undefined, "missing_header"],
      [null, "missing_header"],
      ["", "missing_header"],
      ["  ", "missing_header"],
      [`t=${NOW}`, "malformed_header"],
      [`v0=${sig}`, "malformed_header"],
      [`t=${NOW},t=${NOW},v0=${sig}`, "malformed_header"],
      [`t=soon,v0=${sig}`, "malformed_header"],
      [`t=${NOW},v0=${sig.slice(2)}`, "malformed_header"],
      [`t=${NOW},v0=${"z".repeat(64)}`, "malformed_header"],
      [`t=${NOW},v0=${wrong},v0=${wrong}`, "signature_mismatch"],
      [`${sig}`, "malformed_header"],
    ];
    for (const [h, expected] of cases) expect(await reason(verify(body, h)), String(h)).toBe(expected);
  });

  it("accepts a timestamp up to the tolerance either way and refuses one past it", async () => {
    const body = event();
    for (const [t, outcome] of [
      [NOW - 1800, "ok"],
      [NOW - 1801, "timestamp_too_old"],
      [NOW + 1800, "ok"],
      [NOW + 1801, "timestamp_in_future"],
    ] as const) {
      const result = verify(body, header(t, body));
      if (outcome === "ok") expect((await result).type).toBe("post_call_transcription");
      else expect(await reason(result)).toBe(outcome);
    }
    expect(await reason(verify(body, header(NOW - 61, body), { toleranceSec: 60 }))).toBe("timestamp_too_old");
    expect((await verify(body, header(NOW - 60, body), { toleranceSec: 60 })).type).toBe("post_call_transcription");
  });

  it("verifies the same bytes as a string, a Uint8Array or an ArrayBuffer, multi-byte UTF-8 included", async () => {
    const body = event("post_call_transcription", { conversation_id: "conv_ü", note: "Zoë 🎧 — naïve" });
    const bytes = Buffer.from(body, "utf8");
    expect(bytes.length).toBeGreaterThan(body.length);
    const h = header(NOW, bytes);
    const copy = Uint8Array.from(bytes);
    for (const input of [body, copy, copy.buffer]) {
      expect(((await verify(input, h)).data as { note: string }).note).toBe("Zoë 🎧 — naïve");
    }
    expect(await reason(verify(Buffer.from(body, "latin1"), h))).toBe("signature_mismatch");
  });

  it("says a parsed body cannot verify, and refuses what is signed but not an event", async () => {
    const body = event();
    const error = await rejectionOf(verify(JSON.parse(body) as never, header(NOW, body)));
    expect((error as ConvaiWebhookError).reason).toBe("body_not_raw");
    expect((error as Error).message).toMatch(/parsed and serialized again is not the one that was signed/);
    expect(await reason(verify("not json", header(NOW, "not json")))).toBe("invalid_json");
    expect(await reason(verify("[1,2]", header(NOW, "[1,2]")))).toBe("invalid_event");
    expect(await reason(verify('{"type":"x"}', header(NOW, '{"type":"x"}')))).toBe("invalid_event");
    const latin = Buffer.from([0x7b, 0xff, 0x7d]);
    expect(await reason(verify(latin, header(NOW, latin)))).toBe("invalid_json");
  });

  it("never shows the secret or the body in an error", async () => {
    const canary = "BODY_CANARY_91f2";
    const body = event("post_call_transcription", { canary });
    const errors = await Promise.all([
      rejectionOf(verify(body, header(NOW, body, "other"))),
      rejectionOf(verify(body, header(NOW - 9999, body))),
      rejectionOf(verify(JSON.parse(body) as never, header(NOW, body))),
      rejectionOf(verify(`${canary} not json`, header(NOW, `${canary} not json`))),
      rejectionOf(verify(body, `t=${NOW},v0=${canary}`)),
    ]);
    for (const error of errors) {
      const text = `${String(error)} ${(error as Error).stack} ${JSON.stringify(error)}`;
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(canary);
    }
  });

  it("refuses a bad secret or tolerance as programming errors, before anything else", async () => {
    await expect(verifyWebhook("{}", "t=1,v0=00", "")).rejects.toThrow(
      /verifyWebhook: secret must be a non-empty string/,
    );
    await expect(verifyWebhook("{}", "t=1,v0=00", SECRET, { toleranceSec: -1 })).rejects.toThrow(/toleranceSec/);
  });
});

describe("hostile inputs (issue 22)", () => {
  const body = event();
  const signed = header(NOW, body);

  it("checks now: NaN, a string, Infinity or a negative one never lets an old signature through", async () => {
    for (const now of [NaN, "abc", Infinity, -1, null]) {
      const error = await rejectionOf(verifyWebhook(body, header(1, body), SECRET, { now: now as never }));
      expect(error, String(now)).toBeInstanceOf(RangeError);
      expect((error as Error).message).toMatch(/^verifyWebhook: now must be/);
    }
    await expect(verifyWebhook(body, signed, SECRET, { toleranceSec: "60" as never, now: NOW })).rejects.toThrow(
      RangeError,
    );
  });

  it("reads a header Node repeated only when it has one value; other kinds are malformed, never a raw TypeError", async () => {
    expect((await verify(body, [signed] as never)).type).toBe("post_call_transcription");
    expect(await reason(verify(body, [signed, signed] as never))).toBe("malformed_header");
    expect(await reason(verify(body, [] as never))).toBe("malformed_header");
    expect(await reason(verify(body, 5 as never))).toBe("malformed_header");
    expect(await reason(verify(body, Buffer.from(signed) as never))).toBe("malformed_header");
    expect(await reason(verify(body, {} as never))).toBe("malformed_header");
    expect(await reason(verify(body, [5] as never))).toBe("malformed_header");
    expect(await reason(verify(body, [""] as never))).toBe("missing_header");
  });

  it("refuses options that are not an object as a programming error naming verifyWebhook", async () => {
    for (const options of [null, 5, "x"]) {
      const error = await rejectionOf(verifyWebhook(body, signed, SECRET, options as never));
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(/^verifyWebhook: options must be an object/);
    }
  });

  it("takes bytes from another realm (a vm context's Uint8Array, ArrayBuffer) and other views as raw bytes", async () => {
    const bytes = Buffer.from(body);
    const foreign = runInNewContext("new Uint8Array(n)", { n: bytes.length }) as Uint8Array;
    foreign.set(bytes);
    expect(foreign instanceof Uint8Array).toBe(false);
    expect((await verify(foreign, signed)).type).toBe("post_call_transcription");
    expect((await verify(foreign.buffer as ArrayBuffer, signed)).type).toBe("post_call_transcription");
    const view = new DataView(Uint8Array.from(bytes).buffer);
    expect((await verify(view as never, signed)).type).toBe("post_call_transcription");
  });

  it("signWebhook names itself for null options and a body that is not raw", () => {
    expect(() => signWebhook(body, SECRET, null as never)).toThrow(/^signWebhook: options must be an object/);
    expect(() => signWebhook(body, SECRET, null as never)).toThrow(TypeError);
    expect(() => signWebhook(JSON.parse(body) as never, SECRET)).toThrow(/^signWebhook: body must be the raw body/);
    expect(() => signWebhook(5 as never, SECRET)).toThrow(TypeError);
    const foreign = runInNewContext("new Uint8Array([123, 125])") as Uint8Array;
    expect(signWebhook(foreign, SECRET, { timestamp: NOW })).toBe(signWebhook("{}", SECRET, { timestamp: NOW }));
  });
});

describe("events", () => {
  it("verifies a 30 MB audio event and decodes its recording without Buffer", async () => {
    const audio = randomBytes(22_500_000);
    const body = event("post_call_audio", {
      agent_id: "a",
      conversation_id: "c",
      full_audio: audio.toString("base64"),
    });
    expect(body.length).toBeGreaterThan(30_000_000);
    // How fast is bench/'s (`npm run bench -- --only webhook`); here, that it works at this size.
    const parsed = await verify(body, header(NOW, body));
    expect(isWebhookEvent("post_call_audio", parsed)).toBe(true);
    if (!isWebhookEvent("post_call_audio", parsed)) return;
    const decoded = webhookAudio(parsed);
    expect(decoded.length).toBe(audio.length);
    expect(Buffer.from(decoded).equals(audio)).toBe(true);
  }, 120_000);

  it("decodes base64 with or without padding, and base64url; refuses what is not base64", () => {
    const bytes = Uint8Array.from([0, 1, 2, 250, 251, 252, 253, 254, 255, 7]);
    const b64 = Buffer.from(bytes).toString("base64");
    for (const full_audio of [b64, b64.replace(/=+$/, ""), Buffer.from(bytes).toString("base64url")]) {
      expect(
        webhookAudio({
          type: "post_call_audio",
          event_timestamp: 1,
          data: { agent_id: "a", conversation_id: "c", full_audio },
        }),
      ).toEqual(bytes);
    }
    expect(() =>
      webhookAudio({
        type: "post_call_audio",
        event_timestamp: 1,
        data: { agent_id: "a", conversation_id: "c", full_audio: "not base64!" },
      }),
    ).toThrow(/not base64/);
    expect(() => webhookAudio(null as never)).toThrow(/must be a post_call_audio event/);
  });

  it("matches the known kinds, hands unknown ones to _, and throws without _", () => {
    const known: PostCallWebhookEvent[] = [
      { type: "post_call_transcription", event_timestamp: 1, data: { conversation_id: "c" } as never },
      { type: "post_call_audio", event_timestamp: 1, data: { agent_id: "a", conversation_id: "c", full_audio: "" } },
      {
        type: "call_initiation_failure",
        event_timestamp: 1,
        data: { agent_id: "a", conversation_id: "c", failure_reason: "busy", metadata: { type: "sip", body: {} } },
      },
      { type: "post_call_summary", event_timestamp: 1, data: {} },
    ];
    const names = known.map((e) =>
      matchWebhookEvent(e, {
        post_call_transcription: (t) => `transcription ${t.data.conversation_id}`,
        post_call_audio: (a) => `audio ${a.data.full_audio.length}`,
        call_initiation_failure: (f) => `failure ${f.data.failure_reason} via ${f.data.metadata.type}`,
        _: (rest) => `other ${rest.type}`,
      }),
    );
    expect(names).toEqual(["transcription c", "audio 0", "failure busy via sip", "other post_call_summary"]);
    expect(() =>
      matchWebhookEvent(known[3]!, {
        post_call_transcription: () => 1,
        post_call_audio: () => 2,
        call_initiation_failure: () => 3,
      }),
    ).toThrow(ConvaiUnknownVariantError);
    expect(known.filter(isWebhookEvent(["post_call_audio", "call_initiation_failure"])).map((e) => e.type)).toEqual([
      "post_call_audio",
      "call_initiation_failure",
    ]);
  });
});

describe("on Web Crypto alone", () => {
  it("verifies in a context without process, Buffer or require (as an edge runtime has)", async () => {
    const bundle = await build({
      entryPoints: [path.resolve(import.meta.dirname, "../../src/index.ts")],
      bundle: true,
      format: "iife",
      globalName: "convai",
      platform: "neutral",
      mainFields: ["module", "main"],
      write: false,
      logLevel: "silent",
    });
    const code = bundle.outputFiles[0]!.text;
    expect(code).not.toMatch(/require\(|from "node:/);
    const body = event("post_call_audio", {
      agent_id: "a",
      conversation_id: "c",
      full_audio: Buffer.from("ID3").toString("base64"),
    });
    const context = {
      crypto: globalThis.crypto,
      TextEncoder,
      TextDecoder,
      atob,
      body,
      signature: header(NOW, body),
      now: NOW,
      SECRET,
    };
    const result = (await runInNewContext(
      `${code};
       (async () => {
         const event = await convai.verifyWebhook(body, signature, SECRET, { now });
         const bad = await convai.verifyWebhook(body, signature, "other", { now }).catch((e) => e.reason);
         return [typeof process, typeof Buffer, typeof require, event.type, Array.from(convai.webhookAudio(event)).join(","), bad];
       })()`,
      context,
    )) as unknown[];
    expect(result).toEqual([
      "undefined",
      "undefined",
      "undefined",
      "post_call_audio",
      "73,68,51",
      "signature_mismatch",
    ]);
  });
});

describe("a receiver fed by the emulator", () => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  it("verifies and narrows every event; with 20 % dropped and some twice, reconcile leaves every conversation exactly once", async () => {
    // The receiver, as the README writes it for node:http: raw body, verify, answer, then act.
    const handled = new Map<string, number>(); // conversation id → times its transcription was handled
    const kinds: string[] = [];
    const rejected: string[] = [];
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- every failure is caught and counted inside
    const receiver = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      try {
        const ev = await verifyWebhook(Buffer.concat(chunks), req.headers["elevenlabs-signature"] as string, SECRET);
        res.writeHead(200).end();
        kinds.push(ev.type);
        matchWebhookEvent(ev, {
          post_call_transcription: (e) => {
            if (!handled.has(e.data.conversation_id)) handled.set(e.data.conversation_id, 1); // idempotent by id
          },
          post_call_audio: (e) => expect(webhookAudio(e).length).toBe(2_000),
          call_initiation_failure: (e) => {
            expect(["busy", "no-answer", "unknown"]).toContain(e.data.failure_reason);
            if (!handled.has(e.data.conversation_id)) handled.set(e.data.conversation_id, 1);
          },
          _: () => {},
        });
      } catch (error) {
        rejected.push(error instanceof ConvaiWebhookError ? error.reason : String(error));
        res.writeHead(400).end();
      }
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    closers.push(() => new Promise((resolve) => receiver.close(() => resolve())));
    const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`;
    const emulator = await startEmulator({
      conversations: 3,
      audioBytes: 2_000,
      lifecycle: { inProgressAfterMs: 0, processingAfterMs: 30, doneAfterMs: 60 },
      webhook: { url, secret: SECRET, drop: 0.2, duplicate: 0.2, seed: 4 },
    });
    closers.push(() => emulator.close());
    const convai = createConvaiClient({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl });
    const agent_id = (await convai.conversations.list().toArray({ max: 1 }))[0]!.agent_id;
    const startedAfter = new Date(Date.now() - 1_000);
    emulator.scriptSessions({ initiationFailure: "busy" }, { initiationFailure: "no-answer", via: "sip" });
    const minted: string[] = [];
    for (let i = 0; i < 30; i++) minted.push((await convai.sessions.webrtcToken({ agent_id })).conversationId!);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await emulator.webhooksSettled();

    const deliveries = emulator.webhookDeliveries;
    const transcriptions = deliveries.filter((d) => d.type === "post_call_transcription");
    expect(transcriptions.filter((d) => d.dropped).length).toBeGreaterThan(0);
    expect(deliveries.filter((d) => d.attempt === 2).length).toBeGreaterThan(0);
    expect(deliveries.filter((d) => !d.dropped).every((d) => d.status === 200)).toBe(true);
    expect(rejected).toEqual([]);
    // Session ids are random, so which deliveries drop is too: what was sent is checked, not what arrived.
    expect(new Set(deliveries.map((d) => d.type))).toEqual(
      new Set(["post_call_transcription", "post_call_audio", "call_initiation_failure"]),
    );
    expect(kinds.every((k) => deliveries.some((d) => d.type === k && !d.dropped))).toBe(true);

    // What the webhooks missed, from the list: handled once each, as a webhook would have been.
    const before = handled.size;
    for await (const missed of reconcileConversations(convai, {
      query: { agent_id },
      startedAfter,
      seen: handled,
    })) {
      handled.set(missed.conversation_id, (handled.get(missed.conversation_id) ?? 0) + 1);
    }
    expect(handled.size).toBeGreaterThan(before);
    // Every session, once: by its transcription, by its failure to start, or from the list.
    expect([...handled.keys()].sort()).toEqual([...minted].sort());
    expect([...handled.values()].every((n) => n === 1)).toBe(true);
  }, 30_000);

  it("lets a receiver's unit test sign its own body, and refuses a delivery signed with another secret", async () => {
    const body = JSON.stringify({
      type: "post_call_transcription",
      event_timestamp: NOW,
      data: { conversation_id: "c" },
    });
    expect((await verifyWebhook(body, signWebhook(body, SECRET, { timestamp: NOW }), SECRET, { now: NOW })).type).toBe(
      "post_call_transcription",
    );
    expect(() => signWebhook(body, "")).toThrow(/secret/);
    await expect(startEmulator({ webhook: { url: "ftp://x", secret: SECRET } })).rejects.toThrow(/webhook\.url/);
  });
});
