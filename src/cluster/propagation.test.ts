import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createPropagationTracker, type PropagationTracker } from './propagation.js';
import { upsertClusterNode, type ClusterNodeRow } from './cluster-nodes.js';
import { DIALECTS, createTestStore, type TestStore } from '../../test/support/databases.js';

const names = (refs: readonly { node_name: string }[]) => refs.map((r) => r.node_name).sort();

for (const dialect of DIALECTS) {
  describe(`propagation on ${dialect}`, () => {
    let t: TestStore;
    let tracker: PropagationTracker;
    const node = (name: string, applied: number, heartbeatAgo = 0): ClusterNodeRow => ({
      instance_id: `id-${name}`,
      node_name: name,
      hostname: 'h',
      pid: 1,
      version: '1',
      addresses: { proxy: `10.0.0.1:${8000 + name.length}` },
      started_at: Date.now() - 60_000,
      heartbeat_at: Date.now() - heartbeatAgo,
      applied_event: applied,
      state: 'ready',
    });
    const put = (row: ClusterNodeRow) => upsertClusterNode(t.store.db, row);

    before(async () => {
      t = await createTestStore(dialect);
      tracker = createPropagationTracker({ store: t.store, nodeTimeout: 1000 });
    });
    beforeEach(async () => {
      await t.store.db.deleteFrom('cluster_nodes').execute();
    });
    after(() => t.close());

    it('counts live nodes at or past the event as acknowledged, the others pending, and ignores nodes without a recent heartbeat', async () => {
      await put(node('past', 12));
      await put(node('at', 10));
      await put(node('behind', 9));
      await put(node('silent', 0, 5000));
      const p = await tracker.status(10, null);
      assert.deepEqual([names(p.acknowledged), names(p.pending), p.complete], [['at', 'past'], ['behind'], false]);
      assert.deepEqual(p.pending[0], { instance_id: 'id-behind', node_name: 'behind', address: '10.0.0.1:8006' });
    });

    it('counts the writer of the event as acknowledged whatever its applied_event', async () => {
      await put(node('writer', 0));
      const p = await tracker.status(10, 'id-writer');
      assert.deepEqual([names(p.acknowledged), p.pending, p.complete], [['writer'], [], true]);
    });

    it('resolves a wait as soon as the last live node applies the event', async () => {
      await put(node('fast', 20));
      await put(node('slow', 5));
      const waiting = tracker.awaitPropagation(20, 5000);
      const started = Date.now();
      setTimeout(() => void put(node('slow', 20)), 100);
      const p = await waiting;
      assert.equal(p.complete, true);
      assert.deepEqual(names(p.acknowledged), ['fast', 'slow']);
      assert.ok(Date.now() - started < 2000, `resolved when applied, not at the deadline (${Date.now() - started} ms)`);
    });

    it('answers at the deadline with the nodes still pending', async () => {
      await put(node('ok', 30));
      await put(node('stuck', 1));
      const started = Date.now();
      const p = await tracker.awaitPropagation(30, 200);
      assert.ok(Date.now() - started >= 200);
      assert.deepEqual([names(p.acknowledged), names(p.pending), p.complete], [['ok'], ['stuck'], false]);
    });

    it('serves concurrent waiters for different events from the same reads', async () => {
      await put(node('a', 40));
      await put(node('b', 35));
      const [done, pending, immediate] = await Promise.all([
        tracker.awaitPropagation(35, 2000),
        tracker.awaitPropagation(40, 150),
        tracker.awaitPropagation(41, 0),
      ]);
      assert.deepEqual([done.complete, names(pending.pending), names(immediate.pending)], [true, ['b'], ['a', 'b']]);
    });

    it('with no live node at all, is complete at once', async () => {
      await put(node('gone', 0, 60_000));
      const p = await tracker.awaitPropagation(50, 5000);
      assert.deepEqual([p.acknowledged, p.pending, p.complete], [[], [], true]);
    });
  });
}
