/**
 * Keyring sharing between nodes (Kong's cluster strategy, issue 10 §4): with
 * `keyring_strategy: cluster`, every node holds its keys in its own data folder, so a node started
 * on another machine, or one that missed a key generated elsewhere, lacks keys the database lists.
 * This runs both sides of the exchange in one process: it asks for what it lacks
 * (keyring-share-requester.ts) and answers what others lack (keyring-share-responder.ts).
 *
 * Pace: a round every `fast` ms (1 s); once the keys were missing for `keyring_share_timeout`, the
 * asking side slows to `slow` ms (30 s) while the answering side keeps its pace. Cluster events
 * make both react at once: a `keyring` change (a key generated or activated elsewhere), a request
 * (another node asks) or an answer to this process's request.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import type { Store } from '../store/store.js';
import type { ClusterEvent } from '../store/cluster-events.js';
import type { KeyringHolder } from '../keyring/keyring.js';
import type { KeyringManager } from '../keyring/keyring-manager.js';
import type { EventSubscriber } from './event-bus.js';
import { EXCHANGE_ENTITY } from './keyring-exchange-table.js';
import { createShareRequester, notSharedText } from './keyring-share-requester.js';
import { createShareResponder } from './keyring-share-responder.js';

export interface KeyringExchangeDeps {
  readonly store: Store;
  readonly keyring: KeyringManager;
  readonly holder: KeyringHolder;
  readonly logger: Logger;
  /** The node's name, shown to the operators of the answering nodes. */
  readonly nodeName: string;
  readonly config: Pick<Config, 'keyring_share_timeout'>;
  /** Tests: shorter paces (ms). */
  readonly intervals?: { readonly fast?: number; readonly slow?: number; readonly renew?: number; readonly staleAfter?: number };
  readonly now?: () => number;
}

export interface KeyringExchange {
  /** Starts the rounds and makes the keyring's problem() report PC_KEYRING_NOT_SHARED after the timeout. */
  start(): void;
  /** Subscribe it to the event bus. */
  readonly subscriber: EventSubscriber;
  /** PC_KEYRING_NOT_SHARED (with the operator's guidance) once the timeout passed without the keys, else null. */
  problem(): PortcullisError | null;
  /** Runs a round of both sides now and resolves when it is done. */
  run(): Promise<void>;
  /** Stops the rounds and withdraws this process's request. */
  stop(): Promise<void>;
}

const SPARE_DELAY_MS = 10_000;

export function createKeyringExchange(deps: KeyringExchangeDeps): KeyringExchange {
  const { store, keyring, logger } = deps;
  const now = deps.now ?? Date.now;
  const fast = deps.intervals?.fast ?? 1000;
  const slow = deps.intervals?.slow ?? 30_000;
  const me = store.nodeId;
  const requester = createShareRequester({
    store,
    keyring,
    logger,
    nodeName: deps.nodeName,
    timeout: deps.config.keyring_share_timeout,
    renewInterval: deps.intervals?.renew ?? 30_000,
    now,
  });
  const responder = createShareResponder({ store, holder: deps.holder, logger, staleAfter: deps.intervals?.staleAfter ?? 5 * 60_000, now });
  let timer: NodeJS.Timeout | undefined;
  let spareTimer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let again = false;
  let urgent = false;
  let lastAsked = 0;
  let stopped = true;

  const round = async () => {
    do {
      again = false;
      const ask = urgent || !requester.notShared() || now() - lastAsked >= slow;
      urgent = false;
      if (ask) {
        lastAsked = now();
        await requester.step();
      }
      await responder.step();
    } while (again && !stopped);
  };
  const schedule = () => {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(() => void run(), fast);
    timer.unref();
  };
  const run = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = round().finally(() => {
      running = null;
      schedule();
    });
    return running;
  };
  /** A round now; `ask` also runs the asking side when it is in its slow pace. */
  const kick = (ask: boolean) => {
    if (stopped) return;
    urgent ||= ask;
    void run();
  };
  const reloadThenKick = () =>
    void keyring
      .reload()
      .catch((err) => logger.warn({ err: (err as Error).message }, 'could not reload the keyring'))
      .then(() => kick(true));

  const problem = () => (requester.notShared() ? new PortcullisError('PC_KEYRING_NOT_SHARED', { message: notSharedText(keyring.missing()) }) : null);

  return {
    start() {
      stopped = false;
      keyring.attachSharing(problem);
      // The spare key pair once the node is up: its start competes for the CPU with nothing more.
      spareTimer = setTimeout(() => requester.prepare(), SPARE_DELAY_MS);
      spareTimer.unref();
      void run();
    },
    subscriber: {
      onEvents(events: readonly ClusterEvent[]) {
        if (events.some((e) => e.entity === 'keyring')) return reloadThenKick();
        const exchange = events.filter((e) => e.entity === EXCHANGE_ENTITY);
        if (exchange.length > 0) kick(exchange.some((e) => e.entity_id === me));
      },
      onResync() {
        reloadThenKick();
      },
    },
    problem,
    run,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(spareTimer);
      await running;
      await requester.withdraw();
    },
  };
}
