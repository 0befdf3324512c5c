/**
 * Acknowledged propagation (issue 10 §3): which live nodes have applied a cluster event, read
 * from `cluster_nodes` (each node writes `applied_event` soon after applying events, see
 * node-registry.ts). A node is live while its heartbeat is at most `cluster_node_timeout` old;
 * a node that stopped heartbeating is neither waited for nor listed. The process that wrote the
 * event counts as acknowledged: it applied its own write at commit.
 *
 * Waiters share one reader: however many `?wait=` calls are open, the table is read once per
 * tick (every few ms) while any of them waits.
 */
import type { Store } from '../store/store.js';
import { readClusterNodes, type ClusterNode } from './cluster-nodes.js';

/** A node as a propagation report names it. */
export interface NodeRef {
  readonly instance_id: string;
  readonly node_name: string;
  /** The node's proxy listener (else its Admin API listener), as it registered it. */
  readonly address?: string;
}

export interface Propagation {
  readonly event: number;
  readonly acknowledged: NodeRef[];
  readonly pending: NodeRef[];
  /** True when no live node is pending. */
  readonly complete: boolean;
}

export interface PropagationTracker {
  /** Who among the live nodes has applied `eventId` now; `writer` (the event's instance id) counts as having applied it. */
  status(eventId: number, writer: string | null): Promise<Propagation>;
  /** Resolves once every live node has applied `eventId` (written by this process), or after `waitMs` with the nodes still pending. */
  awaitPropagation(eventId: number, waitMs: number): Promise<Propagation>;
}

export interface PropagationOptions {
  readonly store: Pick<Store, 'db' | 'nodeId'>;
  /** `cluster_node_timeout`: a heartbeat older than this many ms is not live. */
  readonly nodeTimeout: number;
  /** How often waiters re-read the table, in ms. */
  readonly interval?: number;
  readonly now?: () => number;
}

interface Waiter {
  readonly event: number;
  readonly deadline: number;
  resolve(p: Propagation): void;
  reject(err: unknown): void;
}

export function createPropagationTracker(options: PropagationOptions): PropagationTracker {
  const { store } = options;
  const now = options.now ?? Date.now;
  const interval = options.interval ?? 5;
  const waiters = new Set<Waiter>();
  let ticking = false;

  const report = (nodes: readonly ClusterNode[], event: number, writer: string | null): Propagation => {
    const acknowledged: NodeRef[] = [];
    const pending: NodeRef[] = [];
    for (const n of nodes) {
      if (!n.live) continue;
      (n.applied_event >= event || n.instance_id === writer ? acknowledged : pending).push(toRef(n));
    }
    return { event, acknowledged, pending, complete: pending.length === 0 };
  };
  const read = () => readClusterNodes(store.db, now(), options.nodeTimeout);

  // Reads the table, settles every waiter that is complete or past its deadline, and goes on while any is left.
  const tick = async () => {
    let nodes: ClusterNode[] | undefined;
    let failure: unknown;
    try {
      nodes = await read();
    } catch (err) {
      failure = err;
    }
    const at = now();
    for (const w of waiters) {
      const p = nodes ? report(nodes, w.event, store.nodeId) : undefined;
      if (p?.complete || at >= w.deadline) {
        waiters.delete(w);
        if (p) w.resolve(p);
        else w.reject(failure);
      }
    }
    if (waiters.size === 0) ticking = false;
    else setTimeout(() => void tick(), interval);
  };

  return {
    async status(eventId, writer) {
      return report(await read(), eventId, writer);
    },
    awaitPropagation(eventId, waitMs) {
      return new Promise<Propagation>((resolve, reject) => {
        waiters.add({ event: eventId, deadline: now() + waitMs, resolve, reject });
        if (!ticking) {
          ticking = true;
          void tick();
        }
      });
    },
  };
}

function toRef(node: ClusterNode): NodeRef {
  const address = node.addresses['proxy'] ?? node.addresses['admin'];
  return { instance_id: node.instance_id, node_name: node.node_name, ...(address ? { address } : {}) };
}
