/**
 * `portcullis config dump` and `portcullis config apply <file>`: the database's services, routes,
 * consumers, plugins, vaults, certificates, SNIs and CA certificates as one declarative YAML file,
 * and that file applied back (diff, then one transaction; `--dry-run` shows the diff and rolls
 * back). Like the other commands that open the database (`apikeys`), they work on it directly;
 * running nodes pick the changes up from `cluster_events`. The diff goes to stdout, progress and
 * errors to stderr. Exit codes: 0 done, 1 the file is not valid or cannot be applied, 2 the file
 * is missing, 3 the database is unavailable. Rules and format: docs/declarative-config.md.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfigOrReport, withConfigOption } from '../config-option.js';
import { openDatabase } from '../open-database.js';
import { CliFailure, EXIT } from '../exit-codes.js';
import { cliLogger } from '../cli-logger.js';
import { isPortcullisError } from '../../errors/portcullis-error.js';
import { createProgressReporter } from '../progress-bar.js';
import { declarativeDeps } from '../../declarative/declarative-deps.js';
import type { DeclarativeDeps } from '../../declarative/apply-document.js';
import { applyDocument } from '../../declarative/apply-document.js';
import { dumpState, serializeDocument } from '../../declarative/dump-state.js';
import { changeJson, changeLine, changesSummary, errorLine } from '../../declarative/format-changes.js';
import { MAX_DOCUMENT_BYTES } from '../../declarative/load-document.js';

/** Applies with at least this many changes report progress on stderr. */
const PROGRESS_FROM = 50;

interface Options {
  config?: string;
  json?: boolean;
}

export function registerDeclarativeCommands(config: Command): void {
  withConfigOption(config.command('dump').description('Print the entities of the database as a declarative YAML file (secrets never included)'))
    .option('--json', 'print JSON instead of YAML')
    .action((options: Options) =>
      withDeclarative(options, async (deps) => {
        process.stdout.write(serializeDocument(await dumpState(deps.store, deps.nested), options.json ? 'json' : 'yaml'));
      }),
    );

  withConfigOption(
    config
      .command('apply')
      .description('Make the database hold exactly what a declarative file holds (API keys are never deleted)')
      .argument('<file>', 'the YAML or JSON file (`-`: standard input)'),
  )
    .option('--dry-run', 'print the diff and change nothing')
    .option('--json', 'print the diff and the errors as JSON')
    .action(async (file: string, options: Options & { dryRun?: boolean }) => {
      const text = await readDocument(file);
      if (text === null) return;
      await withDeclarative(options, async (deps) => {
        const reporter = createProgressReporter({ stream: process.stderr, label: 'apply', now: Date.now });
        const started = Date.now();
        const snapshot = (done: number, total: number) => {
          const seconds = (Date.now() - started) / 1000;
          const rate = seconds > 0 ? done / seconds : null;
          return { total, done, failed: 0, rate, eta_seconds: rate ? (total - done) / rate : null };
        };
        const result = await applyDocument(deps, text, {
          dryRun: options.dryRun === true,
          onProgress: (done, total) => {
            if (total < PROGRESS_FROM) return;
            if (done < total) reporter.update(snapshot(done, total));
            else reporter.finish(snapshot(done, total));
          },
        });
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify(
              {
                dry_run: options.dryRun === true,
                applied: result.ok && !options.dryRun,
                changes: result.changes.map(changeJson),
                errors: result.ok ? [] : result.errors,
              },
              null,
              2,
            )}\n`,
          );
        } else {
          for (const change of result.changes) process.stdout.write(`${changeLine(change)}\n`);
          if (result.ok) process.stdout.write(`${changesSummary(result.changes)}\n`);
        }
        if (!result.ok) {
          const why = {
            file: 'the file is not valid',
            plan: 'the file cannot be applied to this database',
            apply: 'the database refused a change; nothing was written',
          };
          process.stderr.write(`portcullis: ${why[result.stage]}:\n${result.errors.map((e) => `  ${errorLine(e)}\n`).join('')}`);
          process.exitCode = 1;
        } else if (options.dryRun) process.stderr.write('dry run: nothing was written\n');
        else if (result.changes.length > 0) process.stderr.write('applied\n');
      });
    });
}

/** The file's text, or null after saying why it cannot be read (exit code 2, or 1 when too large). */
async function readDocument(file: string): Promise<string | null> {
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_DOCUMENT_BYTES) throw new RangeError();
        chunks.push(chunk);
      }
      return Buffer.concat(chunks).toString('utf8');
    }
    if ((await stat(file)).size > MAX_DOCUMENT_BYTES) throw new RangeError();
    return await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof RangeError) {
      process.stderr.write(`portcullis: ${file} is larger than ${MAX_DOCUMENT_BYTES} bytes\n`);
      process.exitCode = 1;
      return null;
    }
    process.stderr.write(`portcullis: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    process.exitCode = 2;
    return null;
  }
}

/** Opens the node's database (migrated, keyring loaded), runs `fn`, reports store errors cleanly. */
async function withDeclarative(options: Options, fn: (deps: DeclarativeDeps) => Promise<void>): Promise<void> {
  const config = await loadConfigOrReport(options);
  if (!config) return void (process.exitCode = 1);
  // openDatabase: a missing database is refused before anything is created (a dump is read-only),
  // with the path it looked at; pending migrations exit 5, an unreachable database 3.
  const parts = await openDatabase({ config, env: process.env, logger: cliLogger(), migrations: 'require' }).catch((err: unknown) => {
    if (!(err instanceof CliFailure) && !isPortcullisError(err)) throw err;
    process.stderr.write(`portcullis: ${isPortcullisError(err) ? `${err.code}: ` : ''}${err.message}\n`);
    process.exitCode = err instanceof CliFailure ? err.exitCode : EXIT.UNAVAILABLE;
    return null;
  });
  if (!parts) return;
  try {
    await fn(declarativeDeps(parts, config));
  } catch (err) {
    if (!isPortcullisError(err)) throw err;
    process.stderr.write(`portcullis: ${err.code}: ${err.message}\n`);
    process.exitCode = err.status >= 500 ? 3 : 1;
  } finally {
    await parts.close();
  }
}
