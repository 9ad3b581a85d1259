// The programs measured by figures 2–4, one per variant, in plain JavaScript: the harness is
// TypeScript run by tsx, whose transform wraps every function literal in a naming helper; code
// under measurement must not pay for that (users' builds do not), so it lives here, untransformed.
import { ElevenLabsClient } from "@elevenlabs/elevenlabs-js";
import { createConvaiClient, matchToolResult, toolResults } from "elevenlabs-convai";
import createClient from "openapi-fetch";

/** @param {{ baseUrl: string, apiKey: string }} where */
function clients({ baseUrl, apiKey }) {
  return {
    headers: { "xi-api-key": apiKey },
    convai: createConvaiClient({ apiKey, baseUrl }),
    sdk: new ElevenLabsClient({ apiKey, baseUrl }),
  };
}

/** Figure 2: one get of a conversation (the harness times each and repeats them). */
export function perCall(where, id) {
  const { headers, convai, sdk } = clients(where);
  const url = `${where.baseUrl}/v1/convai/conversations/${id}`;
  // The client ours is built on, bare: the same request, the body parsed as openapi-fetch does.
  const bare = createClient({ baseUrl: where.baseUrl, headers });
  const params = { path: { conversation_id: id } };
  return {
    async floor() {
      JSON.parse(await (await fetch(url, { headers })).text());
    },
    async openapiFetch() {
      const { data } = await bare.GET("/v1/convai/conversations/{conversation_id}", { params });
      if (data === undefined) throw new Error("the bare openapi-fetch client got no conversation");
    },
    async ours() {
      await convai.conversations.get(id);
    },
    async sdk() {
      await sdk.conversationalAi.conversations.get(id);
    },
  };
}

/** Every tool result, nested workflow results included, counted by type: the hand-written walk. */
function handWalk(conversation, resultsKey) {
  const counts = {};
  const visit = (result) => {
    const type = result.type ?? "untyped";
    counts[type] = (counts[type] ?? 0) + 1;
    if (type === "workflow") {
      for (const step of result.result?.steps ?? []) {
        if (step.type === "nested_tools") for (const nested of step.results ?? []) visit(nested);
      }
    }
  };
  for (const turn of conversation.transcript) for (const result of turn[resultsKey] ?? []) visit(result);
  return counts;
}

/** Figure 3: fetch one large conversation and count its tool results by type (the harness repeats it). */
export function large(where, id) {
  const { headers, convai, sdk } = clients(where);
  const url = `${where.baseUrl}/v1/convai/conversations/${id}`;
  return {
    async floor() {
      return handWalk(JSON.parse(await (await fetch(url, { headers })).text()), "tool_results");
    },
    async ours() {
      const counts = {};
      const add = (type) => (counts[type] = (counts[type] ?? 0) + 1);
      for (const { result } of toolResults(await convai.conversations.get(id))) {
        matchToolResult(result, {
          system: () => add("system"),
          workflow: () => add("workflow"),
          api_integration_webhook: () => add("api_integration_webhook"),
          client: () => add("client"),
          webhook: () => add("webhook"),
          mcp: () => add("mcp"),
          code: () => add("code"),
          untyped: () => add("untyped"),
        });
      }
      return counts;
    },
    // The SDK converts keys to camelCase and has no narrowing helpers: the hand-written walk over its shape.
    async sdk() {
      return handWalk(await sdk.conversationalAi.conversations.get(id), "toolResults");
    },
  };
}

/**
 * Figure 4: one page of 100 per call, each variant walking the whole list of `total` again and
 * again: ours takes 100 items from `conversations.list`'s iterator (the call that needs a page
 * fetches it), the floor fetches and parses a page by hand, the SDK calls its `list`. At the end
 * of each walk every variant checks it saw all `total` conversations once and the list ended.
 */
export function paginationByPage(where, total) {
  const { headers, convai, sdk } = clients(where);
  const check = (name, seen, last) => {
    if (seen.size !== total || !last) throw new Error(`${name} walked ${seen.size} of ${total} conversations`);
  };
  let items; // ours: the iterator of the walk under way
  let oursSeen = new Set();
  let floorCursor = null; // null: start a walk
  let floorSeen = new Set();
  let sdkCursor = null;
  let sdkSeen = new Set();
  return {
    async ours() {
      items ??= convai.conversations.list({ page_size: 100 })[Symbol.asyncIterator]();
      for (let i = 0; i < 100; i++) {
        const next = await items.next();
        if (next.done) throw new Error("ours: the list ended early");
        oursSeen.add(next.value.conversation_id);
      }
      if (oursSeen.size === total) {
        check("ours", oursSeen, (await items.next()).done);
        items = undefined;
        oursSeen = new Set();
      }
    },
    async floor() {
      const query = `page_size=100${floorCursor ? `&cursor=${encodeURIComponent(floorCursor)}` : ""}`;
      const page = JSON.parse(
        await (await fetch(`${where.baseUrl}/v1/convai/conversations?${query}`, { headers })).text(),
      );
      for (const c of page.conversations) floorSeen.add(c.conversation_id);
      floorCursor = page.has_more ? page.next_cursor : null;
      if (floorCursor === null) {
        check("floor", floorSeen, true);
        floorSeen = new Set();
      }
    },
    async sdk() {
      const page = await sdk.conversationalAi.conversations.list({ pageSize: 100, cursor: sdkCursor ?? undefined });
      for (const c of page.conversations) sdkSeen.add(c.conversationId);
      sdkCursor = page.hasMore ? (page.nextCursor ?? null) : null;
      if (sdkCursor === null) {
        check("sdk", sdkSeen, true);
        sdkSeen = new Set();
      }
    },
  };
}

/** Figure 9: `count` verifications of one signed webhook body: ours, and the same HMAC with node:crypto. */
export async function webhooks(body, header, secret, count, now) {
  const { verifyWebhook } = await import("elevenlabs-convai");
  const { createHmac, timingSafeEqual } = await import("node:crypto");
  return {
    async ours() {
      let event;
      for (let i = 0; i < count; i++) event = await verifyWebhook(body, header, secret, { now });
      return event;
    },
    // The same call where node:crypto is not handed out (browsers, workers): Web Crypto.
    async oursWebCrypto() {
      const lookup = process.getBuiltinModule;
      process.getBuiltinModule = undefined;
      try {
        let event;
        for (let i = 0; i < count; i++) event = await verifyWebhook(body, header, secret, { now });
        return event;
      } finally {
        process.getBuiltinModule = lookup;
      }
    },
    // The floor does the same work by hand: parse the header, HMAC "<t>.<body>", compare, parse the JSON.
    async floor() {
      let event;
      for (let i = 0; i < count; i++) {
        const parts = Object.fromEntries(header.split(",").map((p) => p.split("=")));
        const expected = createHmac("sha256", secret).update(`${parts.t}.`).update(body).digest();
        if (!timingSafeEqual(expected, Buffer.from(parts.v0, "hex"))) throw new Error("mismatch");
        event = JSON.parse(body);
      }
      return event;
    },
  };
}
