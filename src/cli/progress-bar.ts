/**
 * Progress of a long operation (a keyring rewrap) on a terminal: on a TTY one line rewritten in
 * place with `\r` (a bar, done/total, failed, rate, ETA); elsewhere (a pipe, a CI log) plain lines,
 * one every few seconds and one at the end, since `\r` and escape codes only garble a log file.
 * The formatting is pure; the reporter only decides when to write.
 */

/** What a progress report needs (a RewrapProgress has these fields). */
export interface ProgressSnapshot {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  /** Values per second, null when not known yet. */
  readonly rate: number | null;
  readonly eta_seconds: number | null;
}

/** Where the reporter writes: stderr, usually. `isTTY` and `columns` as Node's tty streams have them. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressReporter {
  update(progress: ProgressSnapshot): void;
  /** Writes the last state and ends the line. */
  finish(progress: ProgressSnapshot): void;
}

/** Milliseconds between plain lines when the stream is not a TTY. */
export const PLAIN_LINE_INTERVAL_MS = 5_000;
const MIN_BAR = 10;
const MAX_BAR = 30;
/** ANSI "erase to end of line": a shorter line leaves nothing of the longer one before it. */
const ERASE_LINE_END = '\x1b[K';

/** Values handled so far (re-encrypted or failed), never more than the total. */
function processed(p: ProgressSnapshot): number {
  return Math.min(p.total, p.done + p.failed);
}

/** Whole percent handled; an empty job is complete. */
export function percent(p: ProgressSnapshot): number {
  return p.total <= 0 ? 100 : Math.floor((processed(p) / p.total) * 100);
}

/** `42s`, `3m05s`, `2h07m`; `--` when unknown. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `850/s`, `12.3k/s`, `1.2M/s`; `--/s` when unknown. Below 10 per second, one decimal. */
export function formatRate(rate: number | null): string {
  if (rate === null || !Number.isFinite(rate) || rate < 0) return '--/s';
  if (rate >= 1_000_000) return `${(rate / 1_000_000).toFixed(1)}M/s`;
  if (rate >= 10_000) return `${(rate / 1000).toFixed(1)}k/s`;
  return rate < 10 ? `${rate.toFixed(1)}/s` : `${Math.round(rate)}/s`;
}

/** `[#########---------]`, `width` characters between the brackets. */
export function renderBar(p: ProgressSnapshot, width: number): string {
  const filled = Math.round((percent(p) / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** The TTY line: `[####------]  40%  400/1000  failed 0  120/s  ETA 5s`. */
export function ttyLine(p: ProgressSnapshot, width: number): string {
  return `${renderBar(p, width)} ${String(percent(p)).padStart(3)}%  ${processed(p)}/${p.total}  failed ${p.failed}  ${formatRate(p.rate)}  ETA ${formatDuration(p.eta_seconds)}`;
}

/** A plain line: `rewrap: 400/1000 (40%), 0 failed, 120/s, ETA 5s`. */
export function plainLine(label: string, p: ProgressSnapshot): string {
  return `${label}: ${processed(p)}/${p.total} (${percent(p)}%), ${p.failed} failed, ${formatRate(p.rate)}, ETA ${formatDuration(p.eta_seconds)}`;
}

/** A bar as wide as the terminal allows next to the ~50 characters of text. */
function barWidth(columns: number | undefined): number {
  return Math.max(MIN_BAR, Math.min(MAX_BAR, (columns ?? 80) - 52));
}

/** A reporter writing to `stream`: a rewritten line on a TTY, else a plain line every few seconds. */
export function createProgressReporter(deps: { readonly stream: ProgressStream; readonly label: string; now(): number }): ProgressReporter {
  const { stream, label } = deps;
  if (stream.isTTY) {
    const draw = (p: ProgressSnapshot) => stream.write(`\r${label} ${ttyLine(p, barWidth(stream.columns))}${ERASE_LINE_END}`);
    return {
      update: draw,
      finish(p) {
        draw(p);
        stream.write('\n');
      },
    };
  }
  let lastLine = -Infinity;
  return {
    update(p) {
      const now = deps.now();
      if (now - lastLine < PLAIN_LINE_INTERVAL_MS) return;
      lastLine = now;
      stream.write(`${plainLine(label, p)}\n`);
    },
    finish(p) {
      stream.write(`${plainLine(label, p)}\n`);
    },
  };
}
