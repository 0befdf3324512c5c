import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Store } from '../store/store.js';
import type { ClusterEvent } from '../store/cluster-events.js';
import { createRuntimeLoader, type StateSnapshot, type SwapKind } from './runtime-loader.js';
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

  describe('with updates (route and service events)', () => {
    const event = (entity: string, i = 0): ClusterEvent => ({
      id: i,
      node_id: 'n',
      entity,
      entity_id: `id-${i}`,
      operation: 'update',
      data: null,
      created_at: 0,
    });
    interface Made {
      readonly kind: SwapKind;
      readonly events: number;
      close(): void;
    }

    /** A loader whose update answers `answer` (a state, null, or a rejection); records the swaps. */
    function loaderWith(answer: 'state' | 'null' | 'reject', options: { failBuild?: () => boolean } = {}) {
      const swaps: SwapKind[] = [];
      const batches: number[] = [];
      const loader = createRuntimeLoader<Made>({
        store,
        logger,
        retryInterval: 60_000,
        maxUpdateEvents: 5,
        prepare: async (s: StateSnapshot) => s,
        build: () => {
          if (options.failBuild?.()) throw new Error('database gone');
          return { kind: 'full', events: 0, close: () => {} };
        },
        update: async (_state, events) => {
          batches.push(events.length);
          if (answer === 'reject') throw new Error('row unreadable');
          return answer === 'null' ? null : { kind: 'update', events: events.length, close: () => {} };
        },
        onSwap: (_state, kind) => swaps.push(kind),
      });
      return { loader, swaps, batches };
    }

    const cases: [string, readonly ClusterEvent[], 'state' | 'null' | 'reject', readonly SwapKind[], { full: number; update: number; fallback: number }][] = [
      ['a route event is applied as an update', [event('routes')], 'state', ['update'], { full: 1, update: 1, fallback: 0 }],
      ['route and service events together, one update', [event('routes', 1), event('services', 2)], 'state', ['update'], { full: 1, update: 1, fallback: 0 }],
      ['a plugin event rebuilds in full', [event('plugins')], 'state', ['full'], { full: 2, update: 0, fallback: 0 }],
      ['a route event with a consumer event rebuilds in full', [event('routes'), event('consumers')], 'state', ['full'], { full: 2, update: 0, fallback: 0 }],
      ['a certificate event rebuilds in full', [event('certificates')], 'state', ['full'], { full: 2, update: 0, fallback: 0 }],
      [
        'a burst over maxUpdateEvents rebuilds in full',
        Array.from({ length: 6 }, (_, i) => event('routes', i)),
        'state',
        ['full'],
        { full: 2, update: 0, fallback: 0 },
      ],
      ['an update answering null falls back to a full rebuild', [event('routes')], 'null', ['full'], { full: 2, update: 0, fallback: 1 }],
      ['an update that fails falls back to a full rebuild', [event('services')], 'reject', ['full'], { full: 2, update: 0, fallback: 1 }],
      ['an event of no proxy entity does nothing', [event('api_keys')], 'state', [], { full: 1, update: 0, fallback: 0 }],
    ];
    for (const [why, events, answer, expected, counts] of cases) {
      it(why, async () => {
        const { loader, swaps } = loaderWith(answer);
        await loader.load();
        swaps.length = 0;
        loader.onEvents(events);
        await loader.settled();
        assert.deepEqual(swaps, expected);
        assert.deepEqual(loader.counts(), counts);
        loader.stop();
      });
    }

    it('gives each update the events that arrived while the previous one ran, in one batch', async () => {
      const { loader, batches } = loaderWith('state');
      await loader.load();
      loader.onEvents([event('routes', 1)]);
      loader.onEvents([event('routes', 2)]);
      loader.onEvents([event('services', 3)]);
      await loader.settled();
      assert.deepEqual(batches, [1, 2]);
      assert.equal(loader.current().kind, 'update');
      loader.stop();
    });

    it('runs no update while a full rebuild is owed (a failed one), and applies the change with the next full rebuild', async () => {
      let fail = true;
      const { loader, swaps, batches } = loaderWith('state', { failBuild: () => fail });
      fail = false;
      await loader.load();
      swaps.length = 0;
      fail = true;
      loader.onEvents([event('plugins')]);
      await loader.settled();
      loader.onEvents([event('routes')]);
      await loader.settled();
      assert.deepEqual(batches, [], 'the route event is not applied over a state that lacks the plugin change');
      assert.deepEqual(swaps, []);
      fail = false;
      loader.onEvents([event('routes', 2)]);
      await loader.settled();
      assert.deepEqual(swaps, ['full']);
      loader.onEvents([event('routes', 3)]);
      await loader.settled();
      assert.deepEqual(swaps, ['full', 'update'], 'updates resume after the full rebuild');
      loader.stop();
    });
  });
});
