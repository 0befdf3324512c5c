/**
 * `portcullis config check`: loads the configuration, resolves every `{vault://…}` reference it
 * holds and validates the result, without touching the database. It prints the configuration as
 * in effect (references, never their values; literal secrets redacted) and one line per reference;
 * every failure is listed with its key and reference, and the exit code is 1.
 */
import type { Command } from 'commander';
import { withConfigOption, loadResolvedConfigOrReport } from '../config-option.js';
import { configReferences, setPath } from '../../config/load-resolved-config.js';
import { registerDeclarativeCommands } from './config-declarative.js';

const SECRET_KEYS = new Set(['pg_password', 'admin_token', 'token', 'keyring_vault_token', 'keyring_private_key', 'admin_tls_key', 'tls_default_key']);

export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('Inspect the configuration');
  registerDeclarativeCommands(config);
  withConfigOption(
    config.command('check').description('Validate the configuration, resolve its vault references (never printed) and print it as written'),
  ).action(async (options: { config?: string }) => {
    const loaded = await loadResolvedConfigOrReport(options);
    if (!loaded) {
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`configuration is valid${options.config ? ` (${options.config})` : ' (defaults and environment)'}\n`);
    for (const [reference, keys] of loaded.references)
      process.stdout.write(`resolved ${reference} (${keys.map((k) => k.replace(/^config:/, '')).join(', ')})\n`);
    const redact = (key: string, value: unknown) =>
      SECRET_KEYS.has(key) && typeof value === 'string' && value !== '' && !value.includes('{vault://') ? '[redacted]' : value;
    // The effective configuration (defaults included), each resolved key shown as its reference again.
    const shown = structuredClone(loaded.config) as Record<string, unknown>;
    for (const { path, value } of configReferences(loaded.raw.values)) setPath(shown, path, value);
    process.stdout.write(`${JSON.stringify(shown, redact, 2)}\n`);
  });
}
