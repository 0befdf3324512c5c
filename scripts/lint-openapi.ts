/**
 * Lints the Admin API's OpenAPI document with Redocly (`recommended`) and Spectral (`spectral:oas`).
 * `npm run lint:openapi` starts a node in this process on a throwaway SQLite database, reads its
 * served `/openapi.json` and prints every problem and the counts by linter, severity and rule; it
 * exits 1 when there is any. `npm run lint:openapi -- <url-or-file>` lints that document instead.
 * `lintOpenApi` is what `src/admin/openapi-lint.test.ts` runs in `npm test`.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import spectralCore from '@stoplight/spectral-core';
import spectralParsers from '@stoplight/spectral-parsers';
import spectralRulesets from '@stoplight/spectral-rulesets';

/** One problem a linter reports, flattened to what a reader needs. */
export interface LintProblem {
  readonly linter: 'redocly' | 'spectral';
  readonly rule: string;
  readonly severity: 'error' | 'warn' | 'info' | 'hint';
  readonly message: string;
  /** JSON pointer-ish path of the offending node. */
  readonly where: string;
}

const SPECTRAL_SEVERITY = ['error', 'warn', 'info', 'hint'] as const;

/** Every problem both linters find in `document` (infos and hints included). */
export async function lintOpenApi(document: unknown): Promise<LintProblem[]> {
  const source = JSON.stringify(document, null, 2);
  const redocly = await lintFromString({ source, absoluteRef: 'openapi.json', config: await createConfig({ extends: ['recommended'] }) });
  const spectral = new spectralCore.Spectral();
  spectral.setRuleset({ extends: [[spectralRulesets.oas as never, 'recommended']] } as never);
  const found = await spectral.run(new spectralCore.Document(source, spectralParsers.Json, 'openapi.json'));
  return [
    ...redocly.map((p) => ({
      linter: 'redocly' as const,
      rule: p.ruleId,
      severity: p.severity === 'error' ? ('error' as const) : ('warn' as const),
      message: p.message,
      where: p.location[0]?.pointer ?? '',
    })),
    ...found.map((p) => ({
      linter: 'spectral' as const,
      rule: String(p.code),
      severity: SPECTRAL_SEVERITY[p.severity] ?? 'error',
      message: p.message,
      where: '#/' + p.path.join('/'),
    })),
  ];
}

/** `linter severity rule: count` lines, most frequent first. */
export function countProblems(problems: readonly LintProblem[]): string[] {
  const counts = new Map<string, number>();
  for (const p of problems) counts.set(`${p.linter} ${p.severity} ${p.rule}`, (counts.get(`${p.linter} ${p.severity} ${p.rule}`) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([key, n]) => `${key}: ${n}`);
}

async function servedDocument(): Promise<unknown> {
  // Imported here so that importing `lintOpenApi` does not load a whole node.
  const { startTestNode } = await import('../test/support/running-node.js');
  const node = await startTestNode('sqlite');
  try {
    const res = await node.call('GET', '/openapi.json');
    if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}`);
    return res.body;
  } finally {
    await node.close();
  }
}

async function main(argument: string | undefined): Promise<number> {
  const document = !argument
    ? await servedDocument()
    : /^https?:/.test(argument)
      ? await (await fetch(argument)).json()
      : (JSON.parse(readFileSync(argument, 'utf8')) as unknown);
  const problems = await lintOpenApi(document);
  for (const p of problems) process.stdout.write(`${p.linter} ${p.severity} ${p.rule} ${p.where}: ${p.message}\n`);
  process.stdout.write(`\n${problems.length} problem(s)\n${countProblems(problems).join('\n')}\n`);
  return problems.length === 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv[2]).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
