/**
 * The primary side of `portcullis start --workers N`: forks N workers (node:cluster; they share
 * the proxy ports), hands each the keyring over IPC when it says hello and again whenever it
 * changes, replaces a worker that dies (restart-backoff.ts), answers for them at `/status` and
 * `/metrics`, makes the node's Admin API writes visible to every worker before they are answered
 * (read-your-writes), and drains them all on shutdown.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import type { KeyringHolder, KeyringKey } from '../../keyring/keyring.js';
import type { NodeWorkers, ProxyAddresses } from '../node.js';
import { aggregateMetrics } from './aggregate-metrics.js';
import { createRestartBackoff, type RestartBackoffOptions } from './restart-backoff.js';
import { attemptMessage, isAttempt, isToPrimary, type ToWorker } from './worker-messages.js';
import type { WorkerStatus } from './worker-status.js';

export interface WorkerPoolOptions {
  readonly count: number;
  /** How long a stopping worker may drain (shutdown_timeout) before it is killed, in ms. */
  readonly shutdownTimeout: number;
  /** How long a write's answer waits for the workers at most (ms; default 2000). */
  readonly settleTimeout?: number;
  readonly backoff?: RestartBackoffOptions;
}

interface Slot {
  readonly slot: number;
  worker: Worker | null;
  state: WorkerStatus['state'];
  restarts: number;
  appliedThrough: number;
  startedAt: number;
}

type Metrics = MetricObjectWithValues<MetricValue<string>>[];

