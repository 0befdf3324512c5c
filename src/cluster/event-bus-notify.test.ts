import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { sql } from 'kysely';
import { createStore, type Store } from '../store/store.js';
import type { ClusterEvent } from '../store/cluster-events.js';
import { createEventBus, type EventBus, type EventBusHealth } from './event-bus.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { TEST_CIPHER } from '../store/testing/test-cipher.js';
import { until } from '../../test/support/until.js';

/** Two stores on one fresh PostgreSQL database: `writer` writes, `reader` runs the bus. */
function twoStores(busOptions: { pollInterval: number; listenBackoff: { min: number; max: number } }) {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const received: ClusterEvent[] = [];
  const health: EventBusHealth[] = [];
  const ctx = {
    database: undefined as unknown as TestDatabase,
    writer: undefined as unknown as Store,
    reader: undefined as unknown as Store,
    bus: undefined as unknown as EventBus,
    received,
    health,
    lines,
  };
  before(async () => {
    ctx.database = await createTestDatabase('postgres');
    ctx.writer = createStore({ cipher: TEST_CIPHER, config: ctx.database.config, nodeId: 'writer' });
    ctx.reader = createStore({ cipher: TEST_CIPHER, config: ctx.database.config, nodeId: 'reader' });
    await ctx.writer.migrate();
    ctx.bus = createEventBus({ store: ctx.reader, logger, safetyPollInterval: 60_000, ...busOptions });
    ctx.bus.subscribe({ onEvents: (events) => received.push(...events), onResync: () => {} });
    ctx.bus.onApplied(() => health.push(ctx.bus.health()));
    await ctx.bus.start();
  });
  after(async () => {
    await ctx.bus.stop();
    await ctx.writer.close();
    await ctx.reader.close();
    await ctx.database.drop();
  });
  return ctx;
}

/** Ends the reader's LISTEN connection from the server side, as a restart or a proxy would. */
async function terminateListener(store: Store): Promise<number> {
  const result = await sql<{ pid: number }>`select pg_terminate_backend(pid) as ok, pid from pg_stat_activity
    where datname = current_database() and query like 'LISTEN%'`.execute(store.db);
  return result.rows.length;
}

