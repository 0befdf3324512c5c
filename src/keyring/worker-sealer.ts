/**
 * Seals large batches of fields on a worker thread, so that a bulk write (an import of a million
 * API keys encrypts two fields per key, ~10 µs each) overlaps its encryption with the database
 * work of the main thread. One worker, started on first use, stopped after a short idle time;
 * while a batch is out the worker keeps the process alive, otherwise it does not.
 *
 * The key goes to the worker with each batch (a copy, zeroed there after use): the worker holds
 * no keyring and follows a key rotation at the next batch. A worker that fails or exits fails
 * every batch it held; the next batch starts a new one.
 */
import { Worker } from 'node:worker_threads';
import type { KeyringKey } from './keyring.js';

/** One batch: the fields to seal, as `[plaintext, aad]`, with the key to seal them under. */
export interface SealRequest {
  readonly id: number;
  readonly keyId: string;
  readonly key: Uint8Array;
  readonly items: readonly (readonly [plaintext: string, aad: string])[];
}

export type SealReply = { readonly id: number; readonly sealed: string[] } | { readonly id: number; readonly error: string };

export interface WorkerSealer {
  /** The stored forms of `items`, in order, sealed under `key` on the worker thread. */
  seal(key: Pick<KeyringKey, 'id' | 'key'>, items: readonly (readonly [string, string])[]): Promise<string[]>;
  /** Stops the worker; batches still out fail. */
  close(): Promise<void>;
}

/** How long an idle worker is kept for the next batch. */
const IDLE_MS = 2_000;

export function createWorkerSealer(options: { readonly idleMs?: number } = {}): WorkerSealer {
  const idleMs = options.idleMs ?? IDLE_MS;
  let worker: Worker | null = null;
  let nextId = 1;
  const pending = new Map<number, { resolve: (sealed: string[]) => void; reject: (err: Error) => void }>();
  let idleTimer: NodeJS.Timeout | null = null;

  const failAll = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  const start = (): Worker => {
    const started = startWorker();
    started.on('message', (reply: SealReply) => {
      const waiting = pending.get(reply.id);
      if (waiting === undefined) return;
      pending.delete(reply.id);
      if ('error' in reply) waiting.reject(new Error(`sealing on the worker thread failed: ${reply.error}`));
      else waiting.resolve(reply.sealed);
      if (pending.size === 0) idle(started);
    });
    started.on('error', (err) => {
      if (worker === started) worker = null;
      failAll(new Error(`the sealing worker failed: ${err.message}`));
    });
    started.on('exit', (code) => {
      if (worker === started) worker = null;
      failAll(new Error(`the sealing worker exited (code ${code})`));
    });
    return started;
  };

  /** Nothing out: the worker no longer holds the process open, and stops if left idle. */
  const idle = (idleWorker: Worker) => {
    idleWorker.unref();
    idleTimer = setTimeout(() => {
      idleTimer = null;
      if (worker === idleWorker && pending.size === 0) {
        worker = null;
        void idleWorker.terminate();
      }
    }, idleMs);
    idleTimer.unref();
  };

  return {
    seal(key, items) {
      if (idleTimer !== null) clearTimeout(idleTimer);
      idleTimer = null;
      worker ??= start();
      worker.ref();
      const id = nextId++;
      const target = worker;
      return new Promise<string[]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        const request: SealRequest = { id, keyId: key.id, key: new Uint8Array(key.key), items };
        target.postMessage(request);
        // Zero the message's copy here: the worker received its own.
        request.key.fill(0);
      });
    },
    async close() {
      if (idleTimer !== null) clearTimeout(idleTimer);
      const stopping = worker;
      worker = null;
      if (stopping !== null) await stopping.terminate();
      failAll(new Error('the sealing worker was closed'));
    },
  };
}

/**
 * The worker: seal-worker beside this module, with its extension — `.js` in dist/, `.mjs` in the
 * bundle (scripts/bundle.mjs makes it an entry of its own), `.ts` in tests, loaded through tsx.
 */
function startWorker(): Worker {
  const here = import.meta.url;
  const extension = /\.(?:ts|mjs|js)$/.exec(new URL(here).pathname)?.[0] ?? '.js';
  const entry = new URL(`./seal-worker${extension}`, here);
  if (extension !== '.ts') return new Worker(entry);
  const href = JSON.stringify(entry.href);
  return new Worker(`import('tsx/esm/api').then((tsx) => tsx.tsImport(${href}, ${href}))`, { eval: true });
}
