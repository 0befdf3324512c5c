/**
 * Summaries of the proxy benchmark: the median of each target's rounds, the Portcullis/minimal
 * ratios the performance goal is stated in, and the same data as a console table, Markdown and
 * JSON (written to bench/results/).
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

export interface Ratios {
  /** Portcullis req/s ÷ minimal proxy req/s, of the medians (goal ≥ 0.85). */
  readonly rps: number;
  /** The median of the same ratio taken within each round (robust to drift between rounds). */
  readonly rpsPerRound: number;
  /** Portcullis p99 − minimal proxy p99, in ms (goal ≤ 1). */
  readonly p99DeltaMs: number;
  readonly meanLatencyDeltaMs: number;
  /** Minimal proxy CPU per request ÷ Portcullis CPU per request: the req/s ratio a CPU-bound proxy would reach. */
  readonly cpuEfficiency: number;
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

/** `subject` against `reference` (by default Portcullis against the minimal proxy). */
export function ratios(summaries: readonly Summary[], runs: readonly Run[], subject = 'portcullis', reference = 'minimal'): Ratios {
  const ref = summaries.find((s) => s.target === reference)!;
  const sub = summaries.find((s) => s.target === subject)!;
  const perRound = [...new Set(runs.map((r) => r.round))].map((round) => {
    const of = (target: string) => runs.find((r) => r.round === round && r.target === target)!.rps;
    return of(subject) / of(reference);
  });
  return {
    rps: sub.rps / ref.rps,
    rpsPerRound: median(perRound),
    p99DeltaMs: sub.p99 - ref.p99,
    meanLatencyDeltaMs: sub.meanLatency - ref.meanLatency,
    cpuEfficiency: ref.cpuUsPerRequest / sub.cpuUsPerRequest,
  };
}

/** The results as a Markdown document. */
export function toMarkdown(
  summaries: readonly Summary[],
  r: Ratios,
  runs: readonly Run[],
  setup: Record<string, unknown>,
  keyAuth: Ratios | null = null,
  baseline: { readonly noAuth: Ratios; readonly keyAuth: Ratios } | null = null,
): string {
  const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [
    '# Proxy benchmark',
    '',
    ...Object.entries(setup).map(([k, v]) => `- ${k}: ${String(v)}`),
    '',
    row(['target', 'req/s (median)', 'p50 ms', 'p99 ms', 'mean ms', 'CPU µs/req', 'errors + non-2xx']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...summaries.map((s) => row([s.target, Math.round(s.rps), s.p50, s.p99, s.meanLatency.toFixed(2), s.cpuUsPerRequest.toFixed(1), s.errors])),
    '',
    `Portcullis / minimal: **${(r.rps * 100).toFixed(1)} %** of req/s (goal ≥ 85 %; median of per-round ratios ${(r.rpsPerRound * 100).toFixed(1)} %), ` +
      `p99 delta **${r.p99DeltaMs.toFixed(1)} ms** (goal ≤ 1 ms), mean latency delta ${r.meanLatencyDeltaMs.toFixed(2)} ms. ` +
      `CPU per request: minimal ÷ Portcullis = **${(r.cpuEfficiency * 100).toFixed(1)} %**.`,
    '',
    ...(keyAuth
      ? [
          `key-auth (cached key) / same node without auth: **${(keyAuth.rps * 100).toFixed(1)} %** of req/s (goal ≥ 90 %; median of per-round ratios ${(keyAuth.rpsPerRound * 100).toFixed(1)} %), ` +
            `p99 delta **${keyAuth.p99DeltaMs.toFixed(1)} ms**. CPU per request: no auth ÷ key-auth = **${(keyAuth.cpuEfficiency * 100).toFixed(1)} %**.`,
          '',
        ]
      : []),
    ...(baseline
      ? [
          ...(
            [
              ['no auth', 'portcullis', baseline.noAuth],
              ['key-auth', 'key-auth', baseline.keyAuth],
            ] as const
          ).map(
            ([label, target, b]) =>
              `This checkout / baseline (${label}, \`${target}\` vs \`baseline${target === 'portcullis' ? '' : '-key-auth'}\`): **${(b.rps * 100).toFixed(1)} %** of req/s ` +
              `(median of per-round ratios ${(b.rpsPerRound * 100).toFixed(1)} %), p99 delta ${b.p99DeltaMs.toFixed(1)} ms. ` +
              `CPU per request: baseline ÷ this = **${(b.cpuEfficiency * 100).toFixed(1)} %**.`,
          ),
          '',
        ]
      : []),
    '## Every run',
    '',
    row(['round', 'target', 'req/s', 'p50 ms', 'p99 ms', 'mean ms', 'CPU µs/req']),
    row(['---:', '---', '---:', '---:', '---:', '---:', '---:']),
    ...runs.map((x) => row([x.round, x.target, Math.round(x.rps), x.p50, x.p99, x.meanLatency.toFixed(2), x.cpuUsPerRequest.toFixed(1)])),
    '',
  ].join('\n');
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
