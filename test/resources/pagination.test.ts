import { describe, expect, it } from "vitest";
import { ConvaiAPIError, ConvaiPaginationError } from "../../src/index.ts";
import { clientWith, json, rejectionOf } from "../helpers.ts";

const summary = (id: string) => ({ conversation_id: id, agent_id: "a", status: "done", start_time_unix_secs: 1 });

/** Pages keyed by the cursor they answer (undefined for the first). */
function pager(pages: Record<string, { ids: string[]; next?: string | null; has_more?: boolean }>) {
  return clientWith((request) => {
    const cursor = new URL(request.url).searchParams.get("cursor") ?? "first";
    const page = pages[cursor];
    if (!page) return json({ detail: "unknown cursor" }, { status: 400 });
    return json({
      conversations: page.ids.map(summary),
      next_cursor: page.next ?? null,
      has_more: page.has_more ?? Boolean(page.next),
    });
  });
}

describe("conversations.list", () => {
  const three = { first: { ids: ["c1", "c2"], next: "p2" }, p2: { ids: ["c3"], next: "p3" }, p3: { ids: ["c4"] } };

  it("yields every item of every page, sending every filter on every page", async () => {
    const { convai, calls } = pager(three);
    const ids: string[] = [];
    for await (const c of convai.conversations.list({ agent_id: "agent_1", tool_names: ["a", "b"], page_size: 2 })) {
      ids.push(c.conversation_id);
    }
    expect(ids).toEqual(["c1", "c2", "c3", "c4"]);
    expect(calls.map((c) => c.url.search)).toEqual([
      "?agent_id=agent_1&tool_names=a&tool_names=b&page_size=2",
      "?agent_id=agent_1&tool_names=a&tool_names=b&page_size=2&cursor=p2",
      "?agent_id=agent_1&tool_names=a&tool_names=b&page_size=2&cursor=p3",
    ]);
  });

  it("is lazy: a break after the first item costs one request", async () => {
    const { convai, calls } = pager(three);
    for await (const c of convai.conversations.list()) {
      expect(c.conversation_id).toBe("c1");
      break;
    }
    expect(calls).toHaveLength(1);
    const iterable = convai.conversations.list();
    expect(calls).toHaveLength(1); // creating the iterable sends nothing
    void iterable;
  });

  it("hands out every item once, in order, to next() calls made without waiting", async () => {
    // Calls made at once across page boundaries queue behind the page being fetched: none may
    // take a later page and skip the rest of the one before it.
    const { convai, calls } = pager(three);
    const iterator = convai.conversations.list({ page_size: 2 })[Symbol.asyncIterator]();
    const results = await Promise.all(Array.from({ length: 6 }, () => iterator.next()));
    expect(results.map((r) => (r.done ? "done" : r.value.conversation_id))).toEqual([
      "c1",
      "c2",
      "c3",
      "c4",
      "done",
      "done",
    ]);
    expect(calls).toHaveLength(3);
  });

  it("yields whole pages from .pages()", async () => {
    const { convai } = pager(three);
    const sizes: number[] = [];
    for await (const page of convai.conversations.list().pages()) sizes.push(page.conversations.length);
    expect(sizes).toEqual([2, 1, 1]);
  });

  it("collects at most max items and fetches no page beyond them", async () => {
    const { convai, calls } = pager(three);
    const items = await convai.conversations.list().toArray({ max: 3 });
    expect(items.map((c) => c.conversation_id)).toEqual(["c1", "c2", "c3"]);
    expect(calls).toHaveLength(2);
  });

  it("starts from a cursor the caller passes", async () => {
    const { convai, calls } = pager(three);
    const items = await convai.conversations.list({ cursor: "p2" }).toArray({ max: 10 });
    expect(items.map((c) => c.conversation_id)).toEqual(["c3", "c4"]);
    expect(calls[0]!.url.searchParams.get("cursor")).toBe("p2");
  });

  it("ends with an error, not a loop, when the API repeats a cursor", async () => {
    const { convai, calls } = pager({ first: { ids: ["c1"], next: "p2" }, p2: { ids: ["c2"], next: "p2" } });
    const error = await rejectionOf(convai.conversations.list().toArray({ max: 1000 }));
    expect(error).toBeInstanceOf(ConvaiPaginationError);
    expect((error as Error).message).toMatch(/returned a cursor it had already given/);
    expect((error as ConvaiPaginationError).cursor).toBe("p2"); // the page whose next cursor was the repeat
    expect(calls).toHaveLength(2);
  });

  it("stops at once when a walk started at cursor X is handed X back", async () => {
    const { convai, calls } = pager({ X: { ids: ["c1"], next: "X" } });
    const error = await rejectionOf(convai.conversations.list({ cursor: "X" }).toArray({ max: 1000 }));
    expect(error).toBeInstanceOf(ConvaiPaginationError);
    expect((error as ConvaiPaginationError).cursor).toBe("X");
    expect(calls).toHaveLength(1);
  });

  it("puts the cursor of the page that failed on the error (err.cursor), to resume from", async () => {
    // p2 is unknown to the server: a 400, not retried.
    const { convai, calls } = pager({ first: { ids: ["c1"], next: "p2" } });
    const error = await rejectionOf(convai.conversations.list().toArray({ max: 1000 }));
    expect(error).toBeInstanceOf(ConvaiAPIError);
    expect((error as ConvaiAPIError & { cursor?: string }).cursor).toBe("p2");
    expect(calls.map((c) => c.url.searchParams.get("cursor"))).toEqual([null, "p2"]);
    // The first page failing: no cursor to resume from but the start.
    const { convai: failing } = pager({});
    expect(((await rejectionOf(failing.conversations.list().toArray({ max: 1 }))) as { cursor?: string }).cursor).toBe(
      undefined,
    );
    const { convai: resumed } = pager({});
    expect(
      ((await rejectionOf(resumed.conversations.list({ cursor: "p9" }).toArray({ max: 1 }))) as { cursor?: string })
        .cursor,
    ).toBe("p9");
  });

  it("ends with an error when has_more comes without a cursor", async () => {
    const { convai } = pager({ first: { ids: ["c1"], next: null, has_more: true } });
    const error = await rejectionOf(convai.conversations.list().toArray({ max: 1000 }));
    expect(error).toBeInstanceOf(ConvaiPaginationError);
    expect((error as Error).message).toMatch(/has_more but sent no next_cursor/);
  });

  it("stops when has_more is false even if a cursor is present", async () => {
    const { convai, calls } = pager({ first: { ids: ["c1"], next: "p2", has_more: false } });
    expect(await convai.conversations.list().toArray({ max: 10 })).toHaveLength(1);
    expect(calls).toHaveLength(1);
  });
});
