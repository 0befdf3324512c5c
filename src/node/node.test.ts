/**
 * A running node (startNode, real HTTP on loopback) whose storage fails under it: the database
 * file deleted, replaced by another database, made read-only, filled up (SQLite), or the
 * database made read-only (PostgreSQL). Every write answers 503 with the code naming the cause
 * and commits nothing, the log carries the database's own error with the request id,
 * `/status/ready` turns 503, and the node recovers where recovery makes sense.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from '../store/dialects/sqlite-binding.js';
import pg from 'pg';
import { sql } from 'kysely';
import { testPgUrl } from '../../test/support/databases.js';
import { startTestNode, type TestNode } from '../../test/support/running-node.js';

type Json = Record<string, any>;

type Running = TestNode;

/** A value sent in request bodies: no storage log line may contain it. */
const TELL_TALE = 'tell-tale-7f3a';

interface Write {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}

/** Every kind of Admin API write: entity create, patch, put, delete; API-key generate, regenerate, revoke. */
const EVERY_WRITE: readonly Write[] = [
  { method: 'POST', path: '/services', body: { name: `${TELL_TALE}-svc`, url: 'http://new.test' } },
  { method: 'PATCH', path: '/services/svc', body: { retries: 2, tags: [TELL_TALE] } },
  { method: 'PUT', path: '/services/other', body: { url: `http://${TELL_TALE}.test` } },
  { method: 'DELETE', path: '/services/svc' },
  { method: 'POST', path: '/consumers', body: { username: TELL_TALE } },
  { method: 'POST', path: '/consumers/alice/api-keys', body: { name: `${TELL_TALE}-key` } },
  { method: 'POST', path: '/consumers/alice/api-keys/k1/regenerate', body: {} },
  { method: 'DELETE', path: '/consumers/alice/api-keys/k1' },
];

interface Breakage {
  readonly name: string;
  readonly dialect: 'sqlite' | 'postgres';
  readonly code: string;
  readonly dbCode: string;
  /** Breaks the storage; returns the writes that must now fail (a full SQLite still fits rows in pages with room). */
  break(r: Running): Promise<readonly Write[]>;
  /** Makes storage usable again, when that makes sense for a running node. */
  readonly repair?: (r: Running) => Promise<void>;
}

const BREAKAGES: readonly Breakage[] = [
  {
    name: 'SQLite file deleted',
    dialect: 'sqlite',
    code: 'PC_STORE_UNAVAILABLE',
    dbCode: 'DB_FILE_DELETED',
    async break(r) {
      unlinkSync(r.database.config.sqlite_path);
      return EVERY_WRITE;
    },
  },
  {
    name: 'SQLite file replaced by another database',
    dialect: 'sqlite',
    code: 'PC_STORE_UNAVAILABLE',
    dbCode: 'DB_FILE_REPLACED',
    async break(r) {
      const other = join(r.database.config.sqlite_path, '..', 'other.db');
      const db = new SQLite(other);
      db.exec('create table services (id text)');
      db.close();
      renameSync(other, r.database.config.sqlite_path);
      return EVERY_WRITE;
    },
  },
  {
    name: 'SQLite file made read-only',
    dialect: 'sqlite',
    code: 'PC_STORE_READ_ONLY',
    dbCode: 'DB_FILE_READ_ONLY',
    async break(r) {
      chmodSync(r.database.config.sqlite_path, 0o444);
      return EVERY_WRITE;
    },
    async repair(r) {
      chmodSync(r.database.config.sqlite_path, 0o600);
    },
  },
  {
    name: 'SQLite database full (max_page_count)',
    dialect: 'sqlite',
    code: 'PC_STORE_FULL',
    dbCode: 'SQLITE_FULL',
    async break(r) {
      const pages = (await sql<{ page_count: number }>`pragma page_count`.execute(r.node.store.db)).rows[0]!.page_count;
      await sql.raw(`pragma max_page_count = ${pages}`).execute(r.node.store.db);
      const filler = (i: number): Write => ({
        method: 'POST',
        path: '/consumers',
        body: { username: `${TELL_TALE}-${i}`, custom_id: `${i}-${'x'.repeat(240)}` },
      });
      for (let i = 0; i < 300; i++) {
        const res = await r.call('POST', '/consumers', filler(i).body);
        // Rows of the same size as the one that did not fit fail alike.
        if (res.status === 503) return [filler(1000), filler(1001), filler(1002)];
        assert.equal(res.status, 201);
      }
      assert.fail('the database never filled up');
    },
    async repair(r) {
      await sql.raw('pragma max_page_count = 1073741823').execute(r.node.store.db);
    },
  },
  {
    name: 'PostgreSQL database made read-only',
    dialect: 'postgres',
    code: 'PC_STORE_READ_ONLY',
    dbCode: '25006',
    async break(r) {
      await setPgReadOnly(r, true);
      return EVERY_WRITE;
    },
    repair: (r) => setPgReadOnly(r, false),
  },
];

