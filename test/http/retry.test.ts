import { describe, expect, it, vi } from "vitest";
import { ConvaiConnectionError, ConvaiAPIError, ConvaiTimeoutError } from "../../src/index.ts";
import { sleep } from "../../src/core/abort.ts";
import { MAX_RETRY_AFTER_MS, retryAfterMs, retryDelay } from "../../src/http/retry.ts";
import { clientWith, json, rejectionOf, tracked, withFakeTimers } from "../helpers.ts";

const ok = { conversation_id: "c", agent_id: "a", status: "done", transcript: [] };
const conversation = ok;
const now = () => json({ detail: "busy" }, { status: 503, headers: { "retry-after": "0" } });
const refused = () => Promise.reject(Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } }));
const reset = () => Promise.reject(Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } }));

/** `run()` on a fake clock moved past the first backoff (at most 500 ms), which is then not waited for. */
async function afterBackoff<T>(run: () => Promise<T>): Promise<T> {
  return withFakeTimers(async () => {
    const call = tracked(run());
    await vi.advanceTimersByTimeAsync(500);
    expect(call.settled()).toBe(true);
    return (await call.result) as T;
  });
}

describe("retry policy", () => {
  it("retries a GET on 503 and succeeds", async () => {
    const { convai, calls } = clientWith((_r, n) => (n < 3 ? now() : json(ok)));
    expect((await convai.conversations.get("c")).conversation_id).toBe("c");
    expect(calls).toHaveLength(3);
  });

  it("stops after maxRetries and throws the last error", async () => {
    const { convai, calls } = clientWith(now, { maxRetries: 2 });
    const error = await rejectionOf(convai.conversations.get("c"));
    expect(error).toMatchObject({ name: "ConvaiAPIError", status: 503 });
    expect(calls).toHaveLength(3);
  });

  for (const status of [408, 429, 500, 502, 504]) {
    it(`retries a DELETE on ${status}`, async () => {
      const retry = () => json({}, { status, headers: { "retry-after": "0" } });
      const { convai, calls } = clientWith((_r, n) => (n === 1 ? retry() : json(null)));
      await convai.conversations.delete("c");
      expect(calls.map((c) => c.method)).toEqual(["DELETE", "DELETE"]);
    });
  }

  it("does not retry statuses that will not change (400, 401, 404, 422)", async () => {
    for (const status of [400, 401, 404, 422]) {
      const { convai, calls } = clientWith(() => json({ detail: "no" }, { status }));
      expect(await rejectionOf(convai.conversations.get("c"))).toMatchObject({ status });
      expect(calls).toHaveLength(1);
    }
  });

  it("never retries a POST on a status", async () => {
    const { convai, calls } = clientWith(now);
    const error = await rejectionOf(convai.conversations.sendFeedback("c", "like"));
    expect(error).toBeInstanceOf(ConvaiAPIError);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body).toBe('{"feedback":"like"}');
  });

  it("retries a POST only when the connection was never made", async () => {
    const first = clientWith((_r, n) => (n === 1 ? refused() : json({})));
    await afterBackoff(() => first.convai.conversations.sendFeedback("c", "dislike"));
    expect(first.calls.map((c) => c.body)).toEqual(['{"feedback":"dislike"}', '{"feedback":"dislike"}']);

    const second = clientWith((_r, n) => (n === 1 ? reset() : json({})));
    expect(await rejectionOf(second.convai.conversations.sendFeedback("c", null))).toBeInstanceOf(
      ConvaiConnectionError,
    );
    expect(second.calls).toHaveLength(1);
  });

  it("retries a GET whose connection reset", async () => {
    const { convai, calls } = clientWith((_r, n) => (n === 1 ? reset() : json(ok)), { maxRetries: 1 });
    await afterBackoff(() => convai.conversations.get("c"));
    expect(calls).toHaveLength(2);
  });

  it("retries a GET whose JSON body was cut short", async () => {
    const cut = () =>
      new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode('{"conversation_id":'));
            c.error(new TypeError("terminated"));
          },
        }),
        { headers: { "content-type": "application/json" } },
      );
    const { convai, calls } = clientWith((_r, n) => (n === 1 ? cut() : json(ok)), { maxRetries: 1 });
    expect((await afterBackoff(() => convai.conversations.get("c"))).conversation_id).toBe("c");
    expect(calls).toHaveLength(2);

    const never = clientWith(cut, { maxRetries: 0 });
    const error = await rejectionOf(never.convai.conversations.get("c"));
    expect(error).toBeInstanceOf(ConvaiConnectionError);
    expect((error as Error).message).toContain("cut short");
  });

  it("retries an attempt that timed out", async () => {
    // On a fake clock: the retry's own attempt cannot meet its timeout on a loaded machine, and
    // the backoff (up to 500 ms) is not waited for.
    await withFakeTimers(async () => {
      const { convai, calls } = clientWith((_r, n) => (n === 1 ? new Promise<Response>(() => {}) : json(ok)), {
        timeoutMs: 30,
        maxRetries: 1,
      });
      const call = tracked(convai.conversations.get("c"));
      await vi.advanceTimersByTimeAsync(30);
      expect(calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(500);
      expect(calls).toHaveLength(2);
      expect(await call.result).toMatchObject({ conversation_id: "c" });
    });
  });

  it("ends a backoff wait at once when the caller aborts", async () => {
    await withFakeTimers(async () => {
      const { convai, calls } = clientWith(() => json({}, { status: 503 })); // no Retry-After: ≥ 375 ms backoff
      const controller = new AbortController();
      const call = tracked(convai.conversations.get("c", { signal: controller.signal }));
      await vi.advanceTimersByTimeAsync(50);
      expect(calls).toHaveLength(1);
      expect(call.settled()).toBe(false); // waiting out the backoff
      controller.abort(new Error("stop"));
      await vi.advanceTimersByTimeAsync(0); // no time passes: the abort alone ends the wait
      expect(call.settled()).toBe(true);
      expect(await call.result).toMatchObject({ message: "stop" });
      expect(calls).toHaveLength(1);
    });
  });

  it("waits what Retry-After says before the next attempt, and no longer", async () => {
    await withFakeTimers(async () => {
      const { convai, calls } = clientWith((_r, n) =>
        n === 1 ? json({}, { status: 429, headers: { "retry-after": "2" } }) : json(ok),
      );
      const call = tracked(convai.conversations.get("c"));
      await vi.advanceTimersByTimeAsync(1_999);
      expect(calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(calls).toHaveLength(2);
      expect(call.settled()).toBe(true);
      expect(await call.result).toMatchObject({ conversation_id: "c" });
    });
  });

  it("gives up a timed-out call at its timeout when no retries are left", async () => {
    await withFakeTimers(async () => {
      const { convai } = clientWith(() => new Promise<Response>(() => {}), { timeoutMs: 40, maxRetries: 0 });
      const call = tracked(convai.conversations.get("c"));
      await vi.advanceTimersByTimeAsync(39);
      expect(call.settled()).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(call.settled()).toBe(true);
      expect(await call.result).toBeInstanceOf(ConvaiTimeoutError);
    });
  });
});

