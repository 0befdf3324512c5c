/**
 * The node's own endpoints: `/`, `/status`, `/status/ready` and `/metrics`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
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
