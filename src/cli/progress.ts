/**
 * How a run shows where it stands: on a terminal, one line redrawn in place (done of total known,
 * recordings, bytes, rate, time left); elsewhere (CI, a log file) a plain line every few seconds;
 * with `--json`, one JSON object per line on stdout (progress events, then the summary). Written
 * by hand: a carriage return and an erase-line escape are all a single redrawn line needs.
 */

export interface ProgressSnapshot {
  handled: number;
  listed: number;
  listComplete: boolean;
  recordings: number;
  bytes: number;
  exported: number;
  pending: number;
  failed: number;
}

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export type ProgressMode = "tty" | "lines" | "json";

/** A reporter of progress; `update` as often as wanted, it redraws at most every `frameMs`. */
export class ProgressReporter {
  readonly #mode: ProgressMode;
  readonly #out: Output;
  readonly #frameMs: number;
  readonly #now: () => number;
  readonly #started: number;
  #last = -Infinity;
  #drawn = false;
  #latest: ProgressSnapshot | undefined;

  constructor(mode: ProgressMode, out: Output, options: { frameMs?: number; now?: () => number } = {}) {
    this.#mode = mode;
    this.#out = out;
    this.#now = options.now ?? Date.now;
    this.#frameMs = options.frameMs ?? (mode === "tty" ? 100 : mode === "json" ? 1_000 : 5_000);
    this.#started = this.#now();
  }

  update(snapshot: ProgressSnapshot): void {
    this.#latest = snapshot;
    const now = this.#now();
    if (now - this.#last < this.#frameMs) return;
    this.#last = now;
    this.#draw(snapshot, now);
  }

  /** Ends the redrawn line (so what follows starts on its own line). */
  finish(): void {
    if (this.#mode === "tty" && this.#drawn) {
      if (this.#latest) this.#draw(this.#latest, this.#now());
      this.#out.write("\n");
      this.#drawn = false;
    }
  }

  #draw(s: ProgressSnapshot, now: number): void {
    const seconds = Math.max((now - this.#started) / 1000, 0.001);
    const rate = s.handled / seconds;
    if (this.#mode === "json") {
      this.#out.write(
        `${JSON.stringify({ event: "progress", ...s, rate_per_sec: round(rate), elapsed_secs: round(seconds) })}\n`,
      );
      return;
    }
    const line = formatLine(s, rate);
    if (this.#mode === "lines") {
      this.#out.write(`${line}\n`);
      return;
    }
    const width = Math.max((this.#out.columns ?? 80) - 1, 20);
    this.#out.write(`\r\x1b[2K${line.length > width ? line.slice(0, width) : line}`);
    this.#drawn = true;
  }
}

/** `1,234 / 2,000 conversations · 1,100 recordings · 53.1 MB · 41.2/s · 0:19 left` */
export function formatLine(s: ProgressSnapshot, rate: number): string {
  const total = s.listComplete ? count(s.listed) : `${count(s.listed)}+`;
  const left =
    s.listComplete && rate > 0
      ? ` · ${duration((s.listed - s.handled) / rate)} left`
      : s.listComplete
        ? ""
        : " · listing";
  const extra = `${s.pending > 0 ? ` · ${count(s.pending)} pending` : ""}${s.failed > 0 ? ` · ${count(s.failed)} failed` : ""}`;
  return `${count(s.handled)} / ${total} conversations · ${count(s.recordings)} recordings · ${bytes(s.bytes)} · ${rate.toFixed(1)}/s${left}${extra}`;
}

const round = (n: number) => Math.round(n * 10) / 10;

export function count(n: number): string {
  return n.toLocaleString("en-US");
}

export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = n;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) ((value /= 1000), unit++);
  return `${value.toFixed(1)} ${units[unit]}`;
}

export function duration(secs: number): string {
  const s = Math.max(0, Math.round(secs));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}
