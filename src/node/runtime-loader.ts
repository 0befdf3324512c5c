/**
 * Keeps the proxy's in-memory state current: a full build from the store at start, then, for
 * each batch of events touching what the router or the plugin pipeline reads, either an update
 * (`update`: only route and service events, derived from the current state by reading the changed
 * rows) or a full rebuild — for anything else, a burst of more than `maxUpdateEvents`, a resync,
 * or an update that answers null or fails. Once a full rebuild is owed, no update runs before it
 * succeeds: the state is never one a full build could not give. Work is coalesced, runs one at a
 * time, and swaps the state atomically; if a rebuild fails (database down), the node keeps
 * serving the state it has and tries again on the next event or retry.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { EventSubscriber } from '../cluster/event-bus.js';
import type { ClusterEvent } from '../store/cluster-events.js';

const TOLERANT = { tolerant: true } as const;

/** Entities whose changes require a rebuild of the proxy state (a vault's: the node reloads vaults first, then asks). */
const PROXY_ENTITIES = new Set(['services', 'routes', 'plugins', 'consumers', 'certificates', 'snis', 'ca_certificates']);
/** Entities whose changes `update` may apply without a full rebuild. */
const UPDATABLE_ENTITIES = new Set(['services', 'routes']);

/** How a state was made: from a full read of the store, or from the previous state by an update. */
export type SwapKind = 'full' | 'update';

export interface StateSnapshot {
  readonly services: Awaited<ReturnType<Store['services']['listAll']>>;
  readonly routes: Awaited<ReturnType<Store['routes']['listAll']>>;
  readonly plugins: Awaited<ReturnType<Store['plugins']['listAll']>>;
  readonly consumers: Awaited<ReturnType<Store['consumers']['listAll']>>;
  readonly certificates: Awaited<ReturnType<Store['certificates']['listAll']>>;
  readonly snis: Awaited<ReturnType<Store['snis']['listAll']>>;
  readonly caCertificates: Awaited<ReturnType<Store['caCertificates']['listAll']>>;
}

export interface RuntimeLoaderOptions<S extends { close?(): void }, P = StateSnapshot> {
  readonly store: Store;
  readonly logger: Logger;
  /**
   * The asynchronous step between reading and building (vault references resolved): it may call
   * backends; the build after it is synchronous and never does. A rejection is a failed rebuild.
   */
  readonly prepare: (snapshot: StateSnapshot) => Promise<P>;
  /** Builds the immutable proxy state from a prepared snapshot of the store. */
  readonly build: (snapshot: P) => S;
  /**
   * Derives the next state from `state` for a batch of route and service events (reads the rows
   * they name). Null, or a rejection, means it could not: a full rebuild follows. Without it,
   * every change rebuilds in full.
   */
  readonly update?: (state: S, events: readonly ClusterEvent[]) => Promise<S | null>;
  /** Events one update takes at most (default 64); a larger burst is rebuilt in full. */
  readonly maxUpdateEvents?: number;
  /** Called after each successful swap. */
  readonly onSwap?: (state: S, kind: SwapKind) => void;
  /** Milliseconds between retries after a failed rebuild. */
  readonly retryInterval?: number;
}

export interface RuntimeLoader<S> extends EventSubscriber {
  /** Loads the first state; throws if the store cannot be read. */
  load(): Promise<S>;
  current(): S;
  /** Resolves when every rebuild and update requested so far has finished. */
  settled(): Promise<void>;
  /** Swaps since start by kind, and updates that fell back to a full rebuild (null or failed). */
  counts(): { readonly full: number; readonly update: number; readonly fallback: number };
  stop(): void;
}

export function createRuntimeLoader<S extends { close?(): void }, P = StateSnapshot>(options: RuntimeLoaderOptions<S, P>): RuntimeLoader<S> {
  const { store, logger } = options;
  let state: S | undefined;
  let running: Promise<void> | undefined;
  /** A full rebuild is owed: set by any change an update cannot take, cleared only by a successful one. */
  let full = false;
  /** Route and service events waiting for an update (empty while a full rebuild is owed). */
  let pending: ClusterEvent[] = [];
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;
  const counts = { full: 0, update: 0, fallback: 0 };
  const maxUpdateEvents = options.maxUpdateEvents ?? 64;

  const snapshot = async (): Promise<StateSnapshot> => {
    const [services, routes, plugins, consumers, certificates, snis, caCertificates] = await Promise.all([
      // Tolerant: an entity whose encrypted fields cannot be decrypted (keyring key missing) is
      // marked unreadable rather than failing the whole build; its users fail closed.
      store.services.listAll(undefined, TOLERANT),
      store.routes.listAll(undefined, TOLERANT),
      store.plugins.listAll(undefined, TOLERANT),
      store.consumers.listAll(undefined, TOLERANT),
      store.certificates.listAll(undefined, TOLERANT),
      store.snis.listAll(undefined, TOLERANT),
      store.caCertificates.listAll(undefined, TOLERANT),
    ]);
    return { services, routes, plugins, consumers, certificates, snis, caCertificates };
  };

  const prepared = async (): Promise<P> => options.prepare(await snapshot());

  const swap = (next: S, kind: SwapKind) => {
    const previous = state;
    state = next;
    counts[kind]++;
    options.onSwap?.(next, kind);
    previous?.close?.();
  };

  const owe = () => {
    full = true;
    pending = [];
  };

  /** Applies the pending events as one update; false when a full rebuild is owed instead. */
  const applyPending = async (): Promise<boolean> => {
    const batch = pending;
    pending = [];
    try {
      const next = await options.update!(state!, batch);
      // A change an update cannot take may have arrived meanwhile: it came after these events, and its full rebuild follows.
      if (next !== null) {
        swap(next, 'update');
        return true;
      }
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'could not update the proxy configuration; rebuilding it in full');
    }
    counts.fallback++;
    owe();
    return false;
  };

  /** True from a failed full rebuild until the next attempt (the retry timer, or an event, starts it). */
  let failed = false;

  const rebuild = async (): Promise<void> => {
    failed = false;
    while (!stopped && (full || pending.length > 0)) {
      if (!full && (await applyPending())) continue;
      full = false;
      pending = [];
      try {
        swap(options.build(await prepared()), 'full');
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'could not rebuild the proxy configuration; serving the previous one');
        owe();
        failed = true;
        if (!stopped) {
          clearTimeout(retry);
          retry = setTimeout(request, options.retryInterval ?? 2000);
          retry.unref();
        }
        return;
      }
    }
  };

  function request(): void {
    if (stopped || running) return;
    running = rebuild().finally(() => {
      running = undefined;
      // Work that arrived after the loop's last check (and not a failure waiting for its retry).
      if (!failed && (full || pending.length > 0)) request();
    });
  }

  return {
    async load() {
      const first = options.build(await prepared());
      swap(first, 'full');
      return first;
    },
    current() {
      if (!state) throw new Error('the runtime state is not loaded yet');
      return state;
    },
    async settled() {
      while (running) await running;
    },
    counts: () => ({ ...counts }),
    onEvents(events: readonly ClusterEvent[]) {
      const relevant = events.filter((e) => PROXY_ENTITIES.has(e.entity));
      if (relevant.length === 0) return;
      if (full || !options.update || relevant.some((e) => !UPDATABLE_ENTITIES.has(e.entity))) owe();
      else {
        pending.push(...relevant);
        if (pending.length > maxUpdateEvents) owe();
      }
      request();
    },
    onResync() {
      owe();
      request();
    },
    stop() {
      stopped = true;
      clearTimeout(retry);
    },
  };
}
