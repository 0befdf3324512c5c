/**
 * `portcullis migrate up|status`: applies or lists database migrations. `status` exits 5
 * (EXIT.PENDING_MIGRATIONS) while migrations are pending, so a deploy script can run
 * `portcullis migrate status || portcullis migrate up`; it never creates a database (exit 3 with
 * the path it looked at). `up` is the one command that creates the database and its folder.
 */
import type { Command } from 'commander';
import { loadConfigOrFail, withConfigOption } from '../config-option.js';
import { cliLogger } from '../cli-logger.js';
import { databaseFailure, databaseLocation, openDatabase } from '../open-database.js';
import { EXIT } from '../exit-codes.js';
import { PROCESS_IO, printJson, runCommand, type CliIo } from '../run-command.js';
import type { Config } from '../../config/schema.js';

interface MigrateOptions {
  config?: string;
  json?: boolean;
}

export function registerMigrateCommand(program: Command, io: CliIo = PROCESS_IO): void {
  const migrate = program.command('migrate').description('Manage the database schema');
  const say = (text: string) => void io.stderr.write(`${text}\n`);

  withConfigOption(migrate.command('up').description('Apply every pending migration (creates the database when there is none)'))
    .option('--json', 'print JSON: {applied: [names]}')
    .action((options: MigrateOptions) =>
      runCommand(io, async (defer) => {
        const config = await loadConfigOrFail(io, options);
        const parts = await openDatabase({ config, env: io.env, logger: cliLogger(io.stderr), migrations: 'skip', openKeyring: false, create: true });
        defer(() => parts.close());
        const result = await onDatabase(config, () => parts.store.migrate());
        if (options.json) printJson(io, { applied: result.applied, ...(result.error ? { error: result.error.message } : {}) });
        else for (const name of result.applied) io.stdout.write(`applied ${name}\n`);
        if (result.error) {
          say(`portcullis: migration failed on ${databaseLocation(config)}: ${result.error.message}`);
          return EXIT.UNAVAILABLE;
        }
        if (result.applied.length === 0) say('database is up to date');
      }),
    );

  withConfigOption(migrate.command('status').description('List migrations and whether each is applied (exit 5 while some are pending)'))
    .option('--json', 'print JSON: {migrations: [{name, applied, executed_at}], pending}')
    .action((options: MigrateOptions) =>
      runCommand(io, async (defer) => {
        const config = await loadConfigOrFail(io, options);
        const parts = await openDatabase({ config, env: io.env, logger: cliLogger(io.stderr), migrations: 'skip', openKeyring: false });
        defer(() => parts.close());
        const status = await onDatabase(config, () => parts.store.migrationStatus());
        const migrations = status.map((m) => ({ name: m.name, applied: m.executedAt !== null, executed_at: m.executedAt?.toISOString() ?? null }));
        const pending = migrations.filter((m) => !m.applied).length;
        if (options.json) printJson(io, { migrations, pending });
        else for (const m of migrations) io.stdout.write(`${m.applied ? 'applied' : 'pending'}  ${m.name}${m.executed_at ? `  ${m.executed_at}` : ''}\n`);
        say(pending ? `${pending} pending: run \`portcullis migrate up\`` : 'database is up to date');
        return pending ? EXIT.PENDING_MIGRATIONS : EXIT.OK;
      }),
    );
}

/** The store opens lazily: the first query is where an unreachable database shows, named with its location. */
async function onDatabase<T>(config: Config, query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (err) {
    throw databaseFailure(config, err) ?? err;
  }
}
