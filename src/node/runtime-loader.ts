/**
 * Keeps the proxy's in-memory state current: a full build from the store at start, then a
 * rebuild whenever an event touches what the router or the plugin pipeline reads. Rebuilds are
 * coalesced, run one at a time, and swap the state atomically; if a rebuild fails (database
 * down), the node keeps serving the state it has and tries again on the next event or retry.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { EventSubscriber } from '../cluster/event-bus.js';
import type { ClusterEvent } from '../store/cluster-events.js';

const TOLERANT = { tolerant: true } as const;

/** Entities whose changes require a rebuild of the proxy state (a vault's: the node reloads vaults first, then asks). */
const PROXY_ENTITIES = new Set(['services', 'routes', 'plugins', 'consumers', 'certificates', 'snis', 'ca_certificates']);

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
  /** Called after each successful swap. */
  readonly onSwap?: (state: S) => void;
  /** Milliseconds between retries after a failed rebuild. */
  readonly retryInterval?: number;
}

export interface RuntimeLoader<S> extends EventSubscriber {
  /** Loads the first state; throws if the store cannot be read. */
  load(): Promise<S>;
  current(): S;
  /** Resolves when every rebuild requested so far has finished. */
  settled(): Promise<void>;
  stop(): void;
}

export function createRuntimeLoader<S extends { close?(): void }, P = StateSnapshot>(options: RuntimeLoaderOptions<S, P>): RuntimeLoader<S> {
  const { store, logger } = options;
  let state: S | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;

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

  const swap = (next: S) => {
    const previous = state;
    state = next;
    options.onSwap?.(next);
    previous?.close?.();
  };

  const rebuild = async (): Promise<void> => {
    do {
      again = false;
      try {
        swap(options.build(await prepared()));
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'could not rebuild the proxy configuration; serving the previous one');
        if (!stopped) {
          clearTimeout(retry);
          retry = setTimeout(request, options.retryInterval ?? 2000);
          retry.unref();
        }
        return;
      }
    } while (again && !stopped);
  };

  function request(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = rebuild().finally(() => (running = undefined));
  }

  return {
    async load() {
      const first = options.build(await prepared());
      swap(first);
      return first;
    },
    current() {
      if (!state) throw new Error('the runtime state is not loaded yet');
      return state;
    },
    async settled() {
      while (running) await running;
    },
    onEvents(events: readonly ClusterEvent[]) {
      if (events.some((e) => PROXY_ENTITIES.has(e.entity))) request();
    },
    onResync() {
      request();
    },
    stop() {
      stopped = true;
      clearTimeout(retry);
    },
  };
}
