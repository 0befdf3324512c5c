/**
 * `portcullis config check`: loads the configuration, resolves every `{vault://…}` reference it
 * holds and validates the result, without touching the database. It prints the configuration as
 * in effect (references, never their values; literal secrets redacted) on stdout, and on stderr
 * that it is valid and one line per reference; every failure is listed with its key and
 * reference, and the exit code is 1. With --json, stdout holds one document either way.
 */
import type { Command } from 'commander';
import { withConfigOption } from '../config-option.js';
import { configReferences, loadResolvedConfig, setPath } from '../../config/load-resolved-config.js';
import { ConfigError } from '../../config/load-config.js';
import { EXIT } from '../exit-codes.js';
import { PROCESS_IO, printJson, runCommand, type CliIo } from '../run-command.js';
import { registerDeclarativeCommands } from './config-declarative.js';

const SECRET_KEYS = new Set(['pg_password', 'admin_token', 'token', 'keyring_vault_token', 'keyring_private_key', 'admin_tls_key', 'tls_default_key']);

export function registerConfigCommand(program: Command, io: CliIo = PROCESS_IO): void {
  const config = program.command('config').description('Inspect the configuration');
  registerDeclarativeCommands(config);
  withConfigOption(config.command('check').description('Validate the configuration, resolve its vault references (never printed) and print it as written'))
    .option('--json', 'print JSON: {valid, file, references: [{reference, keys}], config} or {valid: false, problems}')
    .action((options: { config?: string; json?: boolean }) =>
      runCommand(io, async () => {
        let loaded;
        try {
          loaded = await loadResolvedConfig({ file: options.config, env: io.env });
        } catch (err) {
          if (!(err instanceof ConfigError) || !options.json) throw err;
          printJson(io, { valid: false, problems: err.problems });
          io.stderr.write(`portcullis: ${err.message}\n`);
          return EXIT.USAGE;
        }
        const references = [...loaded.references].map(([reference, keys]) => ({ reference, keys: keys.map((k) => k.replace(/^config:/, '')) }));
        const redact = (key: string, value: unknown) =>
          SECRET_KEYS.has(key) && typeof value === 'string' && value !== '' && !value.includes('{vault://') ? '[redacted]' : value;
        // The effective configuration (defaults included), each resolved key shown as its reference again.
        const shown = structuredClone(loaded.config) as Record<string, unknown>;
        for (const { path, value } of configReferences(loaded.raw.values)) setPath(shown, path, value);
        const redacted = JSON.parse(JSON.stringify(shown, redact)) as unknown;
        if (options.json) return printJson(io, { valid: true, file: options.config ?? null, references, config: redacted });
        io.stderr.write(`configuration is valid${options.config ? ` (${options.config})` : ' (defaults and environment)'}\n`);
        for (const { reference, keys } of references) io.stderr.write(`resolved ${reference} (${keys.join(', ')})\n`);
        printJson(io, redacted);
      }),
    );
}
