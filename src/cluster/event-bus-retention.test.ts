import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createStore, type Store } from '../store/store.js';
import type { ClusterEvent } from '../store/cluster-events.js';
import { createEventBus } from './event-bus.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { TEST_CIPHER } from '../store/testing/test-cipher.js';
import { until } from '../../test/support/until.js';

const logger = pino({ level: 'silent' });
const HOUR = 3_600_000;

for (const dialect of DIALECTS) {
  describe(`event retention on ${dialect}`, () => {
    let database: TestDatabase;
    let clock = Date.now();
    let writer: Store;
    let reader: Store;

    before(async () => {
      database = await createTestDatabase(dialect);
      // The writer's clock sets created_at: events can be written "in the past".
      writer = createStore({ cipher: TEST_CIPHER, config: database.config, nodeId: 'writer', now: () => clock });
      reader = createStore({ cipher: TEST_CIPHER, config: database.config, nodeId: 'reader' });
      await writer.migrate();
    });
    after(async () => {
      await writer.close();
      await reader.close();
      await database.drop();
    });

    it('purges events older than cluster_events_retention and keeps the others', async () => {
      const ages = [
        { age: 3 * HOUR, kept: false },
        { age: HOUR + 60_000, kept: false },
        { age: HOUR - 60_000, kept: true },
        { age: 0, kept: true },
      ];
      const written: { id: string; kept: boolean }[] = [];
      for (const [i, { age, kept }] of ages.entries()) {
        clock = Date.now() - age;
        await writer.recordEvent({ entity: 'consumers', entity_id: `aged-${i}`, operation: 'update', data: null });
        written.push({ id: `aged-${i}`, kept });
      }
      const bus = createEventBus({ store: reader, logger, pollInterval: 60_000, retention: HOUR, pruneInterval: 20 });
      await bus.start();
      try {
        const left = async () => (await reader.events.since(0, 100)).map((e) => e.entity_id).filter((id) => id.startsWith('aged-'));
        await until('the old events are purged', async () => (await left()).length < ages.length);
        assert.deepEqual(
          await left(),
          written.filter((w) => w.kept).map((w) => w.id),
        );
      } finally {
        await bus.stop();
      }
    });

    const awayCases = [
      { away: 0, resyncs: false },
      { away: 10 * 60_000, resyncs: false },
      { away: 31 * 60_000, resyncs: true },
      { away: 3 * HOUR, resyncs: true },
    ];
    for (const { away, resyncs } of awayCases) {
      it(`a node that read no event for ${away / 60_000} min (retention 60 min) ${resyncs ? 'resyncs from the store' : 'applies deltas'}`, async () => {
        let busClock = Date.now();
        const bus = createEventBus({ store: reader, logger, pollInterval: 60_000, retention: HOUR, now: () => busClock });
        const resyncs_: string[] = [];
        const received: ClusterEvent[] = [];
        bus.subscribe({ onEvents: (events) => received.push(...events), onResync: (reason) => resyncs_.push(reason) });
        await bus.start();
        try {
          // The clock moves first: on PostgreSQL a notification may start the read before poll().
          busClock += away;
          clock = Date.now();
          await writer.recordEvent({ entity: 'consumers', entity_id: `away-${away}`, operation: 'update', data: null });
          await bus.poll();
          assert.equal(resyncs_.length, resyncs ? 1 : 0, resyncs_.join());
          assert.deepEqual(
            received.map((e) => e.entity_id),
            [`away-${away}`],
            'the events still in the table are applied too',
          );
        } finally {
          await bus.stop();
        }
      });
    }
  });
}
