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
      bus.stop();
      await nodeA.close();
      await nodeB.close();
      await database.drop();
    });

    it('delivers a local write at commit, before any poll', async () => {
      received.length = 0;
      const c = await nodeA.consumers.insert({ username: 'local' });
      assert.deepEqual(
        received.map((e) => [e.entity_id, e.operation, e.node_id]),
        [[c.id, 'create', 'a']],
      );
    });

    it('delivers another process’s write on the next poll, once', async () => {
      received.length = 0;
      const c = await nodeB.consumers.insert({ username: 'remote' });
      assert.equal(received.length, 0);
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
