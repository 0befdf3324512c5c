/**
 * `portcullis apikeys import <file>`: loads API keys from a JSON-lines file of values or SHA-256
 * digests (format: docs/api-keys.md#importing-keys) into the store, in one transaction: every
 * line is checked, and nothing is written if any line fails (each failure is reported with its
 * line number and field, never with the key) or with --dry-run. A progress bar on stderr; the
 * summary on stdout (JSON with --json). Exit 0 imported, 1 bad lines, 4 only conflicts
 * (keys or names already taken), 2 no such file, 3/5 the database.
 */
import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfigOrFail, withConfigOption } from '../config-option.js';
import { cliLogger } from '../cli-logger.js';
import { openDatabase } from '../open-database.js';
import { createProgressReporter } from '../progress-bar.js';
import { CliFailure, EXIT } from '../exit-codes.js';
import { printJson, runCommand, type CliIo } from '../run-command.js';
import { importKeys, type ImportResult } from '../../apikeys/import/import-keys.js';
import { countLines, readLines } from '../../apikeys/import/read-lines.js';

/** Longest line accepted: a key, its owner, name and metadata (8 KiB at most) fit well within. */
export const MAX_IMPORT_LINE_BYTES = 16 * 1024;
/** Hash algorithms that take milliseconds per key: an import of many values takes hours with them. */
const SLOW_HASHES = new Set(['bcrypt', 'argon2id']);

interface ImportCliOptions {
  config?: string;
  service?: string;
  consumer?: string;
  dryRun?: boolean;
  json?: boolean;
}

export function registerApiKeysImportCommand(apikeys: Command, io: CliIo): void {
  withConfigOption(
    apikeys
      .command('import')
      .description('Import keys from a JSON-lines file of values or SHA-256 digests, all or nothing (see docs/api-keys.md)')
      .argument('<file>', 'the file: one JSON object per line'),
  )
    .option('-s, --service <service>', 'the owner of lines that name none: a service (id or name)')
    .option('-u, --consumer <consumer>', 'the owner of lines that name none: a consumer (id or username), or who the service keys identify')
    .option('--dry-run', 'check every line and roll back: nothing is written')
    .option('--json', 'print the summary as JSON')
    .action((file: string, options: ImportCliOptions) => runImport(io, file, options));
}

function runImport(io: CliIo, file: string, options: ImportCliOptions): Promise<void> {
  return runCommand(io, async (defer) => {
    if (!existsSync(file) || !statSync(file).isFile()) throw new CliFailure(`no file at ${file}`, EXIT.NOT_FOUND);
    const config = await loadConfigOrFail(io, options);
    const parts = await openDatabase({ config, env: io.env, logger: cliLogger(io.stderr), migrations: 'require' });
    defer(() => parts.close());
    const algorithm = parts.keyHashers.current.algorithm;
    if (SLOW_HASHES.has(algorithm)) {
      io.stderr.write(
        `note: api_keys.hash_algorithm is ${algorithm}: each value takes milliseconds to hash (watch the rate below); digests (sha256) are not hashed\n`,
      );
    }
    const total = await countLines(file);
    const started = io.now();
    const reporter = createProgressReporter({ stream: io.stderr, label: 'import', now: () => io.now() });
    const snapshot = (done: number, failed: number) => {
      const seconds = (io.now() - started) / 1000;
      const rate = seconds > 0 ? done / seconds : null;
      return { total, done: done - failed, failed, rate, eta_seconds: rate ? (total - done) / rate : null };
    };
    const result = await importKeys(
      { store: parts.store, config: config.api_keys, issuers: parts.issuers, hashers: parts.keyHashers },
      readLines(file, MAX_IMPORT_LINE_BYTES),
      {
        dryRun: options.dryRun === true,
        defaults: { service: options.service, consumer: options.consumer },
        onProgress: (done, failed) => reporter.update(snapshot(done, failed)),
      },
    );
    reporter.finish(snapshot(result.lines, result.error_count));
    const seconds = (io.now() - started) / 1000;
    report(io, options, result, seconds);
    if (result.error_count === 0) return EXIT.OK;
    return result.errors.every((e) => e.kind === 'conflict') ? EXIT.REFUSED : EXIT.USAGE;
  });
}

function report(io: CliIo, options: ImportCliOptions, result: ImportResult, seconds: number): void {
  const rate = seconds > 0 ? Math.round(result.valid / seconds) : null;
  const errors = result.errors.map(({ line, field, message }) => ({ line, field, message }));
  if (options.json) {
    printJson(io, {
      lines: result.lines,
      valid: result.valid,
      imported: result.imported,
      committed: result.committed,
      dry_run: options.dryRun === true,
      error_count: result.error_count,
      errors,
      seconds: Number(seconds.toFixed(3)),
      keys_per_second: rate,
    });
  } else {
    for (const e of errors) io.stderr.write(`line ${e.line}: ${e.field}: ${e.message}\n`);
    if (result.error_count > errors.length) io.stderr.write(`… and ${result.error_count - errors.length} more lines refused\n`);
    const outcome = result.committed
      ? `imported ${result.imported} keys`
      : options.dryRun && result.error_count === 0
        ? `dry run: ${result.valid} keys would be imported`
        : 'nothing imported';
    io.stdout.write(`${outcome} (${result.lines} lines, ${result.error_count} refused) in ${seconds.toFixed(1)} s${rate !== null ? `, ${rate} keys/s` : ''}\n`);
  }
}
