import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, createTestStore, type TestStore } from '../../test/support/databases.js';

for (const dialect of DIALECTS) {
  describe(`collectEvents on ${dialect}`, () => {
    let t: TestStore;
    before(async () => {
      t = await createTestStore(dialect);
    });
    after(() => t.close());

    it('returns the value and the events every write inside committed, in id order', async () => {
      const { value, events } = await t.store.collectEvents(async () => {
        const c = await t.store.consumers.insert({ username: 'a' });
        await t.store.transaction(async () => {
          await t.store.consumers.update(c.id, { custom_id: 'x' });
          await t.store.services.insert({ name: 's', url: 'http://127.0.0.1:9' });
        });
        return c.id;
      });
      assert.deepEqual(
        events.map((e) => [e.entity, e.operation]),
        [
          ['consumers', 'create'],
          ['consumers', 'update'],
          ['services', 'create'],
        ],
      );
      assert.equal(events[0]!.entity_id, value);
      assert.ok(events[0]!.id < events[1]!.id && events[1]!.id < events[2]!.id);
      assert.equal(events[2]!.id, await t.store.events.latestId());
    });

    it('does not collect writes made at the same time outside it', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const collecting = t.store.collectEvents(async () => {
        await gate;
        await t.store.consumers.insert({ username: 'inside' });
      });
      const outside = t.store.consumers.insert({ username: 'outside' }).finally(release);
      const [{ events }, other] = await Promise.all([collecting, outside]);
      assert.deepEqual(
        events.map((e) => e.entity_id),
        [(await t.store.consumers.get('inside'))!.id],
      );
      assert.ok(other.id);
    });

    it('collects nothing from a write that failed, and passes its error on', async () => {
      await assert.rejects(
        t.store.collectEvents(() => t.store.consumers.insert({ username: 'inside' })),
        (err: { code?: string }) => err.code === 'PC_STORE_UNIQUE_VIOLATION',
      );
      const { events } = await t.store.collectEvents(async () => {
        await t.store.consumers.insert({ username: 'inside' }).catch(() => {});
      });
      assert.deepEqual(events, []);
    });
  });
}
