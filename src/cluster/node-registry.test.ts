import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createStore, type Store } from '../store/store.js';
import { createEventBus, type EventBus } from './event-bus.js';
import { createNodeRegistry, type NodeRegistry, type NodeRegistryOptions } from './node-registry.js';
import { sql } from 'kysely';
import { readClusterNodes, touchClusterNode, upsertClusterNode, type ClusterNode } from './cluster-nodes.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { TEST_CIPHER } from '../store/testing/test-cipher.js';

const silent = pino({ level: 'silent' });

async function until<T>(what: string, read: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 10));
  }
  return assert.fail(`${what} within ${ms} ms`);
}

for (const dialect of DIALECTS) {
  describe(`node registry on ${dialect}`, () => {
    let database: TestDatabase;
    let store: Store;
    let other: Store;
    let bus: EventBus;
    const opened: NodeRegistry[] = [];
    const rowOf = async (id: string): Promise<ClusterNode | undefined> =>
      (await readClusterNodes(store.db, Date.now(), 10_000)).find((n) => n.instance_id === id);
    const registry = async (overrides: Partial<NodeRegistryOptions> = {}) => {
      const r = createNodeRegistry({
        store,
        logger: silent,
        bus,
        nodeName: 'edge-1',
        version: '9.9.9',
        heartbeatInterval: 60_000,
        nodeTimeout: 10_000,
        ...overrides,
      });
      opened.push(r);
      await r.start();
      return r;
    };

    before(async () => {
      database = await createTestDatabase(dialect);
      store = createStore({ cipher: TEST_CIPHER, config: database.config });
      other = createStore({ cipher: TEST_CIPHER, config: database.config });
      await store.migrate();
      await other.consumers.insert({ username: 'before-start' });
      bus = createEventBus({ store, logger: silent, pollInterval: 60_000 });
      await bus.start();
    });
    after(async () => {
      for (const r of opened) await r.close();
      bus.stop();
      await store.close();
      await other.close();
      await database.drop();
    });

    it('registers the process at start: instance id, name, pid, version, state starting, the events applied so far', async () => {
      const r = await registry();
      const row = await rowOf(store.nodeId);
      assert.ok(row);
      assert.deepEqual(
        { name: row.node_name, pid: row.pid, version: row.version, state: row.state, live: row.live, applied: row.applied_event },
        { name: 'edge-1', pid: process.pid, version: '9.9.9', state: 'starting', live: true, applied: await store.events.latestId() },
      );
      await r.setState('ready', { proxy: '127.0.0.1:8000', admin: '127.0.0.1:8001' });
      const ready = await rowOf(store.nodeId);
      assert.equal(ready?.state, 'ready');
      assert.deepEqual(ready?.addresses, { proxy: '127.0.0.1:8000', admin: '127.0.0.1:8001' });
      await r.close();
      assert.equal(await rowOf(store.nodeId), undefined, 'a node that stops removes its row');
    });

    it('moves heartbeat_at at every heartbeat', async () => {
      const r = await registry({ heartbeatInterval: 100 });
      const first = (await rowOf(store.nodeId))!.heartbeat_at;
      await until('a later heartbeat', async () => ((await rowOf(store.nodeId))!.heartbeat_at > first ? true : undefined));
      await r.close();
    });

    it('writes applied_event soon after the bus applied events, without waiting for the heartbeat', async () => {
      const r = await registry();
      const c = await other.consumers.insert({ username: `remote-${dialect}` });
      const id = await other.events.latestId();
      // On PostgreSQL the bus may read it at once (NOTIFY); the registry started before the write,
      // with a 60 s heartbeat, so only the applied-event path can move its row in time.
      await bus.poll();
      const started = Date.now();
      await until('applied_event reaches the remote event', async () => ((await rowOf(store.nodeId))!.applied_event >= id ? true : undefined), 2000);
      assert.ok(Date.now() - started < 1000, 'within a second, not a 60 s heartbeat');
      assert.ok(c.id);
      await r.close();
    });

    it('writes its row again when it was purged while the process was away', async () => {
      const r = await registry({ heartbeatInterval: 100 });
      await store.db.deleteFrom('cluster_nodes').where('instance_id', '=', store.nodeId).execute();
      await until('the row is back', () => rowOf(store.nodeId));
      await r.close();
    });

    it('shows a row whose heartbeat is older than cluster_node_timeout as not live, and purges one 10 timeouts old', async () => {
      const now = Date.now();
      const row = {
        node_name: 'gone',
        hostname: 'h',
        pid: 1,
        version: '1',
        addresses: {},
        started_at: now - 3_600_000,
        applied_event: 0,
        state: 'ready' as const,
      };
      await upsertClusterNode(store.db, { ...row, instance_id: 'stale', heartbeat_at: now - 1500 });
      await upsertClusterNode(store.db, { ...row, instance_id: 'crashed', heartbeat_at: now - 60_000 });
      const nodes = await readClusterNodes(store.db, Date.now(), 1000);
      assert.equal(nodes.find((n) => n.instance_id === 'stale')?.live, false);
      // 30 heartbeats of 100 ms; a timeout of 1 s purges rows silent for 10 s.
      const r = await registry({ heartbeatInterval: 100, nodeTimeout: 1000 });
      await until('the crashed row is purged', async () => ((await rowOf('crashed')) === undefined ? true : undefined), 8000);
      assert.ok(await rowOf('stale'), 'a row silent for less than 10 timeouts is kept');
      await r.close();
      await store.db.deleteFrom('cluster_nodes').execute();
    });

    it('a heartbeat touches only its own row, and says when the row is missing', async () => {
      const base = { node_name: 'n', hostname: 'h', pid: 1, version: '1', addresses: {}, started_at: 1, applied_event: 0, state: 'ready' as const };
      await upsertClusterNode(store.db, { ...base, instance_id: 'touched', heartbeat_at: 10 });
      await upsertClusterNode(store.db, { ...base, instance_id: 'other', heartbeat_at: 10 });
      const at = Date.now();
      const touch = { ...base, instance_id: 'touched', heartbeat_at: at, applied_event: 7, state: 'stopping' as const, addresses: { proxy: 'p:1' } };
      assert.equal(await touchClusterNode(store.db, dialect, touch), true);
      const touched = await rowOf('touched');
      assert.deepEqual(
        { at: touched?.heartbeat_at, applied: touched?.applied_event, state: touched?.state, addresses: touched?.addresses, started: touched?.started_at },
        { at, applied: 7, state: 'stopping', addresses: { proxy: 'p:1' }, started: 1 },
      );
      assert.equal((await rowOf('other'))?.heartbeat_at, 10, 'another row is left alone');
      assert.equal(await touchClusterNode(store.db, dialect, { ...touch, instance_id: 'missing' }), false);
      assert.equal(await rowOf('missing'), undefined, 'a touch inserts nothing');
      await store.db.deleteFrom('cluster_nodes').where('instance_id', 'in', ['touched', 'other']).execute();
    });

    if (dialect === 'sqlite') {
      it('commits a heartbeat without syncing, and no other statement ever runs with that setting', async () => {
        const base = { node_name: 'n', hostname: 'h', pid: 1, version: '1', addresses: {}, started_at: 1, applied_event: 0, state: 'ready' as const };
        await upsertClusterNode(store.db, { ...base, instance_id: 'sync', heartbeat_at: 1 });
        const setting = async () => Number((await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db)).rows[0]?.synchronous);
        assert.equal(await setting(), 2, 'FULL to begin with');
        // Statements queued while heartbeats run: each must see FULL (2), never NORMAL (1).
        const seen = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            i % 4 === 0 ? touchClusterNode(store.db, dialect, { ...base, instance_id: 'sync', heartbeat_at: i }).then(() => 2) : setting(),
          ),
        );
        assert.deepEqual(seen, Array(20).fill(2));
        assert.equal(await setting(), 2, 'FULL after them');
        await store.db.deleteFrom('cluster_nodes').where('instance_id', '=', 'sync').execute();
      });
    }

    it('logs a failing heartbeat once and never throws', async () => {
      const lines: Record<string, unknown>[] = [];
      const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
      // A database without the table: every write fails, as with the database down.
      const empty = await createTestDatabase(dialect);
      const broken = createStore({ cipher: TEST_CIPHER, config: empty.config });
      const r = createNodeRegistry({ store: broken, logger, bus, nodeName: 'x', version: '1', heartbeatInterval: 100, nodeTimeout: 1000 });
      await r.start();
      await r.setState('ready', {});
      await until('a warning', async () => (lines.length > 0 ? true : undefined));
      // More heartbeats fail meanwhile (100 ms apart); they are not logged again.
      await new Promise((resolve) => setTimeout(resolve, 350));
      await r.close();
      await broken.close();
      await empty.drop();
      assert.equal(lines.filter((l) => l['level'] === 40).length, 2, 'one warning for the heartbeats, one for the row it could not remove');
    });
  });
}
