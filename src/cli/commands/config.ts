/** `portcullis config check`: validates the configuration and prints the effective one, secrets hidden. */
import type { Command } from 'commander';
import { loadConfigOrReport, withConfigOption } from '../config-option.js';

const SECRET_KEYS = new Set(['pg_password', 'admin_token', 'token']);

export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('Inspect the configuration');
  withConfigOption(config.command('check').description('Validate the configuration and print the effective values')).action((options: { config?: string }) => {
    const loaded = loadConfigOrReport(options);
    if (!loaded) {
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`configuration is valid${options.config ? ` (${options.config})` : ' (defaults and environment)'}\n`);
    process.stdout.write(`${JSON.stringify(loaded, (k, v) => (SECRET_KEYS.has(k) && v ? '[redacted]' : v), 2)}\n`);
  });
}
