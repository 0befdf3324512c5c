/**
 * The node's event bus. Local writes are delivered at once (after commit); writes by other
 * processes sharing the database (other nodes, the CLI) are read from `cluster_events`:
 * - on PostgreSQL, when a NOTIFY says a new event committed (a dedicated LISTEN connection, see
 *   pg-event-listener.ts), plus a safety poll every `safetyPollInterval` ms for a lost notification;
 * - on SQLite, or while the LISTEN connection is down, every `pollInterval` ms.
 * Reads are coalesced: one in flight and at most one queued, however many notifications come.
 * After a LISTEN reconnect the bus reads everything it missed before it reports `caughtUp`.
 * After a start, or when it may have missed pruned events (away longer than half the retention),
 * subscribers are asked to resync: rebuild from the store instead of applying deltas.
 * The table stays the source of truth; old rows are purged every `pruneInterval` ms.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { EVENTS_CHANNEL, type ClusterEvent } from '../store/cluster-events.js';
import { createEventCursor } from './event-cursor.js';
import { createPgEventListener, type PgEventListener } from './pg-event-listener.js';

export interface EventSubscriber {
  /** Events in id order; called for local and remote writes. */
  onEvents(events: readonly ClusterEvent[]): void;
  /** Something may have been missed: rebuild everything from the store. */
  onResync(reason: string): void;
}

export interface EventBusHealth {
  /** How remote events arrive: `poll` (reads the table every cluster_poll_interval) or `notify` (PostgreSQL LISTEN, with a slow safety poll). */
  readonly mode: 'poll' | 'notify';
  /** False while the event table cannot be read (changes by other processes are then not seen until it returns). A LISTEN outage alone shows as `mode: 'poll'`. */
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
  /** Stops the timers and closes the LISTEN connection. */
  stop(): Promise<void>;
}

export interface EventBusOptions {
  readonly store: Store;
  readonly logger: Logger;
  /** How often the table is read without notifications (SQLite, or LISTEN down), in ms. */
  readonly pollInterval: number;
  /** How often the table is read while LISTEN works (PostgreSQL), in ms; default 5000. */
  readonly safetyPollInterval?: number;
  /** Events older than this many ms are deleted by the node every `pruneInterval` ms. */
  readonly retention?: number;
  /** Default 60 000 ms. Every node prunes: a delete is idempotent. */
  readonly pruneInterval?: number;
  /** Back-off of the LISTEN reconnects, in ms (default 100 → 5000). */
  readonly listenBackoff?: { readonly min: number; readonly max: number };
  readonly now?: () => number;
}

