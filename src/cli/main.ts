/**
 * The `portcullis` command. Each subcommand lives in commands/; this file only assembles them.
 * The CLI is the one place that reads `process.env` and writes to the terminal.
 */
import { Command, CommanderError } from 'commander';
import { registerStartCommand } from './commands/start.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerConfigCommand } from './commands/config.js';
import { registerApiKeysCommand } from './commands/apikeys.js';
import { registerKeyringCommand } from './commands/keyring.js';
import { registerVaultCommand } from './commands/vault.js';
import { registerImportCommand } from './commands/import.js';
import { VERSION } from '../version.js';

export function buildProgram(): Command {
  const program = new Command('portcullis')
    .description('Portcullis: an API gateway whose core is credential and secret security')
    .version(VERSION, '-v, --version')
    .showHelpAfterError()
    .exitOverride();
  registerStartCommand(program);
  registerMigrateCommand(program);
  registerConfigCommand(program);
  registerApiKeysCommand(program);
  registerKeyringCommand(program);
  registerVaultCommand(program);
  registerImportCommand(program);
  return program;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
}
