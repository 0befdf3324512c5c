/**
 * Summaries of the proxy benchmark: the median of each target's rounds, and the results written
 * to bench/results/ (the ratios and the Markdown are `ratio-table.ts`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One autocannon run against one target. */
export interface Run {
  readonly target: string;
  readonly round: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly meanLatency: number;
  /** CPU time the target's process used per request, in microseconds (user + system). */
  readonly cpuUsPerRequest: number;
  readonly errors: number;
  readonly non2xx: number;
}

export interface Summary {
  readonly target: string;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly meanLatency: number;
  readonly cpuUsPerRequest: number;
  readonly errors: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Per-target medians over rounds, in the order targets first appear. */
export function summarize(runs: readonly Run[]): Summary[] {
  const targets = [...new Set(runs.map((r) => r.target))];
  return targets.map((target) => {
    const mine = runs.filter((r) => r.target === target);
    return {
      target,
      rps: median(mine.map((r) => r.rps)),
      p50: median(mine.map((r) => r.p50)),
      p99: median(mine.map((r) => r.p99)),
      meanLatency: median(mine.map((r) => r.meanLatency)),
      cpuUsPerRequest: median(mine.map((r) => r.cpuUsPerRequest)),
      errors: mine.reduce((n, r) => n + r.errors + r.non2xx, 0),
    };
  });
}

/** Writes `<stem>.json` and `<stem>.md` under `dir`, and copies them as `proxy-latest.*`. */
export function writeResults(dir: string, stem: string, json: unknown, markdown: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files = [join(dir, `${stem}.json`), join(dir, `${stem}.md`), join(dir, 'proxy-latest.json'), join(dir, 'proxy-latest.md')];
  writeFileSync(files[0]!, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(files[1]!, markdown);
  writeFileSync(files[2]!, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(files[3]!, markdown);
  return files.slice(0, 2);
}