export function createEventBus(options: EventBusOptions): EventBus {
  const { store, logger } = options;
  const now = options.now ?? Date.now;
  const safetyPollInterval = options.safetyPollInterval ?? 5000;
  const subscribers = new Set<EventSubscriber>();
  const appliedListeners = new Set<(appliedThrough: number) => void>();
  const cursor = createEventCursor(store, now);
  let listener: PgEventListener | null = null;
  let stopped = false;
  // Set once the cursor is placed: a notification or reconnect before that reads nothing.
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;
  let unsubscribeCommit: (() => void) | undefined;
  let failingSince = 0;
  let lastReadAt = now();
  let lastAppliedAt: number | null = null;
  // Bumped when notifications may have been missed (LISTEN lost or back); a read that started in
  // the current generation and read to the end makes the bus caught up again.
  let generation = 0;
  let caughtUpGeneration = 0;

  const announceApplied = () => {
    lastAppliedAt = now();
    const through = cursor.appliedThrough();
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

  const readOnce = async (): Promise<void> => {
    const started = generation;
    let batch: Awaited<ReturnType<typeof cursor.read>>;
    try {
      batch = await cursor.read();
    } catch (err) {
      if (!failingSince) logger.warn({ err: (err as Error).message }, 'cannot read cluster events; serving what this node holds');
      failingSince ||= now();
      return;
    }
    if (failingSince) {
      logger.info({ away_ms: now() - failingSince }, 'cluster events readable again');
      failingSince = 0;
    }
    // Events older than the retention may have been pruned since the last read.
    const away = now() - lastReadAt;
    lastReadAt = now();
    if (options.retention && away > options.retention / 2) resync(`no cluster event read for ${away} ms`);
    const { events, full } = batch;
    if (events.length > 0) {
      // Our own writes were delivered at commit time.
      const remote = events.filter((e) => e.node_id !== store.nodeId);
      if (remote.length > 0) deliver(remote);
      announceApplied();
    }
    if (full) return readOnce();
    if (started === generation) caughtUpGeneration = started;
  };

  let inFlight: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  /** A read that starts after this call: joins the queued one if there is one. */
  const read = (): Promise<void> => {
    if (!inFlight) {
      inFlight = readOnce().finally(() => (inFlight = undefined));
      return inFlight;
    }
    queued ??= inFlight.then(() => {
      queued = undefined;
      return read();
    });
    return queued;
  };

  const arm = () => {
    if (timer) clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(
      () => {
        timer = undefined;
        void read().then(arm);
      },
      listener?.connected() && failingSince === 0 ? safetyPollInterval : options.pollInterval,
    );
    timer.unref();
  };

  const prune = async () => {
    if (!options.retention) return;
    try {
      const deleted = await store.events.prune(now() - options.retention);
      if (deleted > 0) logger.debug({ deleted }, 'old cluster events purged');
    } catch (err) {
      logger.debug({ err: (err as Error).message }, 'cannot purge old cluster events now');
    }
  };

  return {
    subscribe(subscriber) {
      subscribers.add(subscriber);
      return () => subscribers.delete(subscriber);
    },
    async start() {
      if (store.openListener) {
        const open = store.openListener;
        listener = createPgEventListener({
          open: (handlers) => open(EVENTS_CHANNEL, handlers),
          logger,
          now,
          ...(options.listenBackoff ? { minBackoff: options.listenBackoff.min, maxBackoff: options.listenBackoff.max } : {}),
          onNotify: () => {
            if (running) void read();
          },
          onUp: () => {
            generation++;
            if (!running) return;
            arm();
            void read();
          },
          onDown: () => {
            generation++;
            if (running) arm();
          },
        });
        // LISTEN before reading the newest id: an event committed in between is notified.
        await listener.start();
      }
      try {
        cursor.reset(await store.events.latestId());
      } catch (err) {
        await listener?.stop(); // no reconnect loop behind a start that failed
        throw err;
      }
      caughtUpGeneration = generation;
      lastReadAt = now();
      unsubscribeCommit = store.onCommit(deliver);
      running = true;
      arm();
      if (options.retention) {
        pruneTimer = setInterval(() => void prune(), options.pruneInterval ?? 60_000);
        pruneTimer.unref();
      }
    },
    poll: () => read(),
    appliedThrough: () => cursor.appliedThrough(),
    onApplied(listener) {
      appliedListeners.add(listener);
      return () => appliedListeners.delete(listener);
    },
    health() {
      const listening = listener?.connected() ?? false;
      // The table is the source of truth: while LISTEN is down the bus polls it at `pollInterval`
      // and misses nothing, so it stays connected (mode `poll` says it); a LISTEN outage must not
      // make every node not-ready at once. It is caught up once a read after the change finished.
      const connected = failingSince === 0;
      return {
        mode: listening ? 'notify' : 'poll',
        connected,
        caughtUp: connected && caughtUpGeneration === generation,
        appliedThrough: cursor.appliedThrough(),
        lastAppliedAt,
        failingSince: failingSince === 0 ? null : failingSince,
      };
    },
    async stop() {
      stopped = true;
      running = false;
      if (timer) clearTimeout(timer);
      if (pruneTimer) clearInterval(pruneTimer);
      unsubscribeCommit?.();
      await listener?.stop();
    },
  };
}