export function createWorkerPool(options: WorkerPoolOptions): NodeWorkers {
  let logger: Logger | null = null;
  const backoff = createRestartBackoff(options.backoff);
  const slots: Slot[] = Array.from({ length: options.count }, (_, i) => ({
    slot: i + 1,
    worker: null,
    state: 'starting',
    restarts: 0,
    appliedThrough: 0,
    startedAt: 0,
  }));
  // The workers' basic-auth digests of usernames must agree for the outcomes they share to count
  // (worker-main.ts): one random key per node, never written anywhere.
  const digestKey = randomBytes(32);
  const appliedWaiters = new Set<() => void>();
  const metricsWaiters = new Map<number, (metrics: Metrics) => void>();
  let keyring: KeyringHolder | null = null;
  let latest: () => Promise<number> = async () => 0;
  let closing = false;
  let started = false;
  let nextMetricsId = 1;
  let starting: { resolve(a: ProxyAddresses): void; reject(e: Error): void } | null = null;
  let addresses: ProxyAddresses | null = null;
  const timers = new Set<NodeJS.Timeout>();

  const keys = (): KeyringKey[] => [...(keyring?.current().keys.values() ?? [])];
  const send = (s: Slot, message: ToWorker) => {
    // A worker that is exiting can close its channel between the check and the write (EPIPE).
    // Without a callback, Node emits that as an 'error' on the Worker, which would end the primary;
    // the worker's exit is handled where it belongs ('exit' below).
    if (!s.worker?.isConnected()) return;
    s.worker.send(message, (err) => {
      if (err) logger?.debug({ slot: s.slot, err: err.message }, 'message to a worker not delivered');
    });
  };
  const serving = () => slots.filter((s) => s.state === 'serving');

  const fork = (s: Slot) => {
    const worker = cluster.fork({ PORTCULLIS_WORKER_SLOT: String(s.slot) });
    absorbWorkerErrors(worker, (err) => logger?.debug({ slot: s.slot, err: err.message }, 'worker channel error'));
    s.worker = worker;
    s.state = 'starting';
    s.startedAt = Date.now();
    s.appliedThrough = 0;
    worker.on('message', (message: unknown) => {
      if (!isToPrimary(message)) return;
      switch (message.pc) {
        case 'hello':
          send(s, { pc: 'digest-key', key: digestKey });
          return send(s, { pc: 'keyring', keys: keys() });
        case 'serving':
          s.state = 'serving';
          addresses ??= message.addresses;
          logger?.info({ slot: s.slot, pid: worker.process.pid }, 'worker serving');
          if (starting && slots.every((x) => x.state === 'serving')) starting.resolve(addresses);
          return;
        case 'applied':
          s.appliedThrough = Math.max(s.appliedThrough, message.through);
          for (const wake of appliedWaiters) wake();
          return;
        case 'metrics':
          metricsWaiters.get(message.id)?.(message.metrics as Metrics);
          return;
        case 'attempt':
          // One worker's basic-auth outcome counts in every other worker's limits.
          if (!isAttempt(message)) return;
          for (const other of slots) if (other !== s && other.state === 'serving') send(other, attemptMessage(message));
          return;
        case 'failed':
          // At start a worker's failure is the node's: the same configuration fails in every worker.
          if (starting) starting.reject(new Error(message.message));
          return;
      }
    });
    worker.on('exit', (code, signal) => {
      if (s.worker !== worker) return;
      s.worker = null;
      for (const wake of appliedWaiters) wake();
      if (closing) return;
      if (starting) return starting.reject(new Error(`worker ${s.slot} exited (${signal ?? `code ${code}`}) before serving`));
      s.state = 'restarting';
      s.restarts++;
      const delay = backoff.nextDelay(Date.now() - s.startedAt);
      logger?.warn({ slot: s.slot, pid: worker.process.pid, code, signal, restartInMs: delay }, 'worker died: replacing it');
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!closing) fork(s);
      }, delay);
      timers.add(timer);
    });
  };

  /** Resolves when `done()` holds or `timeoutMs` passed. */
  const waitFor = (done: () => boolean, timeoutMs: number) =>
    new Promise<void>((resolve) => {
      if (done()) return resolve();
      const finish = () => {
        clearTimeout(timer);
        appliedWaiters.delete(check);
        resolve();
      };
      const check = () => void (done() && finish());
      const timer = setTimeout(finish, timeoutMs);
      appliedWaiters.add(check);
    });

  return {
    async start(node) {
      keyring = node.keyring;
      latest = node.latestEventId;
      logger = node.logger;
      const holder = node.keyring;
      // Every change of the keyring (a key generated, activated, imported, shared by another node) reaches each worker.
      holder.onChange(() => {
        for (const s of slots) if (s.state !== 'restarting') send(s, { pc: 'keyring', keys: keys() });
      });
      // Workers run this same command; key material crosses IPC as Buffers (advanced serialization).
      cluster.setupPrimary({ serialization: 'advanced' });
      const ready = new Promise<ProxyAddresses>((resolve, reject) => (starting = { resolve, reject }));
      for (const s of slots) fork(s);
      try {
        return await ready;
      } catch (err) {
        closing = true;
        for (const s of slots) s.worker?.kill('SIGKILL');
        throw err;
      } finally {
        starting = null;
        started = true;
      }
    },

    serving: () => started && serving().length > 0,

    async settled() {
      const through = await latest();
      for (const s of serving()) send(s, { pc: 'poll' });
      await waitFor(() => serving().every((s) => s.appliedThrough >= through), options.settleTimeout ?? 2000);
    },

    async metricsText(registry: Registry) {
      const own = await registry.getMetricsAsJSON();
      const answers = await Promise.all(
        serving().map(
          (s) =>
            new Promise<Metrics | null>((resolve) => {
              const id = nextMetricsId++;
              const timer = setTimeout(() => {
                metricsWaiters.delete(id);
                resolve(null);
              }, 2000);
              metricsWaiters.set(id, (metrics) => {
                clearTimeout(timer);
                metricsWaiters.delete(id);
                resolve(metrics);
              });
              send(s, { pc: 'metrics', id });
            }),
        ),
      );
      return (await aggregateMetrics([own as Metrics, ...answers.filter((a): a is Metrics => a !== null)])).text;
    },

    status: () =>
      slots.map((s) => ({ slot: s.slot, pid: s.worker?.process.pid ?? null, state: s.state, restarts: s.restarts, applied_through: s.appliedThrough })),

    async close() {
      closing = true;
      for (const timer of timers) clearTimeout(timer);
      const alive = slots.filter((s) => s.worker !== null);
      const exits = alive.map((s) => new Promise<void>((resolve) => (s.worker!.isDead() ? resolve() : s.worker!.once('exit', () => resolve()))));
      for (const s of alive) {
        s.state = 'stopping';
        send(s, { pc: 'shutdown' });
      }
      // A worker drains up to shutdown_timeout; one that is still there a little later is killed.
      const killer = setTimeout(() => {
        for (const s of alive) if (s.worker && !s.worker.isDead()) s.worker.kill('SIGKILL');
      }, options.shutdownTimeout + 5000);
      await Promise.all(exits);
      clearTimeout(killer);
    },
  };
}

/**
 * Node's cluster also writes to a worker on its own, without a callback (the answer to a worker's
 * listen on a shared port, a listen error included). A worker that exits at that moment makes the
 * write fail with EPIPE, emitted as an 'error' on the Worker, which without a listener ends the
 * primary. Seen: `start --workers 2` on a taken port exited 1 (an unhandled 'error' event) instead
 * of 3, about one start in ten on Node 24. A worker's death is handled on its 'exit'.
 */
export function absorbWorkerErrors(worker: Worker, onError: (err: Error) => void): void {
  worker.on('error', onError);
}
