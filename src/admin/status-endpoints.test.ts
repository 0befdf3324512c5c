/**
 * The node's own endpoints: `/`, `/status`, `/status/ready` and `/metrics`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, unlinkSync } from 'node:fs';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createMetrics } from '../observability/metrics.js';
import { createAdminHarness, type AdminHarness } from '../../test/support/admin-harness.js';

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
});
