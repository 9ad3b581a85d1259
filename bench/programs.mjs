// The programs measured by figures 2–4, one per variant, in plain JavaScript: the harness is
// TypeScript run by tsx, whose transform wraps every function literal in a naming helper; code
// under measurement must not pay for that (users' builds do not), so it lives here, untransformed.
import { ElevenLabsClient } from "@elevenlabs/elevenlabs-js";
import { createConvaiClient, matchToolResult, toolResults } from "elevenlabs-convai";

/** @param {{ baseUrl: string, apiKey: string }} where */
function clients({ baseUrl, apiKey }) {
  return {
    headers: { "xi-api-key": apiKey },
    convai: createConvaiClient({ apiKey, baseUrl }),
    sdk: new ElevenLabsClient({ apiKey, baseUrl }),
  };
}

/** Figure 2: `calls` sequential gets of one conversation. */
export function perCall(where, id, calls) {
  const { headers, convai, sdk } = clients(where);
  const url = `${where.baseUrl}/v1/convai/conversations/${id}`;
  return {
    async floor() {
      for (let i = 0; i < calls; i++) JSON.parse(await (await fetch(url, { headers })).text());
    },
    async ours() {
      for (let i = 0; i < calls; i++) await convai.conversations.get(id);
    },
    async sdk() {
      for (let i = 0; i < calls; i++) await sdk.conversationalAi.conversations.get(id);
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

/** Figure 3: fetch one large conversation and count its tool results by type, `reps` times. */
export function large(where, id, reps) {
  const { headers, convai, sdk } = clients(where);
  const url = `${where.baseUrl}/v1/convai/conversations/${id}`;
  return {
    async floor() {
      let counts;
      for (let i = 0; i < reps; i++)
        counts = handWalk(JSON.parse(await (await fetch(url, { headers })).text()), "tool_results");
      return counts;
    },
    async ours() {
      let counts;
      for (let i = 0; i < reps; i++) {
        counts = {};
        const add = (type) => (counts[type] = (counts[type] ?? 0) + 1);
        for (const { result } of toolResults(await convai.conversations.get(id))) {
          matchToolResult(result, {
            system: () => add("system"),
            workflow: () => add("workflow"),
            api_integration_webhook: () => add("api_integration_webhook"),
            client: () => add("client"),
            webhook: () => add("webhook"),
            mcp: () => add("mcp"),
            untyped: () => add("untyped"),
          });
        }
      }
      return counts;
    },
    // The SDK converts keys to camelCase and has no narrowing helpers: the hand-written walk over its shape.
    async sdk() {
      let counts;
      for (let i = 0; i < reps; i++) counts = handWalk(await sdk.conversationalAi.conversations.get(id), "toolResults");
      return counts;
    },
  };
}

/** Figure 4: every conversation, 100 a page; returns how many were listed. */
export function pagination(where) {
  const { headers, convai, sdk } = clients(where);
  return {
    async floor() {
      let n = 0;
      let cursor;
      do {
        const query = `page_size=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
        const page = JSON.parse(
          await (await fetch(`${where.baseUrl}/v1/convai/conversations?${query}`, { headers })).text(),
        );
        n += page.conversations.length;
        cursor = page.has_more ? page.next_cursor : undefined;
      } while (cursor);
      return n;
    },
    async ours() {
      let n = 0;
      for await (const _ of convai.conversations.list({ page_size: 100 })) n++;
      return n;
    },
    async sdk() {
      let n = 0;
      let cursor;
      do {
        const page = await sdk.conversationalAi.conversations.list({ pageSize: 100, cursor });
        n += page.conversations.length;
        cursor = page.hasMore ? (page.nextCursor ?? undefined) : undefined;
      } while (cursor);
      return n;
    },
  };
}
