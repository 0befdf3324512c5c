/**
 * `portcullis start`: runs a node until SIGTERM or SIGINT, then shuts down gracefully (stop
 * accepting, drain in-flight requests up to `shutdown_timeout`, close the store). A second
 * signal exits at once.
 */
import type { Command } from 'commander';
import { loadResolvedConfigOrReport, withConfigOption } from '../config-option.js';
import { startNode } from '../../node/node.js';

export function registerStartCommand(program: Command): void {
  withConfigOption(program.command('start').description('Start a Portcullis node (proxy and Admin API)')).action(async (options: { config?: string }) => {
    const loaded = await loadResolvedConfigOrReport(options);
    if (!loaded) return void (process.exitCode = 1);
    let node;
    try {
      node = await startNode({ config: loaded.config, env: process.env, configReferences: loaded.references, configFields: loaded.fields });
    } catch (err) {
      process.stderr.write(`portcullis: could not start: ${(err as Error).message}\n`);
      process.exitCode = 1;
      return;
    }
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          node.logger.warn({ signal }, 'second signal: exiting now');
          process.exit(1);
        }
        stopping = true;
        node.logger.info({ signal }, 'shutting down: draining in-flight requests');
        node.close().then(resolve, (err: unknown) => {
          process.stderr.write(`portcullis: shutdown error: ${(err as Error).message}\n`);
          process.exitCode = 1;
          resolve();
        });
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
  });
}
