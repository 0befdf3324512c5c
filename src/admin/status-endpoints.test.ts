/**
 * The node's own endpoints: `/`, `/status`, `/status/ready` and `/metrics`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, unlinkSync } from 'node:fs';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createMetrics } from '../observability/metrics.js';
import { createAdminHarness, type AdminHarness } from '../../test/support/admin-harness.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import type { EventBusHealth } from '../cluster/event-bus.js';

describe('Admin API status endpoints', () => {
  let database: TestDatabase;
  let h: AdminHarness;

  before(async () => {
    database = await createTestDatabase('sqlite');
    h = await createAdminHarness(database, { ready: false, metrics: createMetrics({ collectProcessMetrics: false }) });
  });
  after(async () => {
    await h.close();
    await database.drop();
  });

  describe('503', () => {
    it('answers /status/ready with 503 PC_ADMIN_NOT_READY until the node has loaded its configuration', async () => {
      const res = await h.call('GET', '/status/ready');
      assert.equal(res.status, 503);
      assert.equal(res.body.code, 'PC_ADMIN_NOT_READY');
    });
  });

  describe('200', () => {
    it('answers /status/ready with {ready: true} once the node is ready', async () => {
      h.setReady(true);
      const res = await h.call('GET', '/status/ready');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { ready: true });
    });

    it('reports the database as reachable and counts requests at /status', async () => {
      const first = await h.call('GET', '/status');
      assert.equal(first.status, 200);
      assert.equal(first.body.database.reachable, true);
      assert.equal(first.body.database.writable, true);
      assert.equal(first.body.database.error, undefined);
      assert.equal(first.body.ready, true);
      assert.equal(typeof first.body.server.connections_active, 'number');
      assert.ok(first.body.memory.rss_bytes > 0);
      const second = await h.call('GET', '/status');
      assert.equal(second.body.server.total_requests, first.body.server.total_requests + 1);
    });

    it('serves Prometheus metrics with their content type at /metrics', async () => {
      const res = await h.call('GET', '/metrics');
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      assert.match(res.text, /# TYPE portcullis_http_requests_total counter/);
    });

    it('describes the node at /', async () => {
      const res = await h.call('GET', '/');
      assert.equal(res.status, 200);
      assert.match(res.body.version, /^\d+\.\d+\.\d+/);
      assert.equal(res.body.node_id, 'node-test');
      assert.equal(res.body.database, 'sqlite');
    });
  });

  describe('when the database file cannot take writes', () => {
    const CASES = [
      { name: 'is read-only', act: (path: string) => chmodSync(path, 0o444), code: 'PC_STORE_READ_ONLY' },
      { name: 'was deleted', act: (path: string) => unlinkSync(path), code: 'PC_STORE_UNAVAILABLE' },
    ];
    for (const c of CASES) {
      it(`answers /status/ready with 503 naming ${c.code} (no file path) and /status with the full cause when the file ${c.name}`, async () => {
        const db = await createTestDatabase('sqlite');
        const broken = await createAdminHarness(db);
        try {
          c.act(db.config.sqlite_path);
          const ready = await broken.call('GET', '/status/ready');
          assert.equal(ready.status, 503);
          assert.equal(ready.body.code, 'PC_ADMIN_NOT_READY');
          assert.ok(ready.body.message.includes(c.code), ready.body.message);
          assert.ok(!ready.body.message.includes(db.config.sqlite_path));
          const status = await broken.call('GET', '/status');
          assert.equal(status.body.database.reachable, true, 'a select still answers on the file SQLite holds open');
          assert.equal(status.body.database.writable, false);
          assert.equal(status.body.database.error.code, c.code);
          assert.ok(status.body.database.error.message.includes(db.config.sqlite_path));
        } finally {
          await broken.close();
          await db.drop();
        }
      });
    }
  });

  describe('when the database is gone', () => {
    it('reports it unreachable at /status and not ready at /status/ready', async () => {
      const db = await createTestDatabase('sqlite');
      const gone = await createAdminHarness(db);
      await gone.store.close();
      try {
        const status = await gone.call('GET', '/status');
        assert.equal(status.status, 200);
        assert.equal(status.body.database.reachable, false);
        const ready = await gone.call('GET', '/status/ready');
        assert.equal(ready.status, 503);
        assert.equal(ready.body.code, 'PC_ADMIN_NOT_READY');
        assert.match(ready.body.message, /database/);
      } finally {
        await gone.server.close();
        await db.drop();
      }
    });
  });

  describe('readiness inputs: event stream and keyring', () => {
    const HEALTHY: EventBusHealth = { mode: 'notify', connected: true, caughtUp: true, appliedThrough: 0, lastAppliedAt: null, failingSince: null };
    const CASES: { name: string; events: Partial<EventBusHealth>; keyring: PortcullisError | null; status: number; cause?: RegExp }[] = [
      { name: 'connected, caught up, keyring complete', events: {}, keyring: null, status: 200 },
      {
        name: 'the event stream is disconnected',
        events: { connected: false, caughtUp: false, failingSince: 1_700_000_000_000 },
        keyring: null,
        status: 503,
        cause: /not connected/,
      },
      { name: 'the event stream is catching up', events: { caughtUp: false }, keyring: null, status: 503, cause: /catching up/ },
      {
        name: 'the keyring was not shared yet',
        events: {},
        keyring: new PortcullisError('PC_KEYRING_NOT_SHARED'),
        status: 503,
        cause: /PC_KEYRING_NOT_SHARED/,
      },
      { name: 'a keyring key is missing', events: {}, keyring: new PortcullisError('PC_KEYRING_KEY_MISSING'), status: 503, cause: /PC_KEYRING_KEY_MISSING/ },
    ];
    for (const c of CASES) {
      it(`answers /status/ready with ${c.status} and /status with ready=${c.status === 200} when ${c.name}`, async () => {
        const db = await createTestDatabase('sqlite');
        const events = { ...HEALTHY, ...c.events };
        const node = await createAdminHarness(db, {
          status: { eventHealth: () => events, keyringProblem: () => c.keyring, keyringState: () => ({ active: 'Abcd1234', missing: c.keyring ? 1 : 0 }) },
        });
        try {
          const ready = await node.call('GET', '/status/ready');
          assert.equal(ready.status, c.status);
          if (c.cause) {
            assert.equal(ready.body.code, 'PC_ADMIN_NOT_READY');
            assert.match(ready.body.message, c.cause);
          }
          const status = await node.call('GET', '/status');
          assert.equal(status.body.ready, c.status === 200);
          if (c.cause) assert.match(status.body.cause, c.cause);
          else assert.equal(status.body.cause, undefined);
          assert.equal(status.body.events.connected, events.connected);
          assert.equal(status.body.events.caught_up, events.caughtUp);
          assert.equal(status.body.events.failing_since, events.failingSince === null ? null : new Date(events.failingSince).toISOString());
          assert.deepEqual(
            {
              complete: status.body.keyring.complete,
              active: status.body.keyring.active,
              missing: status.body.keyring.missing,
              code: status.body.keyring.error?.code,
            },
            { complete: c.keyring === null, active: 'Abcd1234', missing: c.keyring ? 1 : 0, code: c.keyring?.code },
          );
        } finally {
          await node.close();
          await db.drop();
        }
      });
    }

    it('reports identity, dialect, the newest event and the lag behind it at /status', async () => {
      const db = await createTestDatabase('sqlite');
      let applied = 0;
      const node = await createAdminHarness(db, {
        status: { eventHealth: () => ({ ...HEALTHY, mode: 'poll', appliedThrough: applied, lastAppliedAt: 1_700_000_000_000 }) },
      });
      try {
        for (const name of ['a', 'b', 'c']) assert.equal((await node.call('POST', '/services', { name, url: 'http://127.0.0.1:9' })).status, 201);
        const latest = await node.store.events.latestId();
        assert.ok(latest >= 3, 'every write recorded an event');
        applied = latest - 2;
        const behind = (await node.call('GET', '/status')).body;
        assert.equal(behind.instance_id, 'node-test');
        assert.equal(typeof behind.node_name, 'string');
        assert.equal(behind.database.dialect, 'sqlite');
        assert.deepEqual(behind.events, {
          mode: 'poll',
          connected: true,
          caught_up: true,
          applied_through: latest - 2,
          latest,
          lag: 2,
          last_applied_at: '2023-11-14T22:13:20.000Z',
          failing_since: null,
        });
        applied = latest;
        assert.equal((await node.call('GET', '/status')).body.events.lag, 0);
      } finally {
        await node.close();
        await db.drop();
      }
    });

    it('reports the newest event as unknown (null, lag null) when the database is gone', async () => {
      const db = await createTestDatabase('sqlite');
      const node = await createAdminHarness(db, { status: { eventHealth: () => HEALTHY } });
      await node.store.close();
      try {
        const status = await node.call('GET', '/status');
        assert.equal(status.status, 200);
        assert.equal(status.body.events.latest, null);
        assert.equal(status.body.events.lag, null);
        assert.equal(status.body.ready, false);
      } finally {
        await node.server.close();
        await db.drop();
      }
    });
  });
});
