/**
 * Keeps one PostgreSQL LISTEN connection on the events channel open: each notification says
 * "read the table now". When the connection is lost it reconnects with a back-off (100 ms
 * doubling to 5 s, with jitter so nodes do not all knock at once) and reports each transition,
 * so the event bus can poll meanwhile and read what it missed after the reconnect.
 * One warn line when the connection goes down, one info line (with how long) when it is back.
 */
import type { Logger } from 'pino';
import type { PostgresListener, PostgresListenerHandlers } from '../store/dialects/postgres.js';

export interface PgEventListenerOptions {
  /** Opens a LISTEN connection (the store's `openListener`, bound to the channel). */
  readonly open: (handlers: PostgresListenerHandlers) => Promise<PostgresListener>;
  readonly logger: Logger;
  /** A notification arrived (its payload is not trusted: it only triggers a read). */
  readonly onNotify: () => void;
  /** The connection is (re)established: notifications flow from now on. */
  readonly onUp: () => void;
  /** The connection was lost: notifications may be missed until onUp. */
  readonly onDown: () => void;
  readonly minBackoff?: number;
  readonly maxBackoff?: number;
  readonly now?: () => number;
}

export interface PgEventListener {
  /** Tries to connect once; on failure keeps retrying in the background. Resolves whether it is up. */
  start(): Promise<boolean>;
  connected(): boolean;
  /** The LISTEN connection's server process id while connected (tests terminate it). */
  processId(): number | null;
  stop(): Promise<void>;
}

export function createPgEventListener(options: PgEventListenerOptions): PgEventListener {
  const { logger } = options;
  const minBackoff = options.minBackoff ?? 100;
  const maxBackoff = options.maxBackoff ?? 5000;
  const now = options.now ?? Date.now;
  let current: PostgresListener | null = null;
  let stopped = false;
  let backoff = minBackoff;
  let retry: NodeJS.Timeout | undefined;
  let downSince: number | null = null;

  const lost = () => {
    current = null;
    if (stopped) return;
    if (downSince === null) {
      downSince = now();
      logger.warn('the cluster event LISTEN connection is down: polling cluster_events until it is back');
    }
    options.onDown();
    schedule();
  };

  const schedule = () => {
    if (stopped || retry) return;
    const delay = backoff * (0.8 + Math.random() * 0.4);
    backoff = Math.min(backoff * 2, maxBackoff);
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, delay);
    retry.unref();
  };

  const connect = async (): Promise<boolean> => {
    let opened: PostgresListener;
    try {
      opened = await options.open({ onNotification: () => options.onNotify(), onEnd: lost });
    } catch (err) {
      if (downSince === null) {
        downSince = now();
        logger.warn({ err: (err as Error).message }, 'cannot open the cluster event LISTEN connection: polling cluster_events until it opens');
      }
      schedule();
      return false;
    }
    if (stopped) {
      await opened.close();
      return false;
    }
    current = opened;
    backoff = minBackoff;
    if (downSince !== null) {
      logger.info({ down_ms: now() - downSince }, 'the cluster event LISTEN connection is back');
      downSince = null;
    }
    options.onUp();
    return true;
  };

  return {
    start: () => connect(),
    connected: () => current !== null,
    processId: () => current?.processId ?? null,
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      retry = undefined;
      const open = current;
      current = null;
      await open?.close();
    },
  };
}
