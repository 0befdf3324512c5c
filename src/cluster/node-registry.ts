/**
 * This process's row in `cluster_nodes` (issue 10 §3): written at start (state `starting`), on
 * every heartbeat (`cluster_heartbeat_interval`) and soon after the event bus applied events —
 * debounced to one write per few ms, so a `?wait=` on another node learns of the acknowledgement
 * without waiting for the next heartbeat. Each write is a whole-row upsert, so a row purged while
 * the process was paused comes back. Rows of processes silent for 10 × `cluster_node_timeout`
 * (crashed, killed) are purged by any live node. A write that fails (database down) is logged
 * once and retried by the next heartbeat; it never throws.
 */
import { hostname as osHostname } from 'node:os';
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { EventBus } from './event-bus.js';
import { deleteClusterNode, purgeClusterNodes, touchClusterNode, upsertClusterNode, type NodeState } from './cluster-nodes.js';

export interface NodeRegistryOptions {
  readonly store: Store;
  readonly logger: Logger;
  readonly bus: Pick<EventBus, 'appliedThrough' | 'onApplied'>;
  readonly nodeName: string;
  readonly version: string;
  readonly heartbeatInterval: number;
  readonly nodeTimeout: number;
  readonly now?: () => number;
}

export interface NodeRegistry {
  /** Writes the row (state `starting`) and starts the heartbeat. */
  start(): Promise<void>;
  /** Records a new state (and the listener addresses once known). */
  setState(state: NodeState, addresses?: Readonly<Record<string, string>>): Promise<void>;
  /** Stops the heartbeat and deletes the row. */
  close(): Promise<void>;
}

/** After applied events, the acknowledgement is written within this many ms. */
const APPLIED_DEBOUNCE_MS = 5;
/** Stale rows are looked for on every this-many heartbeats. */
const PURGE_EVERY = 30;

export function createNodeRegistry(options: NodeRegistryOptions): NodeRegistry {
  const { store, logger, bus } = options;
  const now = options.now ?? Date.now;
  const startedAt = now();
  let state: NodeState = 'starting';
  let addresses: Readonly<Record<string, string>> = {};
  let timer: NodeJS.Timeout | undefined;
  let soon: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  let closed = false;
  let beats = 0;
  let failing = false;
  let written = false;
  // One write at a time, so an older applied_event never lands after a newer one.
  let writing: Promise<void> | undefined;
  let again = false;

  const writeRow = async () => {
    try {
      const row = {
        instance_id: store.nodeId,
        node_name: options.nodeName,
        hostname: osHostname(),
        pid: process.pid,
        version: options.version,
        addresses,
        started_at: startedAt,
        heartbeat_at: now(),
        applied_event: bus.appliedThrough(),
        state,
      };
      // The whole row once, then only what changes (the whole row again if it went missing).
      if (!written || !(await touchClusterNode(store.db, store.dialect, row))) await upsertClusterNode(store.db, row);
      written = true;
      if (failing) logger.info('the node registry is written again');
      failing = false;
    } catch (err) {
      if (!failing) logger.warn({ err: (err as Error).message }, 'cannot write this node to cluster_nodes; retrying at each heartbeat');
      failing = true;
    }
  };
  const flush = (): Promise<void> => {
    if (writing) {
      again = true;
      return writing;
    }
    writing = (async () => {
      do {
        again = false;
        await writeRow();
      } while (again && !closed);
    })().finally(() => (writing = undefined));
    return writing;
  };
  const beat = async () => {
    await flush();
    if (++beats % PURGE_EVERY === 0) await purgeClusterNodes(store.db, now() - 10 * options.nodeTimeout).catch(() => {});
  };

  return {
    async start() {
      await flush();
      unsubscribe = bus.onApplied(() => {
        if (!soon && !closed) soon = setTimeout(() => ((soon = undefined), void flush()), APPLIED_DEBOUNCE_MS);
      });
      timer = setInterval(() => void beat(), options.heartbeatInterval);
      timer.unref();
    },
    async setState(next, at) {
      state = next;
      if (at) addresses = { ...at };
      await flush();
    },
    async close() {
      closed = true;
      clearInterval(timer);
      clearTimeout(soon);
      unsubscribe?.();
      await writing;
      await deleteClusterNode(store.db, store.nodeId).catch((err: unknown) =>
        logger.warn({ err: (err as Error).message }, 'cannot remove this node from cluster_nodes; it stops being live after cluster_node_timeout'),
      );
    },
  };
}

type Listener = { readonly address: string; readonly port: number } | { readonly host: string; readonly port: number } | null;

/** Listener addresses as the registry shows them (`host:port`), leaving out listeners that are off. */
export function listenerAddresses(listeners: Readonly<Record<string, Listener>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, l] of Object.entries(listeners)) if (l) out[name] = `${'address' in l ? l.address : l.host}:${l.port}`;
  return out;
}
