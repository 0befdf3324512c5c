import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../../test/support/running-node.js';
import { upsertClusterNode } from '../cluster/cluster-nodes.js';

/** A live node registered on the database that never applies anything: what a paused process looks like. */
async function registerStuckNode(n: TestNode, name: string): Promise<() => Promise<void>> {
  const now = Date.now();
  const row = {
    instance_id: `stuck-${name}`,
    node_name: name,
    hostname: 'h',
    pid: 1,
    version: '1',
    addresses: { proxy: '10.0.0.9:8000' },
    started_at: now,
    applied_event: 0,
    state: 'ready' as const,
  };
  await upsertClusterNode(n.node.store.db, { ...row, heartbeat_at: now });
  return () =>
    n.node.store.db
      .deleteFrom('cluster_nodes')
      .where('instance_id', '=', row.instance_id)
      .execute()
      .then(() => {});
}

describe('?wait= on revoke, regenerate and delete', () => {
  let n: TestNode;
  let keyCount = 0;
  const newKey = async () => {
    const name = `k${++keyCount}`;
    const res = await n.call('POST', '/consumers/alice/api-keys', { name });
    assert.equal(res.status, 201);
    return name;
  };
  const status = async (name: string) => (await n.call('GET', `/consumers/alice/api-keys/${name}`)).body['status'];

  before(async () => {
    n = await startTestNode('sqlite');
    assert.equal((await n.call('POST', '/consumers', { username: 'alice' })).status, 201);
  });
  after(() => n.close());

  describe('400: a bad wait is refused before anything is written', () => {
    for (const wait of ['', 'abc', '-1', '1.5s', '1e3', '2m', '1h', '61s', '60001', '60001ms', ' 5s', '5 s', '05s', '9999999', '1s1']) {
      it(`wait=${JSON.stringify(wait)}`, async () => {
        const name = await newKey();
        const res = await n.call('DELETE', `/consumers/alice/api-keys/${name}?wait=${encodeURIComponent(wait)}`);
        assert.equal(res.status, 400, res.text);
        assert.equal(res.body['code'], 'PC_VALIDATION_FAILED');
        assert.ok(
          (res.body['fields'] as { path: string }[]).some((f) => f.path === 'wait'),
          res.text,
        );
        assert.equal(await status(name), 'active', 'the key is not revoked');
      });
    }
    it('wait given twice', async () => {
      const name = await newKey();
      const res = await n.call('DELETE', `/consumers/alice/api-keys/${name}?wait=1s&wait=2s`);
      assert.equal(res.status, 400, res.text);
      assert.equal(await status(name), 'active');
    });
  });

  describe('204: without wait, the event id is in Portcullis-Event-Id', () => {
    it('revoke', async () => {
      const name = await newKey();
      const res = await fetch(`http://127.0.0.1:${n.node.adminAddress.port}/consumers/alice/api-keys/${name}`, { method: 'DELETE' });
      assert.equal(res.status, 204);
      const id = Number(res.headers.get('portcullis-event-id'));
      const event = (await n.node.store.events.since(id - 1, 1))[0];
      assert.deepEqual([event?.id, event?.entity, event?.operation], [id, 'api_keys', 'update']);
      assert.equal(id, await n.node.store.events.latestId());
    });
    it('revoking an unknown key changes nothing and carries no event id', async () => {
      const res = await fetch(`http://127.0.0.1:${n.node.adminAddress.port}/consumers/alice/api-keys/nope`, { method: 'DELETE' });
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('portcullis-event-id'), null);
    });
  });

  describe('200: every live node applied it', () => {
    for (const wait of ['0', '250ms', '2s', '60s', '60000', '1500']) {
      it(`revoke with wait=${wait}: acknowledged by this node`, async () => {
        const name = await newKey();
        const res = await n.call('DELETE', `/consumers/alice/api-keys/${name}?wait=${wait}`);
        assert.equal(res.status, 200, res.text);
        const p = res.body['propagation'];
        assert.equal(p.event, await n.node.store.events.latestId());
        assert.deepEqual(
          p.acknowledged.map((r: { instance_id: string }) => r.instance_id),
          [n.node.instanceId],
        );
        assert.deepEqual([p.pending, p.complete], [[], true]);
        assert.equal(await status(name), 'revoked');
      });
    }
    it('regenerate keeps its body (the new key) and adds propagation', async () => {
      const name = await newKey();
      const res = await n.call('POST', `/consumers/alice/api-keys/${name}/regenerate?wait=2s`, {});
      assert.equal(res.status, 200, res.text);
      assert.match(res.body['api_key'], /^pcg_[0-9a-f]{72}$/);
      assert.equal(res.body['name'], name);
      assert.equal(res.body['propagation'].complete, true);
    });
    it('deleting a consumer and a service', async () => {
      assert.equal((await n.call('POST', '/consumers', { username: 'bob' })).status, 201);
      assert.equal((await n.call('POST', '/services', { name: 'orders', url: 'http://127.0.0.1:9' })).status, 201);
      for (const path of ['/consumers/bob', '/services/orders']) {
        const res = await n.call('DELETE', `${path}?wait=1s`);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body['propagation'].event, await n.node.store.events.latestId());
        assert.equal((await n.call('GET', path)).status, 404);
      }
    });
    it('a revoke that changed nothing: event null, complete', async () => {
      const res = await n.call('DELETE', '/consumers/alice/api-keys/never-was?wait=1s');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body['propagation'], { event: null, acknowledged: [], pending: [], complete: true });
    });
  });

  describe('202: a live node had not applied it by the deadline', () => {
    it('revoke: committed, the stuck node pending', async () => {
      const unregister = await registerStuckNode(n, 'paused');
      try {
        const name = await newKey();
        const started = Date.now();
        const res = await n.call('DELETE', `/consumers/alice/api-keys/${name}?wait=300ms`);
        assert.ok(Date.now() - started >= 300);
        assert.equal(res.status, 202, res.text);
        assert.equal(res.body['committed'], true);
        assert.match(res.body['message'], /committed/);
        assert.deepEqual(res.body['propagation'].pending, [{ instance_id: 'stuck-paused', node_name: 'paused', address: '10.0.0.9:8000' }]);
        assert.equal(res.body['propagation'].complete, false);
        assert.equal(await status(name), 'revoked', 'the revoke is committed anyway');
      } finally {
        await unregister();
      }
    });
    it('regenerate: still returns the new key', async () => {
      const unregister = await registerStuckNode(n, 'paused-2');
      try {
        const name = await newKey();
        const res = await n.call('POST', `/consumers/alice/api-keys/${name}/regenerate?wait=100ms`, {});
        assert.equal(res.status, 202, res.text);
        assert.match(res.body['api_key'], /^pcg_/);
        assert.equal(res.body['propagation'].pending[0].node_name, 'paused-2');
      } finally {
        await unregister();
      }
    });
  });
});
