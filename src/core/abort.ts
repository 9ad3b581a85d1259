/**
 * Aborts and timers, in one place: every wait in the package (a retry's backoff, a poll's pause,
 * a custom fetch that ignores its signal, a stream the caller stops reading) ends through
 * `onAbort`, and every timer goes through `setTimer` or `deadline` (one timer for every request),
 * which cap a delay Node would otherwise clamp to 1 ms.
 */
import { noop } from "./util.ts";

/** The longest delay `setTimeout` honours (2³¹ − 1 ms, about 24.8 days); Node turns a longer one into 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Calls `listener` once when `signal` aborts (at once if it already has), and returns the function
 * that removes it. The one place a listener is added to a caller's signal, so it is always removed.
 */
export function onAbort(signal: AbortSignal | undefined, listener: (reason: unknown) => void): () => void {
  if (signal === undefined) return noop;
  if (signal.aborted) {
    listener(signal.reason);
    return noop;
  }
  const handler = () => listener(signal.reason);
  signal.addEventListener("abort", handler, { once: true });
  return () => signal.removeEventListener("abort", handler);
}

/** A timer whose delay is capped at {@link MAX_TIMER_MS}; returns the function that clears it. */
export function setTimer(ms: number, fire: () => void): () => void {
  const timer = setTimeout(fire, Math.min(ms, MAX_TIMER_MS));
  return () => clearTimeout(timer);
}

interface Deadline {
  at: number;
  fire: () => void;
}

/** The requests' deadlines: one timer for all of them, armed for the earliest. */
const deadlines = new Set<Deadline>();
let armedAt = Infinity;
let armed: ReturnType<typeof setTimeout> | undefined;
let armedWith: typeof setTimeout | undefined;
let disarm: typeof clearTimeout | undefined;

/**
 * Calls `fire` in `ms` (capped at {@link MAX_TIMER_MS}) unless the returned function is called
 * first. Unlike a timer per request, registering and clearing a deadline is a set insertion and a
 * deletion: one shared timer waits for the earliest, and does not keep a process alive by itself.
 */
export function deadline(ms: number, fire: () => void): () => void {
  const entry: Deadline = { at: Date.now() + Math.min(ms, MAX_TIMER_MS), fire };
  deadlines.add(entry);
  // A timer armed through other timer functions (a test's fake clock installed or removed since)
  // may never fire on this clock: re-arm on the one in place now.
  if (entry.at < armedAt || armedWith !== setTimeout) arm(Math.min(entry.at, armedAt));
  return () => deadlines.delete(entry);
}

function arm(at: number): void {
  if (armed !== undefined) disarm?.(armed);
  armedWith = setTimeout;
  disarm = clearTimeout;
  armedAt = at;
  armed = setTimeout(expire, Math.max(0, at - Date.now()));
  (armed as { unref?: () => void }).unref?.();
}

function expire(): void {
  armed = undefined;
  armedAt = Infinity;
  const now = Date.now();
  let next = Infinity;
  for (const entry of deadlines) {
    if (entry.at <= now) {
      deadlines.delete(entry);
      entry.fire();
    } else if (entry.at < next) next = entry.at;
  }
  if (next < Infinity) arm(next);
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let clear = noop;
    const unlisten = onAbort(signal, (reason) => {
      clear();
      reject(reason);
    });
    if (signal?.aborted) return;
    clear = setTimer(ms, () => {
      unlisten();
      resolve();
    });
  });
}

/** `promise`, or a rejection with the signal's reason if the signal aborts first. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const unlisten = onAbort(signal, reject);
    promise.then(
      (value) => (unlisten(), resolve(value)),
      (error: unknown) => (unlisten(), reject(error)),
    );
  });
}

/** A signal that aborts when any of `signals` does, with that signal's reason; `dispose` unlinks it. */
export function linkSignals(signals: readonly (AbortSignal | undefined)[]): {
  signal: AbortSignal;
  dispose: () => void;
} {
  const controller = new AbortController();
  const unlinks: (() => void)[] = [];
  const dispose = () => unlinks.splice(0).forEach((unlink) => unlink());
  for (const signal of signals) {
    unlinks.push(
      onAbort(signal, (reason) => {
        dispose();
        controller.abort(reason);
      }),
    );
    if (controller.signal.aborted) break;
  }
  return { signal: controller.signal, dispose };
}
