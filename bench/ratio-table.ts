/**
 * The one table `npm run bench` prints: each comparison of issue 12 as a ratio of two targets of
 * the same run (req/s of the medians, the median of the per-round ratios, CPU per request), with
 * the goal it is held to. A row whose targets did not run (in-process mode, no baseline) is left
 * out. Also the Markdown document of a run: setup, this table, the per-target medians, the
 * micro-benchmarks' output and every run.
 */
import type { Run, Summary } from './report.js';

export interface RatioRow {
  readonly label: string;
  readonly subject: string;
  readonly reference: string;
  /** What the goal is held to, or null (reported only). */
  readonly goal:
    | { readonly kind: 'rps' | 'cpu'; readonly atLeast: number; readonly text: string }
    | { readonly kind: 'cpu-delta'; readonly atMostUs: number; readonly text: string }
    | null;
}

/** The comparisons, in the order printed. */
export const RATIO_ROWS: readonly RatioRow[] = [
  { label: 'Portcullis ÷ minimal proxy (no auth)', subject: 'portcullis', reference: 'minimal', goal: { kind: 'rps', atLeast: 1, text: 'req/s ≥ 1.0×' } },
  {
    label: 'CPU per request: minimal ÷ Portcullis (no auth)',
    subject: 'portcullis',
    reference: 'minimal',
    goal: { kind: 'cpu', atLeast: 1, text: 'CPU/req ≤ minimal' },
  },
  {
    label: "Portcullis ÷ minimal proxy sending the gateway's headers (no auth)",
    subject: 'portcullis',
    reference: 'minimal-headers',
    goal: null,
  },
  {
    label: 'minimal proxy inside a Portcullis node ÷ minimal proxy alone (what the process around costs)',
    subject: 'minimal-in-node',
    reference: 'minimal',
    goal: null,
  },
  {
    label: "Portcullis ÷ minimal proxy sending the gateway's headers inside a node (the request path alone)",
    subject: 'portcullis',
    reference: 'minimal-headers-in-node',
    goal: null,
  },
  {
    label: 'key-auth (cached key) ÷ no auth, same node',
    subject: 'key-auth',
    reference: 'portcullis',
    goal: { kind: 'cpu-delta', atMostUs: 3, text: '≤ +3 µs CPU/req' },
  },
  { label: 'Portcullis key-auth ÷ minimal key check', subject: 'key-auth', reference: 'minimal-key', goal: null },
  {
    label: 'Portcullis key-auth ÷ fast-gateway key hook',
    subject: 'key-auth',
    reference: 'fast-gateway-key',
    goal: { kind: 'rps', atLeast: 1.6, text: 'req/s ≥ 1.6×' },
  },
  { label: 'Portcullis ÷ fast-gateway (no auth)', subject: 'portcullis', reference: 'fast-gateway', goal: null },
  { label: 'this checkout ÷ baseline (no auth)', subject: 'portcullis', reference: 'baseline', goal: null },
  { label: 'this checkout ÷ baseline (key-auth)', subject: 'key-auth', reference: 'baseline-key-auth', goal: null },
];

export interface RatioResult {
  readonly label: string;
  readonly subject: string;
  readonly reference: string;
  /** subject req/s ÷ reference req/s, of the medians. */
  readonly rps: number;
  /** The median of the same ratio taken within each round (robust to drift between rounds). */
  readonly rpsPerRound: number;
  /** reference CPU µs/req ÷ subject CPU µs/req: the req/s ratio a CPU-bound proxy would reach. */
  readonly cpu: number;
  /** subject CPU µs/req − reference CPU µs/req. */
  readonly cpuDeltaUs: number;
  readonly p99DeltaMs: number;
  readonly goal: string;
  /** Whether the goal was met; null without a goal. */
  readonly met: boolean | null;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The rows whose two targets ran. */
export function ratioTable(rows: readonly RatioRow[], summaries: readonly Summary[], runs: readonly Run[]): RatioResult[] {
  const of = (target: string) => summaries.find((s) => s.target === target);
  return rows.flatMap((row) => {
    const [sub, ref] = [of(row.subject), of(row.reference)];
    if (sub === undefined || ref === undefined) return [];
    const perRound = [...new Set(runs.map((r) => r.round))].map((round) => {
      const rps = (target: string) => runs.find((r) => r.round === round && r.target === target)!.rps;
      return rps(row.subject) / rps(row.reference);
    });
    const result = {
      label: row.label,
      subject: row.subject,
      reference: row.reference,
      rps: sub.rps / ref.rps,
      rpsPerRound: median(perRound),
      cpu: ref.cpuUsPerRequest / sub.cpuUsPerRequest,
      cpuDeltaUs: sub.cpuUsPerRequest - ref.cpuUsPerRequest,
      p99DeltaMs: sub.p99 - ref.p99,
      goal: row.goal?.text ?? '',
    };
    const goal = row.goal;
    const met =
      goal === null
        ? null
        : goal.kind === 'cpu-delta'
          ? result.cpuDeltaUs <= goal.atMostUs
          : (goal.kind === 'rps' ? result.rpsPerRound : result.cpu) >= goal.atLeast;
    return [{ ...result, met }];
  });
}

/** The run as Markdown: setup, ratios, medians, micro-benchmarks, every run. */
export function ratioMarkdown(
  setup: Record<string, unknown>,
  summaries: readonly Summary[],
  table: readonly RatioResult[],
  runs: readonly Run[],
  micro: readonly { name: string; output: string }[],
): string {
  const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  const x = (v: number) => `${v.toFixed(2)}×`;
  return [
    '# Proxy benchmark',
    '',
    ...Object.entries(setup).map(([k, v]) => `- ${k}: ${String(v)}`),
    '',
    '## Ratios (same run)',
    '',
    row(['comparison', 'req/s ratio', 'per-round median', 'CPU/req ref ÷ subject', 'CPU µs/req delta', 'p99 delta ms', 'goal', 'met']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---', '---']),
    ...table.map((r) =>
      row([
        r.label,
        x(r.rps),
        x(r.rpsPerRound),
        x(r.cpu),
        r.cpuDeltaUs.toFixed(1),
        r.p99DeltaMs.toFixed(2),
        r.goal,
        r.met === null ? '' : r.met ? 'yes' : 'no',
      ]),
    ),
    '',
    '## Per target (medians over rounds)',
    '',
    row(['target', 'req/s', 'p50 ms', 'p99 ms', 'mean ms', 'CPU µs/req', 'errors + non-2xx']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...summaries.map((s) =>
      row([s.target, Math.round(s.rps), s.p50.toFixed(2), s.p99.toFixed(2), s.meanLatency.toFixed(2), s.cpuUsPerRequest.toFixed(1), s.errors]),
    ),
    '',
    ...micro.flatMap((m) => [`## ${m.name}`, '', '```', m.output, '```', '']),
    '## Every run',
    '',
    row(['round', 'target', 'req/s', 'p50 ms', 'p99 ms', 'mean ms', 'CPU µs/req', 'errors']),
    row(['---:', '---', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...runs.map((r) =>
      row([r.round, r.target, Math.round(r.rps), r.p50.toFixed(2), r.p99.toFixed(2), r.meanLatency.toFixed(2), r.cpuUsPerRequest.toFixed(1), r.errors]),
    ),
    '',
  ].join('\n');
}