describe("retry delays", () => {
  it("backs off exponentially from 0.5 s to at most 8 s, jittered down by up to a quarter", () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => retryDelay(n, undefined, () => 0))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000,
    ]);
    expect(retryDelay(0, undefined, () => 0.999)).toBeGreaterThanOrEqual(375);
    expect(retryDelay(1, undefined, () => 1)).toBe(750);
  });

  it("reads Retry-After as seconds or an HTTP date, and retry-after-ms first", () => {
    const at = Date.UTC(2026, 0, 1);
    expect(retryAfterMs(new Headers({ "retry-after": "3" }))).toBe(3000);
    expect(retryAfterMs(new Headers({ "retry-after": new Date(at + 7000).toUTCString() }), at)).toBe(7000);
    expect(retryAfterMs(new Headers({ "retry-after": new Date(at - 7000).toUTCString() }), at)).toBe(0);
    expect(retryAfterMs(new Headers({ "retry-after-ms": "250", "retry-after": "9" }))).toBe(250);
    expect(retryAfterMs(new Headers({ "retry-after": "soon" }))).toBeUndefined();
    expect(retryAfterMs(new Headers())).toBeUndefined();
  });

  it("caps a long Retry-After", () => {
    expect(retryDelay(0, new Headers({ "retry-after": "3600" }))).toBe(MAX_RETRY_AFTER_MS);
  });

  it("sleep rejects with the reason when aborted, and at once when already aborted", async () => {
    const controller = new AbortController();
    const pending = rejectionOf(sleep(10_000, controller.signal));
    controller.abort("why");
    expect(await pending).toBe("why");
    expect(await rejectionOf(sleep(10, AbortSignal.abort("already")))).toBe("already");
  });
});

describe("a Retry-After that is not one of HTTP's forms", () => {
  it("ignores a Retry-After that is negative or not one of HTTP's forms", () => {
    const at = Date.parse("Sun, 06 Nov 1994 08:49:37 GMT");
    const of = (value: string) => retryAfterMs(new Headers({ "retry-after": value }), at - 5_000);
    for (const bad of ["-5", "-1", "abc 2", "Jan 5", "5 seconds", "1e3", "", "Sun, 06 Nov 1994"]) {
      expect(of(bad), bad).toBeUndefined();
    }
    expect(retryAfterMs(new Headers({ "retry-after-ms": "-5" }))).toBeUndefined();
    expect(of("2")).toBe(2_000);
    expect(of("0.5")).toBe(500);
    expect(of("Sun, 06 Nov 1994 08:49:37 GMT")).toBe(5_000);
    expect(of("Sunday, 06-Nov-94 08:49:37 GMT")).toBe(5_000);
    expect(of("Sun Nov  6 08:49:37 1994")).toBe(5_000);
  });

  it("a bad Retry-After backs off instead of retrying at once", async () => {
    await withFakeTimers(async () => {
      const { convai, calls } = clientWith((_r, n) =>
        n === 1 ? json({}, { status: 503, headers: { "retry-after": "-1" } }) : json(conversation),
      );
      const call = tracked(convai.conversations.get("c"));
      await vi.advanceTimersByTimeAsync(374); // the shortest backoff: 500 ms jittered down by a quarter
      expect(calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(126);
      expect(calls).toHaveLength(2);
      expect(await call.result).toMatchObject({ conversation_id: "c" });
    });
  });
});
