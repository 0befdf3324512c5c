/**
 * The `portcullis` command. Each subcommand lives in commands/; this file only assembles them.
 * The CLI is the one place that reads `process.env` and writes to the terminal. Exit codes are
 * those of exit-codes.ts (docs/cli.md): commander's own errors (unknown command or option, a
 * value outside an option's choices) are usage errors, 1; an error nothing expected is 70.
 */
import { Command, CommanderError } from 'commander';
import { EXIT } from './exit-codes.js';
import { registerVersionCommand } from './commands/version.js';
import { registerStartCommand } from './commands/start.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerConfigCommand } from './commands/config.js';
import { registerApiKeysCommand } from './commands/apikeys.js';
import { registerKeyringCommand } from './commands/keyring.js';
import { registerVaultCommand } from './commands/vault.js';
import { registerImportCommand } from './commands/import.js';
import { VERSION } from '../version.js';
import { releaseYoungGeneration } from '../node/release-startup-memory.js';

export function buildProgram(): Command {
  const program = new Command('portcullis')
    .description('Portcullis: an API gateway whose core is credential and secret security')
    .version(VERSION, '-v, --version')
    .showHelpAfterError()
    .exitOverride()
    // `start` lets V8's young generation grow once the node serves; any other command at once.
    .hook('preAction', (_program, command) => {
      if (command.name() !== 'start') releaseYoungGeneration();
    });
  registerStartCommand(program);
  registerMigrateCommand(program);
  registerConfigCommand(program);
  registerApiKeysCommand(program);
  registerKeyringCommand(program);
  registerVaultCommand(program);
  registerImportCommand(program);
  registerVersionCommand(program);
  return program;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    // Commander printed its message already; help and --version exit 0, every other of its errors is usage.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    process.stderr.write(`portcullis: internal error (please report it): ${(err as Error)?.message ?? String(err)}\n`);
    return EXIT.INTERNAL;
  }
}
