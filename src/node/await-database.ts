/**
 * Start-up while PostgreSQL cannot be reached: instead of failing, the node waits and tries again
 * (back-off 0.5 s doubling to 10 s) until the database answers, then starts normally. Only
 * "unreachable" is waited for (refused or timed-out connection, unknown host, a server still
 * starting or out of connection slots); every other failure (password refused, database missing,
 * bad TLS) returns at once so the normal start reports it with its own clear message: waiting
 * would hide a configuration error behind a node that never becomes ready.
 *
 * One log line per attempt at most every `logEvery` ms, naming host:port and the driver's code,
 * never the password.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import { mapStoreError } from '../store/store-errors.js';
import { loadPg } from '../store/dialects/postgres.js';

export interface AwaitDatabaseDeps {
  /** One connection attempt: resolves when the database answers, throws the driver's error. */
  probe(): Promise<void>;
  /** What is unreachable, for the log and `/status`: `host:port`, never credentials. */
  readonly target: string;
  readonly logger: Logger;
  /** Aborted (SIGTERM): stop waiting; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /** Called after each failed attempt with why (the driver's code): the node shows it while starting. */
  onUnreachable?(cause: string): void;
  readonly initialDelay?: number;
  readonly maxDelay?: number;
  readonly logEvery?: number;
}

/** Resolves once the database answers or fails for a reason waiting cannot fix; returns the attempts made. */
export async function awaitDatabase(deps: AwaitDatabaseDeps): Promise<number> {
  const { initialDelay = 500, maxDelay = 10_000, logEvery = 10_000 } = deps;
  let delay = initialDelay;
  let loggedAt = -Infinity;
  for (let attempt = 1; ; attempt++) {
    deps.signal?.throwIfAborted();
    const failure = await deps.probe().then(
      () => null,
      (err: unknown) => err,
    );
    if (failure === null || !isUnreachable(failure)) {
      if (attempt > 1 && failure === null) deps.logger.info({ database: deps.target, attempts: attempt }, 'the database answers: starting');
      return attempt;
    }
    const cause = `${deps.target} is unreachable (${driverCode(failure)})`;
    deps.onUnreachable?.(cause);
    if (Date.now() - loggedAt >= logEvery) {
      loggedAt = Date.now();
      deps.logger.warn(
        { database: deps.target, code: driverCode(failure), attempt, retry_in_ms: delay },
        'waiting for the database: not ready until it answers',
      );
    }
    await sleep(delay, deps.signal);
    delay = Math.min(delay * 2, maxDelay);
  }
}

/** A connection attempt with the node's PostgreSQL settings, and the target it names. */
export function postgresProbe(config: Config): { probe(): Promise<void>; target: string } {
  const target = `${config.pg_host}:${config.pg_port}`;
  const settings: pg.ClientConfig = {
    host: config.pg_host,
    port: config.pg_port,
    user: config.pg_user,
    password: config.pg_password,
    database: config.pg_database,
    ssl: config.pg_ssl ? { rejectUnauthorized: true } : false,
    connectionTimeoutMillis: config.pg_connect_timeout,
  };
  return {
    target,
    async probe() {
      const client = new (loadPg().Client)(settings);
      // A connection dropped after the attempt must not crash the starting node.
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query('select 1');
      } finally {
        await client.end().catch(() => {});
      }
    },
  };
}

function isUnreachable(err: unknown): boolean {
  const mapped = mapStoreError(err, 'database');
  return mapped instanceof PortcullisError && mapped.code === 'PC_STORE_UNAVAILABLE';
}

function driverCode(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return /timeout/i.test((err as Error).message ?? '') ? 'connect timeout' : 'connection failed';
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}
