/**
 * `portcullis import kong <kong.yaml>`: migrates a decK file (Kong's declarative configuration)
 * into the node's database. The whole file is read and checked first (problems at their decK
 * paths, exit 1, nothing written); `--strict` also refuses a file with anything not migratable;
 * `--dry-run` says what would be created. Writes go through the store like the Admin API's, so a
 * running node picks them up from cluster events. Exit codes: 0 done, 1 invalid file, refused by
 * --strict or an item failed, 2 file not found, 3 database unavailable or not migrated.
 */
import type { Command } from 'commander';
import { loadConfigOrReport, withConfigOption } from '../config-option.js';
import type { StoreParts } from '../../node/store-parts.js';
import { openDatabase } from '../open-database.js';
import { CliFailure, EXIT } from '../exit-codes.js';
import { cliLogger } from '../cli-logger.js';
import { createApiKeyService } from '../../apikeys/lifecycle/api-key-service.js';
import { isPortcullisError } from '../../errors/portcullis-error.js';
import { createPluginRegistry, BUILTIN_PLUGINS } from '../../plugins/registry.js';
import { createProgressReporter } from '../progress-bar.js';
import { readDeckFile } from '../../kong-import/read-deck-file.js';
import { mapDeck } from '../../kong-import/map-deck.js';
import { applyPlan } from '../../kong-import/apply-plan.js';
import { renderSummary, summarize } from '../../kong-import/import-summary.js';
import type { DeckProblem, ImportPlan } from '../../kong-import/import-plan.js';

interface ImportOptions {
  config?: string;
  dryRun?: boolean;
  strict?: boolean;
  json?: boolean;
}

export function registerImportCommand(program: Command): void {
  const cmd = program.command('import').description('Import configuration from another gateway');
  withConfigOption(cmd.command('kong').description("Import a decK file (Kong's declarative configuration): services, routes, consumers, key-auth keys …"))
    .argument('<file>', 'the decK file (YAML or JSON)')
    .option('--dry-run', 'check the file and print what would be created; write nothing')
    .option('--strict', 'refuse the file (exit 1, nothing written) when anything in it cannot be migrated')
    .option('--json', 'print the summary as JSON on stdout')
    .action((file: string, options: ImportOptions) => importKong(file, options));
}

async function importKong(file: string, options: ImportOptions): Promise<void> {
  const read = await readDeckFile(file);
  if (!read.ok) return fail(options, read.reason === 'not_found' ? 2 : 1, [{ path: '(file)', message: read.message }]);
  const plan = mapDeck(read.document, { registry: createPluginRegistry(BUILTIN_PLUGINS), nowSeconds: Math.floor(Date.now() / 1000) });
  if (plan.problems.length > 0) return fail(options, 1, plan.problems);
  if (options.strict && plan.unsupported.length > 0) return refuseStrict(options, plan);

  const config = await loadConfigOrReport(options);
  if (!config) return void (process.exitCode = 1);
  let parts: StoreParts | undefined;
  try {
    parts = await openDatabase({ config, env: process.env, logger: cliLogger(), migrations: 'require' });
    const keys = createApiKeyService({ store: parts.store, config: config.api_keys, issuers: parts.issuers, hashers: parts.keyHashers });
    const started = Date.now();
    const progress = createProgressReporter({ stream: process.stderr, label: 'credentials', now: Date.now });
    let last = { done: 0, total: 0 };
    const results = await applyPlan(plan, {
      store: parts.store,
      keys,
      dryRun: options.dryRun === true,
      // A dry run hashes nothing: no progress to show.
      ...(options.dryRun ? {} : { onCredential: (done: number, total: number) => progress.update(snapshot((last = { done, total }), started)) }),
    });
    if (last.total > 0) progress.finish(snapshot(last, started));
    const summary = summarize(plan, results, options.dryRun === true);
    process.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : renderSummary(summary));
    if (summary.totals.failed > 0) process.exitCode = 1;
  } catch (err) {
    if (err instanceof CliFailure || (isPortcullisError(err) && err.status >= 500)) {
      process.stderr.write(`portcullis: ${isPortcullisError(err) ? `${err.code}: ` : ''}${err.message}\n`);
      process.exitCode = err instanceof CliFailure ? err.exitCode : EXIT.UNAVAILABLE;
      return;
    }
    throw err;
  } finally {
    await parts?.close();
  }
}

function snapshot(p: { done: number; total: number }, started: number) {
  const seconds = (Date.now() - started) / 1000;
  const rate = seconds > 0.5 ? p.done / seconds : null;
  return { total: p.total, done: p.done, failed: 0, rate, eta_seconds: rate ? (p.total - p.done) / rate : null };
}

function fail(options: ImportOptions, code: number, problems: readonly DeckProblem[]): void {
  if (options.json) process.stdout.write(`${JSON.stringify({ problems }, null, 2)}\n`);
  process.stderr.write(`portcullis: the file cannot be imported; nothing was written:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}\n`);
  process.exitCode = code;
}

function refuseStrict(options: ImportOptions, plan: ImportPlan): void {
  if (options.json) process.stdout.write(`${JSON.stringify({ unsupported: plan.unsupported }, null, 2)}\n`);
  const lines = plan.unsupported.map((u) => `  ${u.entity} ${u.name} (${u.path}): ${u.reason}`);
  process.stderr.write(`portcullis: --strict: ${plan.unsupported.length} part(s) of the file cannot be migrated; nothing was written:\n${lines.join('\n')}\n`);
  process.exitCode = 1;
}