describe('event bus on PostgreSQL: notifications (both polls at 60 s)', () => {
  const ctx = twoStores({ pollInterval: 60_000, listenBackoff: { min: 500, max: 500 } });

  it('is in notify mode, connected and caught up after start', () => {
    assert.deepEqual((({ mode, connected, caughtUp }) => ({ mode, connected, caughtUp }))(ctx.bus.health()), {
      mode: 'notify',
      connected: true,
      caughtUp: true,
    });
  });

  for (const [what, write] of [
    ['a created consumer', (s: Store) => s.consumers.insert({ username: 'n1' }).then(() => {})],
    ['an updated consumer', (s: Store) => s.consumers.update('n1', { custom_id: 'x' }).then(() => {})],
    ['a deleted consumer', (s: Store) => s.consumers.delete('n1').then(() => {})],
    ['an event recorded alone', (s: Store) => s.recordEvent({ entity: 'api_keys', entity_id: 'k1', operation: 'delete', data: { public_id: 'p' } })],
  ] as const) {
    it(`${what} written through another store reaches the bus in under 100 ms and is announced as applied`, async () => {
      const before = ctx.received.length;
      await write(ctx.writer);
      const written = Date.now();
      await until('the event arrives', () => ctx.received.length > before, 1000);
      const elapsed = Date.now() - written;
      assert.ok(elapsed < 100, `${elapsed} ms`);
      const event = ctx.received[ctx.received.length - 1]!;
      assert.equal(event.node_id, 'writer');
      await until('appliedThrough is announced', () => ctx.health.some((h) => h.appliedThrough >= event.id), 1000);
      assert.ok(ctx.bus.appliedThrough() >= event.id);
    });
  }

  it('a burst of 500 sequential writes arrives once each and in order', async () => {
    await ctx.bus.poll();
    ctx.received.length = 0;
    const ids: string[] = [];
    for (let i = 0; i < 500; i++) ids.push((await ctx.writer.consumers.insert({ username: `burst-${i}` })).id);
    await until('all 500 arrive', () => ctx.received.length >= 500);
    assert.deepEqual(
      ctx.received.map((e) => e.entity_id),
      ids,
    );
    const eventIds = ctx.received.map((e) => e.id);
    assert.deepEqual(
      eventIds,
      [...eventIds].sort((a, b) => a - b),
    );
  });

  it('200 writes from 10 concurrent writers arrive once each', async () => {
    await ctx.bus.poll();
    ctx.received.length = 0;
    const ids = (
      await Promise.all(
        Array.from({ length: 10 }, async (_, lane) => {
          const mine: string[] = [];
          for (let i = 0; i < 20; i++) mine.push((await ctx.writer.consumers.insert({ username: `lane-${lane}-${i}` })).id);
          return mine;
        }),
      )
    ).flat();
    await until('all 200 arrive', () => ctx.received.length >= 200);
    await ctx.bus.poll();
    assert.deepEqual(ctx.received.map((e) => e.entity_id).sort(), ids.sort());
  });

  it('coalesces a burst of notifications: one read in flight and at most one queued', async () => {
    let reads = 0;
    const counting: Store = { ...ctx.reader, events: { ...ctx.reader.events, since: (afterId, limit) => (reads++, ctx.reader.events.since(afterId, limit)) } };
    const bus = createEventBus({ store: counting, logger: pino({ level: 'silent' }), pollInterval: 60_000, safetyPollInterval: 60_000 });
    const got: ClusterEvent[] = [];
    bus.subscribe({ onEvents: (events) => got.push(...events), onResync: () => {} });
    await bus.start();
    try {
      // 300 notifications, all delivered at the one commit.
      await ctx.writer.transaction(async () => {
        for (let i = 0; i < 300; i++) await ctx.writer.consumers.insert({ username: `one-commit-${i}` });
      });
      await until('the 300 events arrive', () => got.length >= 300);
      await bus.poll();
      assert.equal(got.length, 300, 'each once');
      assert.ok(reads <= 4, `${reads} table reads for 300 notifications`);
    } finally {
      await bus.stop();
    }
  });

  it('reads what was written while LISTEN was down before it reports caughtUp again, then notifies again', async () => {
    // The tests before wrote through the shared bus too: let it read all of that first.
    await ctx.bus.poll();
    ctx.received.length = 0;
    const lines = ctx.lines.length;
    assert.equal(await terminateListener(ctx.writer), 1);
    await until('the bus sees the connection gone', () => ctx.bus.health().mode === 'poll', 2000);
    // The table stays readable (connected: it would be polled at cluster_poll_interval, 60 s here);
    // not caught up until a read after the change.
    assert.deepEqual((({ mode, connected, caughtUp }) => ({ mode, connected, caughtUp }))(ctx.bus.health()), {
      mode: 'poll',
      connected: true,
      caughtUp: false,
    });
    const written = [];
    for (let i = 0; i < 5; i++) written.push((await ctx.writer.consumers.insert({ username: `while-down-${i}` })).id);
    assert.equal(ctx.bus.health().mode, 'poll', 'written while the connection was down (back-off 500 ms)');
    assert.equal(ctx.received.length, 0, 'no notification, and the poll is a minute away');

    await until('caught up again', () => ctx.bus.health().caughtUp, 3000);
    assert.deepEqual(
      ctx.received.map((e) => e.entity_id),
      written,
      'every missed event was read before caughtUp',
    );
    assert.equal(ctx.bus.health().mode, 'notify');

    const after = await ctx.writer.consumers.insert({ username: 'after-reconnect' });
    await until('a new write is notified', () => ctx.received.some((e) => e.entity_id === after.id), 1000);
    const logged = ctx.lines.slice(lines).map((l) => JSON.parse(l) as { level: number; msg: string; down_ms?: number });
    assert.deepEqual(
      logged.filter((l) => l.msg.includes('LISTEN')).map((l) => [l.level, l.msg]),
      [
        [40, 'the cluster event LISTEN connection is down: polling cluster_events until it is back'],
        [30, 'the cluster event LISTEN connection is back'],
      ],
    );
    assert.ok(logged.some((l) => typeof l.down_ms === 'number' && l.down_ms >= 300));
    const password = ctx.database.config.pg_password;
    assert.ok(password.length > 0 && !ctx.lines.some((l) => l.includes(password)), 'no password in any log line');
  });
});

describe('event bus on PostgreSQL: falls back to polling while LISTEN is down', () => {
  const ctx = twoStores({ pollInterval: 50, listenBackoff: { min: 60_000, max: 60_000 } });

  it('reads the table every cluster_poll_interval until the connection is back', async () => {
    assert.equal(await terminateListener(ctx.writer), 1);
    await until('the bus sees the connection gone', () => ctx.bus.health().mode === 'poll', 2000);
    for (let i = 0; i < 3; i++) {
      const c = await ctx.writer.consumers.insert({ username: `polled-${i}` });
      await until(`write ${i} arrives by polling`, () => ctx.received.some((e) => e.entity_id === c.id), 2000);
    }
    assert.equal(ctx.bus.health().mode, 'poll', 'still polling: the reconnect is a minute away');
  });
});
