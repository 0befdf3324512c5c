/**
 * The node's event bus. Local writes are delivered at once (after commit); writes by other
 * processes sharing the database (other nodes, the CLI) are read from `cluster_events` every
 * `pollInterval` ms. After a start, or when events it never read were pruned, subscribers are
 * asked to resync: rebuild from the store instead of applying deltas.
 * PostgreSQL LISTEN/NOTIFY will shorten the delay later; the table stays the source of truth.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { ClusterEvent } from '../store/cluster-events.js';

export interface EventSubscriber {
  /** Events in id order; called for local and remote writes. */
  onEvents(events: readonly ClusterEvent[]): void;
  /** Something may have been missed: rebuild everything from the store. */
  onResync(reason: string): void;
}

export interface EventBusHealth {
  /** How remote events arrive: `poll` (reads the table every cluster_poll_interval) or `notify` (PostgreSQL LISTEN, with a slow safety poll). */
  readonly mode: 'poll' | 'notify';
  /** False while the event table (or the LISTEN connection) cannot be read; events are then missed until it returns. */
  readonly connected: boolean;
  /** True once every event up to the newest one seen has been read after the last (re)connect. */
  readonly caughtUp: boolean;
  /** Every event with an id ≤ this one has been applied by this process. */
  readonly appliedThrough: number;
  /** When the last event was applied (ms since the epoch), or null. */
  readonly lastAppliedAt: number | null;
  /** Since when reads fail (ms since the epoch), or null. */
  readonly failingSince: number | null;
}

export interface EventBus {
  subscribe(subscriber: EventSubscriber): () => void;
  start(): Promise<void>;
  /** Reads new events now (tests and the CLI use it instead of waiting for the timer). */
  poll(): Promise<void>;
  /** Every event with an id ≤ the result has been applied by this process (ids skipped over and still awaited excluded). */
  appliedThrough(): number;
  /** Called after events were applied, with the new appliedThrough(). */
  onApplied(listener: (appliedThrough: number) => void): () => void;
  health(): EventBusHealth;
  stop(): void;
}

export interface EventBusOptions {
  readonly store: Store;
  readonly logger: Logger;
  readonly pollInterval: number;
  /** Events older than this many ms are deleted by the node now and then. */
  readonly retention?: number;
}

const HOLE_WAIT_MS = 10_000;
const MAX_HOLES = 10_000;

export function createEventBus(options: EventBusOptions): EventBus {
  const { store, logger } = options;
  const subscribers = new Set<EventSubscriber>();
  let lastId = 0;
  let timer: NodeJS.Timeout | undefined;
  let unsubscribeCommit: (() => void) | undefined;
  let polling: Promise<void> | undefined;
  let failingSince = 0;
  let polls = 0;
  let lastAppliedAt: number | null = null;
  const appliedListeners = new Set<(appliedThrough: number) => void>();
  const appliedThrough = () => (holes.size === 0 ? lastId : Math.min(lastId, Math.min(...holes.keys()) - 1));
  const announceApplied = () => {
    lastAppliedAt = Date.now();
    const through = appliedThrough();
    for (const l of appliedListeners) {
      try {
        l(through);
      } catch (err) {
        logger.error({ err }, 'an applied-event listener failed');
      }
    }
  };

  const deliver = (events: readonly ClusterEvent[]) => {
    for (const s of subscribers) {
      try {
        s.onEvents(events);
      } catch (err) {
        logger.error({ err }, 'an event subscriber failed');
      }
    }
  };
  const resync = (reason: string) => {
    logger.info({ reason }, 'resyncing from the store');
    for (const s of subscribers) s.onResync(reason);
  };

  // Ids skipped over by a read: a transaction that took its id earlier may commit later
  // (PostgreSQL), or the id was burnt by a rollback. Re-read for HOLE_WAIT_MS, then forgotten.
  const holes = new Map<number, number>();

  const readNew = async (): Promise<ClusterEvent[]> => {
    const events = await store.events.since(lastId, 1000);
    const now = Date.now();
    let expected = lastId + 1;
    for (const e of events) {
      for (let id = expected; id < e.id && holes.size < MAX_HOLES; id++) holes.set(id, now);
      expected = e.id + 1;
    }
    if (holes.size === 0) return events;
    const filled = (await store.events.since(Math.min(...holes.keys()) - 1, 1000)).filter((e) => holes.has(e.id));
    for (const e of filled) holes.delete(e.id);
    for (const [id, since] of holes) if (now - since > HOLE_WAIT_MS) holes.delete(id);
    return [...filled, ...events.filter((e) => !filled.some((f) => f.id === e.id))];
  };

  const pollOnce = async (): Promise<void> => {
    let events: ClusterEvent[];
    try {
      events = await readNew();
    } catch (err) {
      if (!failingSince) logger.warn({ err: (err as Error).message }, 'cannot read cluster events; serving what this node holds');
      failingSince ||= Date.now();
      return;
    }
    if (failingSince) {
      const away = Date.now() - failingSince;
      failingSince = 0;
      logger.info({ away_ms: away }, 'cluster events readable again');
      // Events older than the retention may have been pruned while we could not read them.
      if (options.retention && away > options.retention / 2) resync('the event table was unreadable for long');
    }
    if (events.length === 0) return;
    const last = events.reduce((max, e) => Math.max(max, e.id), lastId);
    const batchFull = events.length >= 1000;
    lastId = last;
    // Our own writes were delivered at commit time.
    const remote = events.filter((e) => e.node_id !== store.nodeId);
    if (remote.length > 0) deliver(remote);
    announceApplied();
    if (batchFull) await pollOnce();
    if (options.retention && ++polls % 1000 === 0) {
      store.events.prune(Date.now() - options.retention).catch(() => {});
    }
  };

  return {
    subscribe(subscriber) {
      subscribers.add(subscriber);
      return () => subscribers.delete(subscriber);
    },
    async start() {
      lastId = await store.events.latestId();
      // lastId is not advanced here: a remote event with a lower id may still be unread.
      unsubscribeCommit = store.onCommit(deliver);
      timer = setInterval(() => {
        polling ??= pollOnce().finally(() => (polling = undefined));
      }, options.pollInterval);
      timer.unref();
    },
    async poll() {
      await (polling ?? pollOnce());
    },
    appliedThrough,
    onApplied(listener) {
      appliedListeners.add(listener);
      return () => appliedListeners.delete(listener);
    },
    health() {
      return {
        mode: 'poll',
        connected: failingSince === 0,
        caughtUp: failingSince === 0,
        appliedThrough: appliedThrough(),
        lastAppliedAt,
        failingSince: failingSince === 0 ? null : failingSince,
      };
    },
    stop() {
      if (timer) clearInterval(timer);
      unsubscribeCommit?.();
    },
  };
}
