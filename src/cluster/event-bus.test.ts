import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createStore, type Store } from '../store/store.js';
import type { ClusterEvent } from '../store/cluster-events.js';
import { createEventBus, type EventBus } from './event-bus.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { TEST_CIPHER } from '../store/testing/test-cipher.js';

const logger = pino({ level: 'silent' });

for (const dialect of DIALECTS) {
  describe(`event bus on ${dialect}`, () => {
    let database: TestDatabase;
    let nodeA: Store;
    let nodeB: Store;
    let bus: EventBus;
    const received: ClusterEvent[] = [];

    before(async () => {
      database = await createTestDatabase(dialect);
      nodeA = createStore({ cipher: TEST_CIPHER, config: database.config, nodeId: 'a' });
      nodeB = createStore({ cipher: TEST_CIPHER, config: database.config, nodeId: 'b' });
      await nodeA.migrate();
      bus = createEventBus({ store: nodeA, logger, pollInterval: 60_000 });
      bus.subscribe({ onEvents: (events) => received.push(...events), onResync: () => {} });
      await bus.start();
    });
    after(async () => {
      await bus.stop();
      await nodeA.close();
      await nodeB.close();
      await database.drop();
    });

    it(`reports how remote events arrive: ${dialect === 'postgres' ? 'notify' : 'poll'}`, () => {
      const { mode, connected, caughtUp } = bus.health();
      assert.deepEqual({ mode, connected, caughtUp }, { mode: dialect === 'postgres' ? 'notify' : 'poll', connected: true, caughtUp: true });
    });

    it('delivers a local write at commit, before any poll', async () => {
      received.length = 0;
      const c = await nodeA.consumers.insert({ username: 'local' });
      assert.deepEqual(
        received.map((e) => [e.entity_id, e.operation, e.node_id]),
        [[c.id, 'create', 'a']],
      );
    });

    it('delivers another process’s write by the next read, once', async () => {
      received.length = 0;
      const c = await nodeB.consumers.insert({ username: 'remote' });
      // On PostgreSQL a notification may bring it before the poll; on SQLite only a read does.
      if (dialect === 'sqlite') assert.equal(received.length, 0);
      await bus.poll();
      assert.deepEqual(
        received.map((e) => [e.entity_id, e.node_id]),
        [[c.id, 'b']],
      );
      await bus.poll();
      assert.equal(received.length, 1, 'an event is delivered only once');
    });

    it('does not lose a remote event whose id is below a later local one', async () => {
      received.length = 0;
      const remote = await nodeB.consumers.insert({ username: 'remote-2' });
      const local = await nodeA.consumers.insert({ username: 'local-2' });
      await bus.poll();
      assert.deepEqual(received.map((e) => e.entity_id).sort(), [remote.id, local.id].sort());
    });
  });
}

describe('event bus on SQLite: several processes on one file', () => {
  let database: TestDatabase;
  const stores: Store[] = [];
  let bus: EventBus;
  const received: ClusterEvent[] = [];

  before(async () => {
    database = await createTestDatabase('sqlite');
    for (const id of ['reader', 'writer']) stores.push(createStore({ cipher: TEST_CIPHER, config: database.config, nodeId: id }));
    await stores[1]!.migrate();
    bus = createEventBus({ store: stores[0]!, logger, pollInterval: 50, safetyPollInterval: 60_000 });
    bus.subscribe({ onEvents: (events) => received.push(...events), onResync: () => {} });
    await bus.start();
  });
  after(async () => {
    await bus.stop();
    for (const s of stores) await s.close();
    await database.drop();
  });

  it('reads the other writes every cluster_poll_interval (no notifications on SQLite)', async () => {
    for (let i = 0; i < 3; i++) {
      const c = await stores[1]!.consumers.insert({ username: `polled-${i}` });
      const deadline = Date.now() + 2000;
      while (!received.some((e) => e.entity_id === c.id)) {
        assert.ok(Date.now() < deadline, `write ${i} read by the 50 ms poll within 2 s`);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    assert.equal(bus.health().mode, 'poll');
  });
});