/** `ALTER DATABASE … default_transaction_read_only` applies to new sessions: end the node's, then wait until it reads again. */
async function setPgReadOnly(r: Running, on: boolean): Promise<void> {
  const name = r.database.config.pg_database;
  const client = new pg.Client({ connectionString: testPgUrl() });
  await client.connect();
  try {
    await client.query(`ALTER DATABASE ${name} ${on ? 'SET default_transaction_read_only = on' : 'RESET default_transaction_read_only'}`);
    await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
  } finally {
    await client.end();
  }
  let reads = 0;
  for (let i = 0; i < 100 && reads < 3; i++) {
    reads = (await r.call('GET', '/services')).status === 200 ? reads + 1 : 0;
    if (reads === 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(reads, 3, 'the node reads from its database again');
}

/** One connection on PostgreSQL: a database setting reaches every query once the session is renewed. */
const startRunning = (dialect: 'sqlite' | 'postgres'): Promise<Running> => startTestNode(dialect, { config: { pg_max_connections: 1 } });

for (const breakage of BREAKAGES) {
  describe(`a running node whose storage fails: ${breakage.name}`, () => {
    let r: Running;
    let failing: readonly Write[];
    let answers: { status: number; body: Json }[];
    let logStart: number;

    before(async () => {
      r = await startRunning(breakage.dialect);
      assert.equal((await r.call('POST', '/services', { name: 'svc', url: 'http://svc.test' })).status, 201);
      assert.equal((await r.call('POST', '/consumers', { username: 'alice' })).status, 201);
      assert.equal((await r.call('POST', '/consumers/alice/api-keys', { name: 'k1' })).status, 201);
      assert.equal((await r.call('GET', '/status/ready')).status, 200);
      failing = await breakage.break(r);
      logStart = r.logs.length;
      answers = [];
      for (const w of failing) answers.push(await r.call(w.method, w.path, w.body));
    });
    after(async () => {
      await r.close();
    });

    it(`answers every write with 503 ${breakage.code}`, () => {
      answers.forEach((res, i) => {
        const w = failing[i]!;
        assert.equal(res.status, 503, `${w.method} ${w.path}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.code, breakage.code, `${w.method} ${w.path}`);
      });
    });

    it(`logs each refused write at warn with its request id and the database's own error (${breakage.dbCode}), and nothing of the request`, () => {
      const lines = r.logs.slice(logStart).filter((l) => l.msg === 'admin request failed: storage failure');
      assert.equal(lines.length, failing.length);
      for (const line of lines) {
        assert.equal(line.level, 'warn');
        assert.equal(line.code, breakage.code);
        assert.equal(line.db_code, breakage.dbCode);
        assert.equal(typeof line.db_message, 'string');
        assert.match(String(line.request_id), /\S/);
        assert.ok(!JSON.stringify(line).includes(TELL_TALE), JSON.stringify(line));
      }
      const transition = r.logs.filter((l) => l.msg === 'the database cannot take writes');
      assert.ok(transition.length >= 1);
      assert.equal(transition[0]!.level, 'error');
      assert.equal(transition[0]!.db_code, breakage.dbCode);
    });

    it('answers /status/ready with 503 naming the cause, and /status with writable false', async () => {
      const ready = await r.call('GET', '/status/ready');
      assert.equal(ready.status, 503);
      assert.equal(ready.body.code, 'PC_ADMIN_NOT_READY');
      assert.ok(ready.body.message.includes(breakage.code), ready.body.message);
      if (breakage.dialect === 'sqlite') assert.ok(!ready.body.message.includes(r.database.config.sqlite_path), 'no file path on the open endpoint');
      const status = await r.call('GET', '/status');
      assert.equal(status.body.database.writable, false);
      assert.equal(status.body.database.error.code, breakage.code);
    });

    if (breakage.repair) {
      it('turns ready again once the storage is repaired, keeping nothing of the refused writes', async () => {
        await breakage.repair!(r);
        // Ready again by itself: the event stream catches up (a LISTEN connection dropped with the breakage reconnects first).
        let ready = await r.call('GET', '/status/ready');
        for (let i = 0; i < 100 && ready.status !== 200; i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          ready = await r.call('GET', '/status/ready');
        }
        assert.equal(ready.status, 200, ready.text);
        assert.ok(r.logs.some((l) => l.msg === 'the database takes writes again'));
        assert.equal((await r.call('GET', `/services/${TELL_TALE}-svc`)).status, 404);
        assert.equal((await r.call('GET', `/consumers/${TELL_TALE}`)).status, 404);
        assert.equal((await r.call('GET', '/consumers/alice/api-keys/k1')).body.status, 'active', 'the refused revoke did not happen');
        assert.equal((await r.call('POST', '/services', { name: 'after', url: 'http://after.test' })).status, 201);
      });
    } else {
      it('stays not ready: the node holds a file that is gone, and must be restarted', async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal((await r.call('GET', '/status/ready')).status, 503);
        assert.equal((await r.call('POST', '/services', { name: 'after', url: 'http://after.test' })).status, 503);
      });
    }
  });
}
