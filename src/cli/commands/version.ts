/** `portcullis version [--json]`: this build's version and the Node.js running it (for scripts and bug reports). */
import type { Command } from 'commander';
import { VERSION } from '../../version.js';
import { PROCESS_IO, printJson, type CliIo } from '../run-command.js';

export function registerVersionCommand(program: Command, io: CliIo = PROCESS_IO): void {
  program
    .command('version')
    .description('Print the version of Portcullis and of Node.js')
    .option('--json', 'print JSON: {version, node}')
    .action((options: { json?: boolean }) => {
      if (options.json) return printJson(io, { version: VERSION, node: process.versions.node });
      io.stdout.write(`portcullis ${VERSION} (Node.js ${process.versions.node})\n`);
    });
}
