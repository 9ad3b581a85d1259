/**
 * Which WebSocket the monitor opens (src/resources/monitor/runtime.ts), runtime by runtime with
 * stand-in globals, and what the error says where no WebSocket can send the key header: what the
 * runtime lacks and what to do there, with "npm install ws" only where it helps (issue 22, item 10).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConvaiMonitorError, createConvaiClient, monitorConversation } from "../../../src/index.ts";
import { defaultWebSocket, runtimeOf, type RuntimeGlobals } from "../../../src/resources/monitor/runtime.ts";
import { KEY, everythingIn, rejectionOf } from "../../helpers.ts";
import { fakeSockets } from "./fakes.ts";

afterEach(() => vi.unstubAllGlobals());

class Native {}
class FromWs {}
const withWs = async () => ({ WebSocket: FromWs });
const withoutWs = async () => {
  throw Object.assign(new Error("Cannot find package 'ws'"), { code: "ERR_MODULE_NOT_FOUND" });
};
const node = (version: string, extra: RuntimeGlobals = {}): RuntimeGlobals => ({
  process: { versions: { node: version } },
  ...extra,
});
const WORKERD = { navigator: { userAgent: "Cloudflare-Workers" } };

describe("the default WebSocket, runtime by runtime", () => {
  it("Node: ws where installed, else Node ≥ 22's own (it takes headers), else says to install ws", async () => {
    expect(await defaultWebSocket("m", node("20.19.0"), withWs)).toBe(FromWs);
    expect(await defaultWebSocket("m", node("22.3.0", { WebSocket: Native }), withoutWs)).toBe(Native);
    const error = await rejectionOf(defaultWebSocket("m", node("20.19.0", { WebSocket: Native }), withoutWs));
    expect(error).toBeInstanceOf(ConvaiMonitorError);
    expect(error).toMatchObject({ reason: "unsupported_runtime" });
    expect((error as Error).message).toMatch(
      /^m: Node 20 has no WebSocket that can send the API key header: npm install ws/,
    );
  });

  it("Deno and Bun: their own WebSocket, which takes headers, without loading ws", async () => {
    const load = vi.fn(withWs);
    expect(await defaultWebSocket("m", { Deno: {}, WebSocket: Native }, load)).toBe(Native);
    expect(await defaultWebSocket("m", { Bun: {}, WebSocket: Native, ...node("22.0.0") }, load)).toBe(Native);
    expect(load).not.toHaveBeenCalled();
  });

  const nowhere: [string, RuntimeGlobals, RegExp][] = [
    [
      "Cloudflare Workers",
      { ...WORKERD, WebSocket: Native },
      /Cloudflare Workers' WebSocket cannot send the API key header/,
    ],
    [
      "Cloudflare Workers with nodejs_compat",
      { ...WORKERD, ...node("22.0.0"), WebSocket: Native },
      /Cloudflare Workers' WebSocket .*with or without nodejs_compat/,
    ],
    [
      "a browser page",
      { window: { document: {} }, WebSocket: Native },
      /a browser's WebSocket cannot send the API key header/,
    ],
    ["a web worker", { importScripts: () => {}, WebSocket: Native }, /monitor from your server/],
    ["Vercel's edge runtime", { EdgeRuntime: "edge-runtime", WebSocket: Native }, /edge runtimes cannot/],
  ];
  for (const [name, globals, message] of nowhere) {
    it(`${name}: says what the runtime lacks and what to do, without "npm install ws"`, async () => {
      const load = vi.fn(withWs);
      const error = await rejectionOf(defaultWebSocket("monitorConversation", globals, load));
      expect(error).toMatchObject({ reason: "unsupported_runtime" });
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toMatch(/npm install/);
      expect(load).not.toHaveBeenCalled();
    });
  }

  it("tells the runtimes apart", () => {
    expect(runtimeOf({ ...WORKERD, ...node("22.0.0") })).toBe("workerd");
    expect(runtimeOf(node("20.1.0"))).toBe("node");
    expect(runtimeOf({ Deno: {}, ...node("20.1.0") })).toBe("deno");
    expect(runtimeOf({})).toBe("unknown");
  });
});

describe("a WebSocket that cannot take headers", () => {
  it("throwing 'protocol header token is invalid' (workerd) becomes unsupported_runtime, saying what to do there", async () => {
    vi.stubGlobal("navigator", { userAgent: "Cloudflare-Workers" });
    const convai = createConvaiClient({ apiKey: KEY, baseUrl: "https://api.test" });
    const Fake = fakeSockets({ throws: new SyntaxError("WebSocket protocol header token is invalid") });
    const error = await rejectionOf(monitorConversation(convai, "c", { WebSocket: Fake }).ready());
    expect(error).toBeInstanceOf(ConvaiMonitorError);
    expect(error).toMatchObject({ reason: "unsupported_runtime" });
    expect((error as Error).message).toMatch(
      /^monitorConversation: Cloudflare Workers' WebSocket cannot send the API key header/,
    );
    expect((error as Error).message).not.toMatch(/npm install/);
    expect(everythingIn(error)).not.toContain(KEY);
  });
});
