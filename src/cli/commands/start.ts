/**
 * `portcullis start`: runs a node until SIGTERM or SIGINT, then shuts down gracefully (stop
 * accepting, drain in-flight requests up to `shutdown_timeout`, close the store). A second
 * signal exits at once. A signal while the node still waits for its database (PostgreSQL not
 * reachable yet) stops the wait and exits cleanly (status 0). A node that cannot start exits 3
 * (unavailable: a port taken, the database unreachable …), an invalid config 1.
 *
 * With `--workers N` (or `workers` / `PORTCULLIS_WORKERS`; 0 = one per core) and N > 1, this
 * process becomes the primary (Admin API, keyring, cluster duties) and forks N proxy workers that
 * run this same command (node:cluster); see src/node/workers/.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { runWorker } from '../../node/workers/worker-main.js';
import { createWorkerPool } from '../../node/workers/worker-pool.js';
import { loadResolvedConfigOrReport, withConfigOption } from '../config-option.js';
import { describeFailure, EXIT } from '../exit-codes.js';
import type { LogFormat } from '../../observability/logger.js';
import { startNode, type RunningNode } from '../../node/node.js';
import { releaseStartupMemory } from '../../node/release-startup-memory.js';

export function registerStartCommand(program: Command): void {
  withConfigOption(program.command('start').description('Start a Portcullis node (proxy and Admin API)'))
    .option('--workers <n>', 'proxy worker processes sharing the ports (0 = one per core; 1 = one process); overrides `workers`', parseWorkers)
    .addOption(new Option('--log-format <format>', 'log lines: pretty on a terminal by default (config key log_format)').choices(['auto', 'json', 'pretty']))
    .action(async (options: { config?: string; workers?: number; logFormat?: LogFormat }) => {
      const loaded = await loadResolvedConfigOrReport(options);
      if (!loaded) return void (process.exitCode = EXIT.USAGE);
      const config = options.logFormat ? { ...loaded.config, log_format: options.logFormat } : loaded.config;
      const nodeOptions = { config, env: process.env, configReferences: loaded.references, configFields: loaded.fields };
      if (cluster.isWorker) return runWorker(nodeOptions);
      const wanted = options.workers ?? config.workers;
      const workers = wanted === 0 ? availableParallelism() : wanted;
      const role =
        workers > 1 ? { kind: 'primary' as const, workers: createWorkerPool({ count: workers, shutdownTimeout: config.shutdown_timeout }) } : undefined;
      const starting = new AbortController();
      let node: RunningNode | undefined;
      let stopped!: () => void;
      const done = new Promise<void>((resolve) => (stopped = resolve));
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          node?.logger.warn({ signal }, 'second signal: exiting now');
          process.exit(1);
        }
        stopping = true;
        // Still starting: the wait for the database ends, startNode rejects and the catch below returns.
        if (!node) return starting.abort(new Error(`${signal} received while starting`));
        node.logger.info({ signal }, 'shutting down: draining in-flight requests');
        node.close().then(stopped, (err: unknown) => {
          process.stderr.write(`portcullis: shutdown error: ${(err as Error).message}\n`);
          process.exitCode = 1;
          stopped();
        });
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      try {
        node = await startNode({ ...nodeOptions, signal: starting.signal, ...(role ? { role } : {}) });
      } catch (err) {
        if (starting.signal.aborted) {
          process.stderr.write('portcullis: stopped while waiting for the database\n');
          return;
        }
        process.stderr.write(`portcullis: could not start: ${(err as Error).message}\n`);
        process.exitCode = describeFailure(err)?.code ?? EXIT.UNAVAILABLE;
        return;
      } finally {
        if (!node) {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
        }
      }
      // A signal that came after the wait but before startNode returned: stop now.
      if (starting.signal.aborted) {
        node.logger.info('shutting down: a signal came while starting');
        await node.close();
        return;
      }
      releaseStartupMemory();
      await done;
    });
}

function parseWorkers(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 256) throw new InvalidArgumentError('a whole number from 0 (one per core) to 256');
  return n;
}
