/**
 * The start-up step before the store opens: on PostgreSQL, waits until the database can be
 * reached (await-database.ts) and, from the first failed attempt, answers on `admin_listen`
 * with the starting listener (not ready, and why). The caller closes the returned listener just
 * before the real Admin API binds the same address. SQLite has nothing to wait for.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { awaitDatabase, postgresProbe } from './await-database.js';
import { startStartingListener, type StartingIdentity, type StartingListener } from './starting-listener.js';

/** Resolves when the store may be opened, with the starting listener if one was opened; rejects when `signal` aborts. */
export async function waitForDatabase(config: Config, identity: StartingIdentity, logger: Logger, signal?: AbortSignal): Promise<StartingListener | null> {
  if (config.database !== 'postgres') return null;
  let listening: Promise<StartingListener | null> | undefined;
  let latest = '';
  const { probe, target } = postgresProbe(config);
  try {
    await awaitDatabase({
      probe,
      target,
      logger,
      signal,
      onUnreachable(cause) {
        latest = cause;
        listening ??= startStartingListener(config, identity).catch((err: unknown) => {
          logger.warn({ admin: config.admin_listen, code: (err as { code?: string }).code }, 'could not answer on admin_listen while waiting for the database');
          return null;
        });
        void listening.then((listener) => listener?.setCause(latest));
      },
    });
  } catch (err) {
    await (await listening)?.close();
    throw err;
  }
  return (await listening) ?? null;
}
