import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { pino } from 'pino';
import pg from 'pg';
import { createPostgresDatabase, type PostgresOptions } from '../store/dialects/postgres.js';
import { EVENTS_CHANNEL } from '../store/cluster-events.js';
import { createPgEventListener } from './pg-event-listener.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { until } from '../../test/support/until.js';

/** A listener with every callback and log line recorded. */
function recorded(options: PostgresOptions, backoff = { min: 20, max: 40 }) {
  const lines: { level: number; msg: string; down_ms?: number }[] = [];
  const raw: string[] = [];
  const calls: string[] = [];
  let opens = 0;
  const database = createPostgresDatabase(options);
  const listener = createPgEventListener({
    open: (handlers) => {
      opens++;
      return database.listen(EVENTS_CHANNEL, handlers);
    },
    logger: pino({ level: 'info' }, { write: (line: string) => void (raw.push(line), lines.push(JSON.parse(line))) }),
    onNotify: () => calls.push('notify'),
    onUp: () => calls.push('up'),
    onDown: () => calls.push('down'),
    minBackoff: backoff.min,
    maxBackoff: backoff.max,
  });
  return { listener, lines, raw, calls, opens: () => opens, close: () => database.db.destroy() };
}

describe('the PostgreSQL LISTEN connection', () => {
  let database: TestDatabase;
  let options: PostgresOptions;
  let admin: pg.Client;

  before(async () => {
    database = await createTestDatabase('postgres');
    const c = database.config;
    options = {
      host: c.pg_host,
      port: c.pg_port,
      user: c.pg_user,
      password: c.pg_password,
      database: c.pg_database,
      ssl: false,
      maxConnections: 1,
      connectTimeout: 1000,
    };
    admin = new pg.Client({ connectionString: c.pg_url });
    await admin.connect();
  });
  after(async () => {
    await admin.end();
    await database.drop();
  });

  it('listens on the events channel only, on a connection of its own', async () => {
    const r = recorded(options);
    try {
      assert.equal(await r.listener.start(), true);
      assert.deepEqual(r.calls, ['up']);
      const pid = r.listener.processId();
      const listening = await admin.query(`select pid from pg_stat_activity where datname = current_database() and query like 'LISTEN%'`);
      assert.deepEqual(
        listening.rows.map((row) => row.pid),
        [pid],
      );
      await admin.query(`select pg_notify('other_channel', '1')`);
      await admin.query(`select pg_notify($1, '42')`, [EVENTS_CHANNEL]);
      await until('the notification arrives', () => r.calls.includes('notify'));
      assert.deepEqual(r.calls, ['up', 'notify'], 'one notification: the other channel is not heard');
    } finally {
      await r.listener.stop();
      await r.close();
    }
  });

  it('reconnects after the server ends the connection, with one warn and one info line', async () => {
    const r = recorded(options);
    try {
      await r.listener.start();
      for (let kill = 1; kill <= 3; kill++) {
        const pid = r.listener.processId();
        await admin.query('select pg_terminate_backend($1)', [pid]);
        await until(`reconnected after kill ${kill}`, () => r.listener.connected() && r.listener.processId() !== pid);
      }
      assert.deepEqual(r.calls, ['up', 'down', 'up', 'down', 'up', 'down', 'up']);
      const listenLines = r.lines.map((l) => [l.level, l.msg]);
      assert.equal(listenLines.length, 6, 'one warn and one info per outage');
      assert.ok(r.lines.filter((l) => l.level === 30).every((l) => typeof l.down_ms === 'number'));
      await admin.query(`select pg_notify($1, '43')`, [EVENTS_CHANNEL]);
      await until('notifications flow on the new connection', () => r.calls.at(-1) === 'notify');
    } finally {
      await r.listener.stop();
      await r.close();
    }
  });

  it('takes its password from a password function (a vault reference), fetched fresh after a refusal', async () => {
    const asked: boolean[] = [];
    const rotated = async (fresh: boolean) => (asked.push(fresh), fresh ? (options.password as string) : 'a-stale-password');
    const r = recorded({ ...options, password: rotated });
    try {
      assert.equal(await r.listener.start(), true);
      assert.deepEqual(asked, [false, true], 'refused once, then fetched again');
      assert.equal(r.opens(), 1, 'within one attempt: a rotated password costs no outage');
      assert.ok(!r.raw.some((l) => l.includes('a-stale-password')));
    } finally {
      await r.listener.stop();
      await r.close();
    }
  });

  const closedPort = async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    return port;
  };
  const unreachable: [string, () => Promise<Partial<PostgresOptions>>][] = [
    ['nothing listens on the port', async () => ({ host: '127.0.0.1', port: await closedPort() })],
    ['the password is wrong', async () => ({ password: 'not-the-password-4242' })],
    ['the database does not exist', async () => ({ database: 'portcullis_no_such_database' })],
  ];
  for (const [what, change] of unreachable) {
    it(`keeps retrying in the background when ${what}, logging once and no password`, async () => {
      const r = recorded({ ...options, ...(await change()) });
      try {
        assert.equal(await r.listener.start(), false);
        assert.equal(r.listener.connected(), false);
        await until('it retries', () => r.opens() >= 4);
        assert.equal(r.lines.filter((l) => l.level === 40).length, 1, 'one warn line for the whole outage');
        assert.ok(!r.raw.some((l) => l.includes(options.password as string) || l.includes('not-the-password-4242')));
        await r.listener.stop();
        const attempts = r.opens();
        await new Promise((resolve) => setTimeout(resolve, 150));
        assert.equal(r.opens(), attempts, 'no retry after stop()');
      } finally {
        await r.listener.stop();
        await r.close();
      }
    });
  }
});
