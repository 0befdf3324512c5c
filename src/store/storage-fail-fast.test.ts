/**
 * Fail fast (storage-health.ts): once PostgreSQL was seen unreachable, the store answers that at
 * once (the Admin API's 503 within a second) until a background ping succeeds; other failures,
 * and every failure with fail-fast off (SQLite), leave requests to the database.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PortcullisError } from '../errors/portcullis-error.js';
import { createStorageHealth } from './storage-health.js';
import { until as waitUntil } from '../../test/support/until.js';

const until = (what: string, check: () => boolean | Promise<boolean>, ms = 2000) => waitUntil(what, check, ms);

function health(failFastMs: number) {
  let up = false;
  let pings = 0;
  const h = createStorageHealth({
    guard: null,
    probe: async () => {},
    ping: async () => {
      pings++;
      if (!up) throw new PortcullisError('PC_STORE_UNAVAILABLE');
    },
    failFastMs,
  });
  return { h, setUp: (value: boolean) => (up = value), pings: () => pings };
}

describe('storage fail-fast', () => {
  const unreachable = new PortcullisError('PC_STORE_UNAVAILABLE', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
  const CASES = [
    { name: 'an unreachable database seen by a read', record: 'observe', err: unreachable, failFastMs: 20, opens: true },
    { name: 'an unreachable database seen by a write', record: 'writeFailed', err: unreachable, failFastMs: 20, opens: true },
    {
      name: 'a hung server (query past pg_query_timeout)',
      record: 'observe',
      err: new PortcullisError('PC_STORE_UNAVAILABLE', { cause: new Error('Query read timeout') }),
      failFastMs: 20,
      opens: true,
    },
    {
      name: 'a connection not opened in time',
      record: 'writeFailed',
      err: new PortcullisError('PC_STORE_UNAVAILABLE', { cause: new Error('timeout exceeded when trying to connect') }),
      failFastMs: 20,
      opens: true,
    },
    {
      name: 'one connection ended by the server (a terminated backend)',
      record: 'writeFailed',
      err: new PortcullisError('PC_STORE_UNAVAILABLE', { cause: new Error('Connection terminated unexpectedly') }),
      failFastMs: 20,
      opens: false,
    },
    {
      name: 'a server shutting down (57P01)',
      record: 'observe',
      err: new PortcullisError('PC_STORE_UNAVAILABLE', {
        cause: Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      }),
      failFastMs: 20,
      opens: false,
    },
    {
      name: 'a full database (not an outage of the connection)',
      record: 'writeFailed',
      err: new PortcullisError('PC_STORE_FULL'),
      failFastMs: 20,
      opens: false,
    },
    { name: 'a unique violation', record: 'observe', err: new PortcullisError('PC_STORE_UNIQUE_VIOLATION'), failFastMs: 20, opens: false },
    { name: 'a driver error not mapped to a storage failure', record: 'observe', err: new Error('boom'), failFastMs: 20, opens: false },
    { name: 'an unreachable database with fail-fast off (SQLite)', record: 'observe', err: unreachable, failFastMs: 0, opens: false },
  ] as const;
  for (const c of CASES) {
    it(`${c.opens ? 'answers at once' : 'does not answer at once'} after ${c.name}`, () => {
      const { h } = health(c.failFastMs);
      h[c.record](c.err);
      assert.equal(h.failFast(), c.opens ? c.err : null);
      assert.equal(h.beforeWrite(), c.opens ? c.err : null, 'writes are refused before touching the database alike');
      h.stop();
    });
  }

  it('keeps answering at once while background pings fail, and stops once one succeeds', async () => {
    const { h, setUp, pings } = health(10);
    h.observe(unreachable);
    await until('a few background pings failed', () => pings() >= 3);
    assert.equal(h.failFast(), unreachable);
    setUp(true);
    await until('a ping succeeded', () => h.failFast() === null);
    const after = pings();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(pings(), after, 'no ping once the database answers');
    assert.equal(h.beforeWrite(), null);
    h.stop();
  });

  it('closes at once when a status check pings the database successfully', async () => {
    const { h, setUp } = health(60_000);
    h.observe(unreachable);
    assert.equal((await h.check())?.code, 'PC_STORE_UNAVAILABLE', 'still down');
    assert.equal(h.failFast(), unreachable);
    setUp(true);
    assert.equal(await h.check(), null);
    assert.equal(h.failFast(), null);
    h.stop();
  });

  it('stops pinging when stopped (the store closed)', async () => {
    const { h, pings } = health(10);
    h.observe(unreachable);
    await until('a background ping ran', () => pings() >= 1);
    h.stop();
    await new Promise((r) => setTimeout(r, 30));
    const after = pings();
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(pings() <= after + 1, 'at most the ping in flight');
  });
});
