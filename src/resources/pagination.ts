/**
 * One generic cursor walker. Lazy: a page is fetched only when the loop asks for an item past
 * the ones already fetched, so a `break` stops fetching. Guarded: a cursor the API already gave,
 * or `has_more` without a cursor, ends in an error instead of a loop. Resumable: an error that
 * ends a walk carries the cursor of the page that failed, and a walk started from it goes on
 * without losing or repeating an item.
 */
import { ConvaiError, ConvaiPaginationError } from "../core/errors.ts";
import { NONE } from "../core/util.ts";

export interface CursorSource<Page, Item> {
  /** Fetches the page after `cursor` (the first page when `cursor` is undefined). */
  fetchPage(cursor: string | undefined): Promise<Page>;
  items(page: Page): readonly Item[];
  /** The cursor of the next page, or undefined when this is the last page. */
  next(page: Page): string | undefined;
  /** Names the list in error messages. */
  label: string;
  /** Removes secrets from a cursor before an error carries it (a server could echo anything into one). */
  redact?(cursor: string): string;
}

/**
 * An async iterable over every item of every page, with `.pages()` for whole pages and
 * `.toArray({ max })` to collect with a bound.
 *
 * @example
 * for await (const c of convai.conversations.list({ agent_id })) {
 *   if (c.start_time_unix_secs < since) break; // newest first: stop early, no further requests
 * }
 */
export class Paginator<Page, Item> implements AsyncIterable<Item> {
  readonly #source: CursorSource<Page, Item>;
  readonly #start: string | undefined;

  constructor(source: CursorSource<Page, Item>, startCursor?: string) {
    this.#source = source;
    this.#start = startCursor;
  }

  /**
   * Yields whole pages, fetching each only when asked for. An error of the package that ends the
   * walk carries `cursor`: the cursor of the page that could not be fetched (for a
   * `ConvaiPaginationError`, of the page whose next cursor was wrong, so resuming repeats that page).
   */
  async *pages(): AsyncGenerator<Page, void, undefined> {
    const source = this.#source;
    const seen = new Set<string>();
    let cursor = this.#start;
    for (;;) {
      let page: Page | undefined;
      let next: string | undefined;
      try {
        page = await source.fetchPage(cursor);
        next = source.next(page);
        if (next !== undefined && (seen.has(next) || next === this.#start)) {
          throw new ConvaiPaginationError(`${source.label}: the API returned a cursor it had already given; stopping`, {
            operation: source.label,
          });
        }
      } catch (error) {
        if (error instanceof ConvaiError) {
          const at = cursor === undefined || source.redact === undefined ? cursor : source.redact(cursor);
          Object.defineProperty(error, "cursor", { value: at, enumerable: true, configurable: true });
        }
        throw error;
      }
      yield page;
      // Let the page go before the next one is fetched: a collection during that wait would
      // otherwise copy a whole page it no longer needs (the loop holds what it still uses).
      page = undefined;
      if (next === undefined) return;
      seen.add(next);
      cursor = next;
    }
  }

  /**
   * Items one by one. Written as an iterator object rather than an async generator delegating to
   * the page's items, and with `next` a plain function: an item already fetched costs one settled
   * promise and its result, where an `async` method also allocated its suspended frame per item,
   * and lists run to thousands. Only the step to the next page awaits; `next` calls made while it
   * does queue behind it, so none takes a later page and skips the rest of this one.
   */
  [Symbol.asyncIterator](): AsyncIterator<Item, undefined> {
    const pages = this.pages();
    const source = this.#source;
    let current: readonly Item[] = NONE;
    let i = 0;
    let waiting: Promise<IteratorResult<Item, undefined>> | undefined;
    const nextPage = async (): Promise<IteratorResult<Item, undefined>> => {
      while (i >= current.length) {
        current = NONE; // the page read to its end is not kept alive while the next is fetched
        const page = await pages.next();
        if (page.done) return { done: true, value: undefined };
        current = source.items(page.value);
        i = 0;
      }
      return { done: false, value: current[i++]! };
    };
    return {
      next(): Promise<IteratorResult<Item, undefined>> {
        if (waiting === undefined && i < current.length) return Promise.resolve({ done: false, value: current[i++]! });
        const result: Promise<IteratorResult<Item, undefined>> =
          waiting === undefined ? nextPage() : waiting.then(nextPage, nextPage);
        waiting = result;
        const settled = () => {
          if (waiting === result) waiting = undefined;
        };
        result.then(settled, settled);
        return result;
      },
      async return(): Promise<IteratorResult<Item, undefined>> {
        await pages.return(undefined); // a `break`: no further page is fetched
        return { done: true, value: undefined };
      },
    };
  }

  /**
   * Collects items until `max` are in hand or the list ends; fetches no page beyond that.
   *
   * @example
   * const recent = await convai.conversations.list({ page_size: 100 }).toArray({ max: 500 });
   */
  async toArray(options: { max: number }): Promise<Item[]> {
    // Checked whole: from plain JavaScript, `toArray()` would otherwise fail reading `max` of undefined.
    const max = (options as { max?: unknown } | null | undefined)?.max as number;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`${this.#source.label}: toArray needs max, a positive integer, got ${String(max)}`);
    }
    const out: Item[] = [];
    // The items' own walk: leaving it at `max` ends the pages, so no page beyond is fetched.
    for await (const item of this) if (out.push(item) >= max) break;
    return out;
  }
}

/** `has_more`/`next_cursor` pages, as the conversations list returns them. */
export function nextCursorOf(
  label: string,
  page: { has_more: boolean; next_cursor?: string | null },
): string | undefined {
  if (!page.has_more) return undefined;
  if (typeof page.next_cursor !== "string" || page.next_cursor === "") {
    throw new ConvaiPaginationError(`${label}: the API said has_more but sent no next_cursor; stopping`, {
      operation: label,
    });
  }
  return page.next_cursor;
}
