/**
 * Waiting for PostgreSQL at start: only an unreachable database is waited for (with back-off and
 * throttled logging); a refused password or a missing database ends the wait at once, so the
 * normal start reports it; SIGTERM (an aborted signal) ends it too.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import { testPgUrl } from '../../test/support/databases.js';
// @ts-expect-error: a plain ES module of the test tooling, without types
import { freePort } from '../../scripts/test-postgres.mjs';
import { awaitDatabase, postgresProbe } from './await-database.js';

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write: (chunk, _e, done) => (lines.push(JSON.parse(String(chunk))), done()) });
  return { logger: pino({ level: 'info' }, sink), lines };
}

function pgConfig(overrides: Partial<Config>): Config {
  const url = new URL(testPgUrl());
  const base = loadConfig({ env: {} });
  return {
    ...base,
    database: 'postgres',
    pg_host: url.hostname,
    pg_port: Number(url.port),
    pg_user: decodeURIComponent(url.username),
    pg_password: decodeURIComponent(url.password),
    pg_database: url.pathname.slice(1) || 'postgres',
    ...overrides,
  };
}

describe('awaitDatabase', () => {
  it('returns after one attempt when the database answers', async () => {
    const { logger } = capturingLogger();
    assert.equal(await awaitDatabase({ ...postgresProbe(pgConfig({})), logger }), 1);
  });

  const STOPS_AT_ONCE = [
    { name: 'the password is refused', config: { pg_password: 'not-the-password' } },
    { name: 'the user does not exist', config: { pg_user: 'nobody_here' } },
    { name: 'the database does not exist', config: { pg_database: 'no_such_database_here' } },
  ];
  for (const c of STOPS_AT_ONCE) {
    it(`does not wait when ${c.name} (a configuration error the normal start reports)`, async () => {
      const { logger, lines } = capturingLogger();
      const causes: string[] = [];
      assert.equal(await awaitDatabase({ ...postgresProbe(pgConfig(c.config)), logger, onUnreachable: (cause) => causes.push(cause) }), 1);
      assert.deepEqual(causes, []);
      assert.equal(lines.length, 0);
    });
  }

  it('retries a refused connection with back-off until the database answers, logging host:port and never the password', async () => {
    const port: number = await freePort();
    const { logger, lines } = capturingLogger();
    const unreachable = postgresProbe(pgConfig({ pg_port: port, pg_password: 'hunter2-secret' }));
    const reachable = postgresProbe(pgConfig({}));
    const causes: string[] = [];
    const started = Date.now();
    let attempts = 0;
    const made = await awaitDatabase({
      target: unreachable.target,
      probe: () => (++attempts <= 4 ? unreachable.probe() : reachable.probe()),
      logger,
      onUnreachable: (cause) => causes.push(cause),
      initialDelay: 20,
      maxDelay: 80,
      logEvery: 60_000,
    });
    assert.equal(made, 5);
    assert.ok(Date.now() - started >= 20 + 40 + 80 + 80, 'waits 20, 40, 80, 80 ms between attempts');
    assert.deepEqual(causes, Array(4).fill(`127.0.0.1:${port} is unreachable (ECONNREFUSED)`));
    const warnings = lines.filter((l) => l['level'] === 40);
    assert.equal(warnings.length, 1, 'one warning per logEvery, not one per attempt');
    assert.equal(warnings[0]!['database'], `127.0.0.1:${port}`);
    assert.ok(lines.some((l) => l['msg'] === 'the database answers: starting'));
    assert.ok(!JSON.stringify(lines).includes('hunter2-secret'));
  });

  it('stops waiting when its signal aborts (SIGTERM while starting)', async () => {
    const port: number = await freePort();
    const { logger } = capturingLogger();
    const abort = new AbortController();
    const waiting = awaitDatabase({
      ...postgresProbe(pgConfig({ pg_port: port })),
      logger,
      signal: abort.signal,
      initialDelay: 10_000,
      onUnreachable: () => abort.abort(new Error('SIGTERM')),
    });
    await assert.rejects(waiting, /SIGTERM/);
  });
});
