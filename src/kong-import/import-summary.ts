/**
 * The report of an import: counts by entity kind and outcome, what was not migrated and why, and
 * the items that were skipped or failed. One value, printed as text or as JSON (`--json`); no
 * field ever holds a credential.
 */
import type { ImportPlan, PlannedItem, UnsupportedItem } from './import-plan.js';
import type { ItemResult, Outcome } from './apply-plan.js';

/** Plural names of the kinds, as the Admin API names the collections. */
const COLLECTION: Readonly<Record<PlannedItem['kind'], string>> = {
  ca_certificate: 'ca_certificates',
  certificate: 'certificates',
  service: 'services',
  route: 'routes',
  consumer: 'consumers',
  plugin: 'plugins',
  basic_auth: 'basicauth_credentials',
  api_key: 'api_keys',
};

export type Counts = Record<Outcome, number>;

export interface ImportSummary {
  readonly dry_run: boolean;
  /** Per collection: created (or would be, with dry_run), already present, skipped, failed. */
  readonly counts: Readonly<Record<string, Counts>>;
  readonly totals: Counts & { readonly unsupported: number };
  /** Parts of the file not migrated (entity, name, path, reason; `skipped: false` = imported without that part). */
  readonly unsupported: readonly UnsupportedItem[];
  /** Items of the plan that were skipped or failed when written, with why. */
  readonly not_imported: readonly ItemResult[];
  /** With dry_run: every item of the plan and what would happen to it. */
  readonly items?: readonly ItemResult[];
}

export function summarize(plan: ImportPlan, results: readonly ItemResult[], dryRun: boolean): ImportSummary {
  const zero = (): Counts => ({ created: 0, exists: 0, skipped: 0, failed: 0 });
  const counts: Record<string, Counts> = {};
  const totals = zero();
  for (const r of results) {
    (counts[COLLECTION[r.kind]] ??= zero())[r.outcome]++;
    totals[r.outcome]++;
  }
  return {
    dry_run: dryRun,
    counts,
    totals: { ...totals, unsupported: plan.unsupported.length },
    unsupported: plan.unsupported,
    not_imported: results.filter((r) => r.outcome === 'skipped' || r.outcome === 'failed'),
    ...(dryRun ? { items: results } : {}),
  };
}

/** The summary as text for a terminal. */
export function renderSummary(summary: ImportSummary): string {
  const lines: string[] = [];
  for (const r of summary.items ?? []) {
    if (r.outcome === 'created' || r.outcome === 'exists')
      lines.push(`${r.outcome === 'created' ? 'would create' : 'present     '} ${r.kind} ${r.label} (${r.path})`);
  }
  if (summary.unsupported.length > 0) {
    lines.push('Not migrated:');
    for (const u of summary.unsupported) lines.push(`  ${u.skipped ? 'skipped ' : 'partial '} ${u.entity} ${u.name} (${u.path}): ${u.reason}`);
  }
  if (summary.not_imported.length > 0) {
    lines.push('Not written:');
    for (const r of summary.not_imported) lines.push(`  ${r.outcome.padEnd(8)} ${r.kind} ${r.label} (${r.path}): ${r.reason ?? ''}`);
  }
  const created = summary.dry_run ? 'would create' : 'created';
  lines.push(`${summary.dry_run ? 'Dry run, nothing written' : 'Import done'}:`);
  for (const [collection, c] of Object.entries(summary.counts)) {
    lines.push(`  ${collection.padEnd(22)} ${created} ${c.created}, already present ${c.exists}, skipped ${c.skipped}, failed ${c.failed}`);
  }
  const t = summary.totals;
  lines.push(
    `  ${'total'.padEnd(22)} ${created} ${t.created}, already present ${t.exists}, skipped ${t.skipped}, failed ${t.failed}, not migrated ${t.unsupported}`,
  );
  return `${lines.join('\n')}\n`;
}
