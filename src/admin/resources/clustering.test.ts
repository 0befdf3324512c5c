import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../../../test/support/running-node.js';
import { upsertClusterNode } from '../../cluster/cluster-nodes.js';

describe('/clustering', () => {
  let n: TestNode;
  before(async () => {
    n = await startTestNode('sqlite', { config: { node_id: 'edge-a', cluster_node_timeout: 2000 } });
  });
  after(() => n.close());

  describe('200', () => {
    it('GET /clustering/nodes lists this process, live and ready, with its listeners', async () => {
      const res = await n.call('GET', '/clustering/nodes');
      assert.equal(res.status, 200);
      const [me] = res.body['data'];
      assert.equal(res.body['data'].length, 1);
      assert.deepEqual([me.instance_id, me.node_name, me.pid, me.state, me.live], [n.node.instanceId, 'edge-a', process.pid, 'ready', true]);
      assert.equal(me.addresses.proxy, `127.0.0.1:${n.node.proxyAddress.port}`);
      assert.equal(me.addresses.admin, `127.0.0.1:${n.node.adminAddress.port}`);
      assert.ok(me.heartbeat_at >= me.started_at);
    });

    it('GET /clustering/nodes shows a node whose heartbeat stopped as not live', async () => {
      const now = Date.now();
      await upsertClusterNode(n.node.store.db, {
        instance_id: 'silent',
        node_name: 'edge-b',
        hostname: 'h',
        pid: 2,
        version: '1',
        addresses: {},
        started_at: now - 60_000,
        heartbeat_at: now - 5000,
        applied_event: 0,
        state: 'ready',
      });
      try {
        const res = await n.call('GET', '/clustering/nodes');
        const silent = res.body['data'].find((x: { instance_id: string }) => x.instance_id === 'silent');
        assert.equal(silent.live, false);
      } finally {
        await n.node.store.db.deleteFrom('cluster_nodes').where('instance_id', '=', 'silent').execute();
      }
    });

    it('GET /clustering/events/{id}: kind, operation, time, writer, and who applied it — no entity id or data', async () => {
      assert.equal((await n.call('POST', '/consumers', { username: 'alice' })).status, 201);
      assert.equal((await n.call('POST', '/consumers/alice/api-keys', { name: 'k' })).status, 201);
      const revoke = await fetch(`http://127.0.0.1:${n.node.adminAddress.port}/consumers/alice/api-keys/k`, { method: 'DELETE' });
      const id = Number(revoke.headers.get('portcullis-event-id'));
      const res = await n.call('GET', `/clustering/events/${id}`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.body).sort(), ['acknowledged', 'complete', 'created_at', 'entity', 'id', 'operation', 'pending', 'written_by']);
      assert.deepEqual(
        [res.body['id'], res.body['entity'], res.body['operation'], res.body['written_by'], res.body['complete']],
        [id, 'api_keys', 'update', n.node.instanceId, true],
      );
      assert.deepEqual(
        res.body['acknowledged'].map((r: { instance_id: string }) => r.instance_id),
        [n.node.instanceId],
      );
      assert.ok(Math.abs(res.body['created_at'] - Date.now()) < 60_000);
    });
  });

  describe('400: an id that is not a positive integer', () => {
    for (const id of ['abc', '0', '-1', '1.5', '1e3', '0x10', '01', '1234567890123456', '%20']) {
      it(`/clustering/events/${id}`, async () => {
        const res = await n.call('GET', `/clustering/events/${id}`);
        assert.equal(res.status, 400, res.text);
        assert.equal(res.body['code'], 'PC_VALIDATION_FAILED');
        assert.equal(res.body['fields'][0].path, 'id');
      });
    }
  });

  describe('404: an unknown or purged event', () => {
    it('an id past the last event', async () => {
      const res = await n.call('GET', `/clustering/events/${(await n.node.store.events.latestId()) + 1000}`);
      assert.equal(res.status, 404);
      assert.equal(res.body['code'], 'PC_CLUSTER_EVENT_UNKNOWN');
    });
    it('a purged event', async () => {
      const id = await n.node.store.events.latestId();
      await n.node.store.events.prune(Date.now() + 1000);
      const res = await n.call('GET', `/clustering/events/${id}`);
      assert.equal(res.status, 404);
      assert.equal(res.body['code'], 'PC_CLUSTER_EVENT_UNKNOWN');
    });
  });
});
