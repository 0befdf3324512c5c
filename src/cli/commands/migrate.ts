/** `portcullis migrate up|status`: applies or lists database migrations. */
import type { Command } from 'commander';
import { loadConfigOrReport, withConfigOption } from '../config-option.js';
import { openStoreParts } from '../../node/store-parts.js';
import { cliLogger } from '../cli-logger.js';

export function registerMigrateCommand(program: Command): void {
  const migrate = program.command('migrate').description('Manage the database schema');
  withConfigOption(migrate.command('up').description('Apply every pending migration')).action(async (options: { config?: string }) => {
    const config = await loadConfigOrReport(options);
    if (!config) return void (process.exitCode = 1);
    const { store, close } = await openStoreParts({ config, env: process.env, logger: cliLogger(), migrations: 'skip', openKeyring: false });
    try {
      const result = await store.migrate();
      for (const name of result.applied) process.stdout.write(`applied ${name}\n`);
      if (result.error) {
        process.stderr.write(`portcullis: migration failed: ${result.error.message}\n`);
        process.exitCode = 1;
      } else if (result.applied.length === 0) process.stdout.write('database is up to date\n');
    } finally {
      await close();
    }
  });
  withConfigOption(migrate.command('status').description('List migrations and whether each is applied')).action(async (options: { config?: string }) => {
    const config = await loadConfigOrReport(options);
    if (!config) return void (process.exitCode = 1);
    const { store, close } = await openStoreParts({ config, env: process.env, logger: cliLogger(), migrations: 'skip', openKeyring: false });
    try {
      const status = await store.migrationStatus();
      for (const m of status)
        process.stdout.write(`${m.executedAt ? 'applied' : 'pending'}  ${m.name}${m.executedAt ? `  ${m.executedAt.toISOString()}` : ''}\n`);
      const pending = status.filter((m) => !m.executedAt).length;
      process.stdout.write(pending ? `${pending} pending: run \`portcullis migrate up\`\n` : 'database is up to date\n');
    } finally {
      await close();
    }
  });
}
