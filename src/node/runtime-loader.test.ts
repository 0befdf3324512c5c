import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Store } from '../store/store.js';
import { createRuntimeLoader, type StateSnapshot } from './runtime-loader.js';
import { createTestStore, type TestStore } from '../../test/support/databases.js';

const logger = pino({ level: 'silent' });

describe('runtime loader', () => {
  let test: TestStore;
  let store: Store;

  before(async () => {
    test = await createTestStore('sqlite');
    store = test.store;
  });
  after(() => test.close());

  it('rebuilds after events that touch the proxy, coalescing bursts, and closes replaced states', async () => {
    let builds = 0;
    const closed: number[] = [];
    const loader = createRuntimeLoader({
      prepare: async (s: StateSnapshot) => s,
      store,
      logger,
      build: (s: StateSnapshot) => {
        const n = ++builds;
        return { services: s.services.length, close: () => closed.push(n) };
      },
    });
    store.onCommit((events) => loader.onEvents(events));
    await loader.load();
    assert.equal(loader.current().services, 0);
    for (let i = 0; i < 10; i++) await store.services.insert({ name: `s${i}`, url: 'http://s.test' });
    await loader.settled();
    assert.equal(loader.current().services, 10);
    assert.ok(builds < 12, `bursts are coalesced (${builds} builds for 10 writes)`);
    assert.deepEqual(
      closed,
      Array.from({ length: builds - 1 }, (_, i) => i + 1),
    );
    const before = builds;
    loader.onEvents([{ id: 0, node_id: 'x', entity: 'api_keys', entity_id: 'k', operation: 'update', data: null, created_at: 0 }]);
    await loader.settled();
    assert.equal(builds, before, 'an api_keys change does not rebuild the router');
    loader.stop();
  });

  it('keeps serving the previous state when a rebuild fails', async () => {
    let fail = false;
    const loader = createRuntimeLoader({
      prepare: async (s: StateSnapshot) => s,
      store,
      logger,
      retryInterval: 60_000,
      build: (s: StateSnapshot) => {
        if (fail) throw new Error('database gone');
        return { services: s.services.length, close: () => {} };
      },
    });
    await loader.load();
    const previous = loader.current();
    fail = true;
    loader.onResync('test');
    await loader.settled();
    assert.equal(loader.current(), previous);
    loader.stop();
  });
});
