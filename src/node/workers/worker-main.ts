/**
 * The worker side of `portcullis start --workers N`: a process forked by the primary
 * (worker-pool.ts) that proxies on the shared ports. It asks for the keyring over IPC, starts a
 * node in the worker role with it (no Admin API, no key file read), reports when it serves and
 * what it applied, answers metric requests, and drains when the primary says so or goes away.
 * Signals are the primary's to handle: a Ctrl-C reaches the whole process group, and the primary
 * then stops every worker in order.
 */
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { KeyringKey } from '../../keyring/keyring.js';
import { startWorkerNode, type NodeOptions, type RunningWorker } from '../node.js';
import { attemptMessage, isAttempt, isToWorker, type ToPrimary } from './worker-messages.js';
import { releaseStartupMemory } from '../release-startup-memory.js';

/** How long a worker waits for its keyring from the primary before giving up. */
const KEYRING_TIMEOUT_MS = 30_000;

export async function runWorker(options: Omit<NodeOptions, 'role'>): Promise<void> {
  const send = (message: ToPrimary) => {
    // The primary may be gone between the check and the write: the 'disconnect' handler stops this worker.
    if (process.connected) process.send!(message, () => {});
  };
  let node: RunningWorker | null = null;
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      try {
        await node?.close();
      } finally {
        process.disconnect?.();
        process.exit(0);
      }
    })());
  process.on('SIGTERM', () => {});
  process.on('SIGINT', () => {});
  // The primary died (or closed the channel): nobody hands out connections or keys any more.
  process.on('disconnect', () => void stop());

  /** Comes before the first keyring (IPC keeps the order). */
  let digestKey: Uint8Array | undefined;
  let handed!: (keys: readonly KeyringKey[]) => void;
  // The newest keys handed over, also while the node starts (a key generated meanwhile is adopted once it serves).
  let latestKeys: readonly KeyringKey[] = [];
  const firstKeyring = new Promise<readonly KeyringKey[]>((resolve) => (handed = resolve));
  process.on('message', (message: unknown) => {
    if (!isToWorker(message)) return;
    switch (message.pc) {
      case 'keyring':
        latestKeys = message.keys;
        if (!node) return handed(message.keys);
        return void adopt(node, message.keys);
      case 'digest-key':
        digestKey = message.key;
        return;
      case 'attempt':
        return void (isAttempt(message) && node?.applySharedAttempt(message));
      case 'poll':
        return void node?.bus.poll().catch(() => {});
      case 'metrics':
        return void (node?.metrics.registry.getMetricsAsJSON() ?? Promise.resolve([])).then((metrics) =>
          send({ pc: 'metrics', id: message.id, metrics: metrics as MetricObjectWithValues<MetricValue<string>>[] }),
        );
      case 'shutdown':
        return void stop();
    }
  });
  send({ pc: 'hello' });

  let keys: readonly KeyringKey[];
  try {
    keys = await Promise.race([
      firstKeyring,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no keyring from the primary within 30 s')), KEYRING_TIMEOUT_MS).unref()),
    ]);
    node = await startWorkerNode({
      ...options,
      role: {
        kind: 'worker',
        keyring: keys,
        onApplied: (through) => send({ pc: 'applied', through }),
        shareAttempt: (shared) => send(attemptMessage(shared)),
        digestKey,
      },
    });
  } catch (err) {
    send({ pc: 'failed', message: (err as Error).message });
    process.stderr.write(`portcullis worker: could not start: ${(err as Error).message}\n`);
    process.exitCode = 1;
    process.disconnect?.();
    return;
  }
  if (latestKeys !== keys) await adopt(node, latestKeys);
  send({ pc: 'serving', addresses: { proxy: node.proxyAddress, proxyTls: node.proxyTlsAddress } });
  send({ pc: 'applied', through: node.bus.appliedThrough() });
  releaseStartupMemory();
  if (stopping) await stopping;
}

/** Adds keys the primary handed over; each is checked against the database's key check values first. */
async function adopt(node: RunningWorker, keys: readonly KeyringKey[]): Promise<void> {
  await node.keyring.adoptShared(keys).catch((err: unknown) => node.logger.error({ err: (err as Error).message }, 'keyring from the primary refused'));
}
