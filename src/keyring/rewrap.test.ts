/**
 * The rewrap on SQLite and PostgreSQL, over consumers with basic-auth credentials, API keys
 * (current and previous secrets), plugins with nested secrets and legacy plaintext rows: every
 * value ends under the active key and reads back equal; a second run changes nothing; values it
 * cannot open are left byte-identical and counted failed; a concurrent write is kept; a job
 * stopped, taken over or retargeted finishes; and a real process killed with SIGKILL half-way
 * is resumed to completion by the next one.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import SQLite from '../store/dialects/sqlite-binding.js';
import { sql } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { createRewrapper, type RewrapperDeps } from './rewrap.js';
import { countKeyringUsage } from './keyring-usage.js';
import { createKeyringHolder, generateKey, withKeys, type KeyringHolder, type KeyringKey } from './keyring.js';
import { encryptWith } from './keyring-cipher.js';
import type { RewrapProgress } from './keyring-service.js';
import { createTestCipher, type TestCipher } from '../store/testing/test-cipher.js';
import { fieldAad, type FieldCipher } from '../store/field-cipher.js';
import { createStore, type Store } from '../store/store.js';
import type { DialectName } from '../store/dialect.js';
import type { ApiKeyRecord } from '../entities/api-keys.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import { DIALECTS, createTestDatabase, testPgUrl, type TestDatabase } from '../../test/support/databases.js';
import { testApiKeyRecord } from '../../test/support/api-key-records.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('../../test/fixtures/rewrap-process.ts', import.meta.url));
const nestedEncryption = { plugins: { field: 'config', paths: () => [['secret'], ['auth', 'password']] } } as const;

interface Setup {
  readonly database: TestDatabase;
  readonly store: Store;
  readonly cipher: TestCipher;
  readonly holder: KeyringHolder;
  /** The key the data was written with, and the one activated after. */
  readonly oldKey: string;
  readonly newKey: string;
  readonly logs: Record<string, unknown>[];
  rewrapper(overrides?: Partial<RewrapperDeps>): ReturnType<typeof createRewrapper>;
  close(): Promise<void>;
}

function apiKey(consumerId: string, n: number, withPrevious: boolean): ApiKeyRecord {
  return testApiKeyRecord(consumerId, { withPrevious }, { name: `key-${n}`, metadata: { n } });
}

/** Values written through the DAOs under the current key, and legacy plaintext written with raw SQL. */
async function seed(store: Store): Promise<void> {
  await store.transaction(async () => {
    for (let i = 0; i < 3; i++) {
      const consumer = await store.consumers.insert({ username: `user-${i}` });
      await store.basicAuthCredentials.insert({ consumer: { id: consumer.id }, username: `basic-${i}`, password: `password-${i}` });
      await store.apiKeys.insert(apiKey(consumer.id, i, i % 2 === 0));
      await store.plugins.insert({
        name: `plugin-${i}`,
        consumer: { id: consumer.id },
        config: { secret: `secret-${i}`, auth: { password: `nested-${i}`, user: 'plain' }, list: ['a', 'b'] },
      });
    }
    await store.plugins.insert({ name: 'no-secrets', config: { header: 'x-plain' } });
  });
  const consumer = await store.consumers.insert({ username: 'legacy' });
  await store.db
    .insertInto('basicauth_credentials')
    .values({ id: randomUUID(), consumer_id: consumer.id, username: 'legacy', password: 'legacy-password', tags: '[]', created_at: 1, updated_at: 1 })
    .execute();
  const legacyKey = await store.apiKeys.insert(apiKey(consumer.id, 999, true));
  await store.db.updateTable('api_keys').set({ hash: 'legacy-hash', prev_salt: 'legacy-salt' }).where('id', '=', legacyKey.id).execute();
}

/** Every entity, read and decrypted through the DAOs. */
async function readAll(store: Store) {
  return {
    consumers: await store.consumers.listAll(),
    credentials: await store.basicAuthCredentials.listAll(),
    apiKeys: (await store.apiKeys.list({ size: 1000 })).data,
    plugins: await store.plugins.listAll(),
  };
}

/** Every stored value of every encrypted column, as stored. */
async function dump(store: Store): Promise<string> {
  const out: unknown[] = [];
  for (const c of store.encryptedColumns) out.push(await store.db.selectFrom(c.table).select(['id', c.column]).orderBy('id').execute());
  return JSON.stringify(out);
}

async function jobRow(store: Store) {
  return store.db.selectFrom('keyring_rewrap').selectAll().where('name', '=', 'current').executeTakeFirst();
}

function activate(holder: KeyringHolder, key: KeyringKey = generateKey(1)): string {
  holder.replace(withKeys(holder.current(), [key], key.id));
  return key.id;
}

async function setup(dialect: DialectName, write: (store: Store) => Promise<void> = seed): Promise<Setup> {
  const database = await createTestDatabase(dialect);
  const holder = createKeyringHolder();
  const cipher = createTestCipher(holder);
  const store = createStore({ config: database.config, cipher, nestedEncryption });
  const migrated = await store.migrate();
  if (migrated.error) throw migrated.error;
  const oldKey = holder.current().active!;
  await write(store);
  const newKey = activate(holder);
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  return {
    database,
    store,
    cipher,
    holder,
    oldKey,
    newKey,
    logs,
    rewrapper: (overrides = {}) =>
      createRewrapper({ store, cipher, activeKeyId: () => holder.current().active, logger, owner: 'node-a', batchSize: 4, ...overrides }),
    async close() {
      await store.close();
      await database.drop();
    },
  };
}

/** Runs a rewrap to its end. */
async function rewrapAll(s: Setup, overrides: Partial<RewrapperDeps> = {}): Promise<RewrapProgress> {
  const rewrapper = s.rewrapper(overrides);
  await rewrapper.start();
  return rewrapper.whenIdle();
}

for (const dialect of DIALECTS) {
  describe(`rewrap on ${dialect}`, () => {
    describe('a full run, then a second one', () => {
      let s: Setup;
      let before_: Awaited<ReturnType<typeof readAll>>;
      let total: number;
      before(async () => {
        s = await setup(dialect);
        before_ = await readAll(s.store);
        const usage = await countKeyringUsage(s.store);
        assert.equal(usage.plaintext, 3, 'the legacy password, hash and previous salt');
        total = usage.keys[s.oldKey]!.total + usage.plaintext;
      });
      after(() => s.close());

      it('re-encrypts every value with the active key: none is left under the old key or in plaintext, and no cluster event is recorded', async () => {
        const events: unknown[] = [];
        const off = s.store.onCommit((e) => events.push(...e));
        const latest = await s.store.events.latestId();
        const progress = await rewrapAll(s);
        off();
        assert.equal(await s.store.events.latestId(), latest, 'no plaintext changed: nothing for other nodes to reload');
        assert.deepEqual(events, []);
        assert.equal(progress.status, 'done');
        assert.equal(progress.target_key, s.newKey);
        assert.deepEqual([progress.total, progress.done, progress.failed], [total, total, 0]);
        assert.equal(progress.eta_seconds, 0);
        assert.ok(progress.finished_at !== null && progress.started_at !== null && progress.finished_at >= progress.started_at);
        const usage = await countKeyringUsage(s.store);
        assert.deepEqual(Object.keys(usage.keys), [s.newKey]);
        assert.equal(usage.keys[s.newKey]!.total, total);
        assert.equal(usage.plaintext, 0);
      });

      it('leaves every entity reading back equal through the DAOs', async () => {
        assert.deepEqual(await readAll(s.store), before_);
      });

      it('changes nothing when run again: every stored byte stays as it was', async () => {
        const stored = await dump(s.store);
        const progress = await rewrapAll(s);
        assert.deepEqual([progress.status, progress.total, progress.done, progress.failed], ['done', 0, 0, 0]);
        assert.equal(await dump(s.store), stored);
      });
    });

    it('leaves byte-identical and counts failed every value it cannot open, logs each key once with its code, and still ends done', async () => {
      const s = await setup(dialect);
      try {
        const missing = generateKey(1);
        const creds = await s.store.basicAuthCredentials.listAll();
        const plugins = (await s.store.plugins.listAll()).filter((p) => p.config['secret']);
        const password = (id: string) => s.store.db.selectFrom('basicauth_credentials').select('password').where('id', '=', id).executeTakeFirstOrThrow();
        const setPassword = async (id: string, value: string): Promise<void> => {
          await s.store.db.updateTable('basicauth_credentials').set({ password: value }).where('id', '=', id).execute();
        };
        // Three credentials written encrypted, and the legacy one (plaintext) to damage with a malformed value.
        const encrypted = creds.filter((c) => c.username !== 'legacy');
        const [c0, c1, c2] = encrypted as [(typeof creds)[0], (typeof creds)[0], (typeof creds)[0]];
        const c3 = creds.find((c) => c.username === 'legacy')!;
        const broken: { what: string; code: string; key: string; apply(): Promise<void> }[] = [
          {
            what: 'a password under a key the node does not hold',
            code: 'PC_KEYRING_KEY_MISSING',
            key: missing.id,
            apply: () => setPassword(c0.id, encryptWith(missing, 'x', fieldAad('basicauth_credentials', 'password', c0.id))),
          },
          {
            what: 'a plugin secret under the same missing key',
            code: 'PC_KEYRING_KEY_MISSING',
            key: missing.id,
            apply: async () => {
              const config = { ...plugins[0]!.config, secret: encryptWith(missing, 'y', fieldAad('plugins', 'config.secret', plugins[0]!.id)) };
              await s.store.db
                .updateTable('plugins')
                .set({ config: JSON.stringify(config) })
                .where('id', '=', plugins[0]!.id)
                .execute();
            },
          },
          {
            what: 'a password whose tag was altered',
            code: 'PC_KEYRING_DECRYPT_FAILED',
            key: s.oldKey,
            apply: async () => {
              const v = (await password(c1.id)).password as string;
              await setPassword(c1.id, v.slice(0, -1) + (v.endsWith('0') ? '1' : '0'));
            },
          },
          {
            what: 'a password moved from another row',
            code: 'PC_KEYRING_DECRYPT_FAILED',
            key: s.oldKey,
            apply: async () => setPassword(c2.id, (await password(c1.id)).password as string),
          },
          {
            what: 'a value that is not a well-formed ciphertext',
            code: 'PC_KEYRING_DECRYPT_FAILED',
            key: 'malformed',
            apply: () => setPassword(c3.id, '$ke$1$-truncated'),
          },
        ];
        // The tag is altered after the move, so the moved copy still has a valid tag (and fails on its AAD only).
        await broken[3]!.apply();
        for (const b of [broken[0]!, broken[1]!, broken[2]!, broken[4]!]) await b.apply();
        const before = {
          creds: await Promise.all([c0, c1, c2, c3].map((c) => password(c.id))),
          plugin: await s.store.db.selectFrom('plugins').select('config').where('id', '=', plugins[0]!.id).executeTakeFirstOrThrow(),
        };

        const progress = await rewrapAll(s);
        assert.equal(progress.status, 'done');
        assert.equal(progress.failed, broken.length);
        assert.equal(progress.done + progress.failed, progress.total);
        assert.deepEqual(await Promise.all([c0, c1, c2, c3].map((c) => password(c.id))), before.creds, 'left byte-identical');
        assert.deepEqual(await s.store.db.selectFrom('plugins').select('config').where('id', '=', plugins[0]!.id).executeTakeFirstOrThrow(), before.plugin);
        const usage = await countKeyringUsage(s.store);
        assert.equal(usage.keys[missing.id]!.total, 2);
        assert.equal(usage.keys[s.oldKey]!.total, 2, 'the tampered and the moved password');
        assert.equal(usage.plaintext, 0);

        const warnings = s.logs.filter((l) => l['level'] === 40);
        for (const b of broken) {
          const lines = warnings.filter((l) => l['key_id'] === b.key);
          assert.equal(lines.length, 1, `${b.what}: logged once for key ${b.key}`);
          assert.equal(lines[0]!['code'], b.code, b.what);
        }
        const text = JSON.stringify(s.logs);
        assert.ok(!text.includes('$ke$1$-') && !/password-\d|secret-\d|nested-\d/.test(text), 'no value, ciphertext or plaintext, in the logs');

        const again = await rewrapAll(s);
        assert.deepEqual([again.total, again.done, again.failed], [broken.length, 0, broken.length], 'a second run tries them again and changes nothing');
      } finally {
        await s.close();
      }
    });

    it('keeps a value written by another writer between the rewrap reading it and writing it back', async () => {
      const s = await setup(dialect);
      try {
        const target = (await s.store.basicAuthCredentials.listAll()).find((c) => c.username !== 'legacy')!;
        const aad = fieldAad('basicauth_credentials', 'password', target.id);
        const written = s.cipher.encrypt('changed-meanwhile', aad);
        const write = `UPDATE basicauth_credentials SET password = '${written}', updated_at = 2 WHERE id = '${target.id}'`;
        let progress: RewrapProgress;
        if (dialect === 'sqlite') {
          // The other writer commits while the rewrap decrypts the value it read (between its read and its transaction).
          const other = new SQLite(s.database.config.sqlite_path);
          let fired = false;
          const cipher: FieldCipher = {
            encrypt: (p, a) => s.cipher.encrypt(p, a),
            decrypt(stored, a) {
              if (a === aad && !fired) {
                fired = true;
                other.exec(write);
              }
              return s.cipher.decrypt(stored, a);
            },
          };
          progress = await rewrapAll(s, { cipher, batchSize: 100 });
          other.close();
          assert.ok(fired);
        } else {
          // The other writer holds the row; the rewrap's update waits for it, then finds the value changed.
          const other = new pg.Client({ connectionString: s.database.config.pg_url ?? testPgUrl() });
          await other.connect();
          await other.query('BEGIN');
          await other.query(write);
          const rewrapper = s.rewrapper({ batchSize: 100 });
          await rewrapper.start();
          for (let waited = 0; ; waited += 20) {
            const { rows } = await sql<{
              n: number;
            }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(s.store.db);
            if (rows[0]!.n > 0) break;
            assert.ok(waited < 10_000, 'the rewrap never waited for the row');
            await new Promise((r) => setTimeout(r, 20));
          }
          await other.query('COMMIT');
          await other.end();
          progress = await rewrapper.whenIdle();
        }
        assert.equal(progress.status, 'done');
        const stored = await s.store.db.selectFrom('basicauth_credentials').select('password').where('id', '=', target.id).executeTakeFirstOrThrow();
        assert.equal(stored.password, written, 'the concurrent write is kept as written');
        assert.equal((await s.store.basicAuthCredentials.get(target.id))!.password, 'changed-meanwhile');
        assert.equal((await countKeyringUsage(s.store)).keys[s.oldKey], undefined);
      } finally {
        await s.close();
      }
    });

    it('continues a job stopped half-way from its cursor when resumed, counting every value once', async () => {
      const s = await setup(dialect);
      try {
        const first = s.rewrapper({
          onProgress: (p) => {
            if (p.done >= 8) void first.stop();
          },
        });
        const started = await first.start();
        const stopped = await first.whenIdle();
        assert.equal(stopped.status, 'running', 'the job stays running for a resume');
        assert.ok(stopped.done >= 8 && stopped.done < started.total, `stopped half-way (${stopped.done}/${started.total})`);
        const row = (await jobRow(s.store))!;
        const cursor = JSON.parse(row.cursor as string) as { column: number; after: string | null };
        assert.ok(cursor.column > 0 || cursor.after !== null, 'the cursor moved');
        assert.equal((await countKeyringUsage(s.store)).keys[s.newKey]!.total, stopped.done, 'exactly the counted values are under the new key');

        const second = s.rewrapper({ owner: 'node-b' });
        await second.resume();
        const done = await second.whenIdle();
        assert.deepEqual([done.status, done.total, done.done, done.failed], ['done', started.total, started.total, 0]);
        assert.equal(done.started_at, started.started_at, 'the same job');
        const usage = await countKeyringUsage(s.store);
        assert.deepEqual(Object.keys(usage.keys), [s.newKey]);
        assert.equal(usage.plaintext, 0);
      } finally {
        await s.close();
      }
    });

    it('stops at its next batch once another runner has claimed the job, which the claimant then finishes counting no value twice', async () => {
      const s = await setup(dialect);
      try {
        // Another node claims the job (start/resume write their owner) but has not run a batch yet.
        let claim: Promise<unknown> | null = null;
        const first = s.rewrapper({
          onProgress: () => {
            claim ??= s.store.db.updateTable('keyring_rewrap').set({ owner: 'node-b' }).execute();
          },
        });
        const started = await first.start();
        const stopped = await first.whenIdle();
        await claim;
        assert.equal(stopped.status, 'running');
        assert.ok(stopped.done < started.total, `the first runner stopped (${stopped.done}/${started.total})`);
        const stops = s.logs.filter((l) => /taken over/.test(String(l['msg'])));
        assert.deepEqual(
          stops.map((l) => l['owner']),
          ['node-a'],
        );

        const second = s.rewrapper({ owner: 'node-b' });
        await second.resume();
        const done = await second.whenIdle();
        assert.deepEqual([done.status, done.done, done.failed], ['done', started.total, 0]);
        assert.equal((await jobRow(s.store))!.owner, 'node-b');
        assert.equal((await countKeyringUsage(s.store)).keys[s.newKey]!.total, started.total);
      } finally {
        await s.close();
      }
    });

    it('restarts for the new target when the active key changes during the job', async () => {
      const s = await setup(dialect);
      let third = '';
      try {
        const entities = await readAll(s.store);
        const progress = await rewrapAll(s, {
          onProgress: () => {
            if (!third) third = activate(s.holder);
          },
        });
        assert.deepEqual([progress.status, progress.target_key, progress.failed], ['done', third, 0]);
        const usage = await countKeyringUsage(s.store);
        assert.deepEqual(Object.keys(usage.keys), [third]);
        assert.deepEqual(await readAll(s.store), entities);
      } finally {
        await s.close();
      }
    });

    it('returns the running job when started again, from this process or another owner', async () => {
      const s = await setup(dialect);
      try {
        // Each runner stops after every batch while `hold` is set (the job's row stays running), so
        // the job is surely still running when started again. Without the hold a runner could
        // finish the whole job before a second start read it (seen once, in CI on Node 24).
        let hold = true;
        const a = s.rewrapper({ batchSize: 2, onProgress: () => (hold ? void a.stop() : undefined) });
        const [p1, p2] = await Promise.all([a.start(), a.start()]);
        await a.whenIdle();
        const b = s.rewrapper({ owner: 'node-b', batchSize: 2, onProgress: () => (hold ? void b.stop() : undefined) });
        const p3 = await b.start();
        for (const p of [p2, p3]) {
          assert.equal(p.status, 'running');
          assert.equal(p.started_at, p1.started_at);
          assert.equal(p.total, p1.total);
        }
        await b.whenIdle();
        hold = false;
        await b.resume();
        const end = await b.whenIdle();
        assert.deepEqual([end.status, end.done, end.started_at], ['done', p1.total, p1.started_at]);
      } finally {
        await s.close();
      }
    });

    it('refuses to start without an active key (PC_KEYRING_EMPTY) and writes no job; resume without a running job does nothing', async () => {
      const s = await setup(dialect);
      try {
        const rewrapper = s.rewrapper({ activeKeyId: () => null });
        await assert.rejects(rewrapper.start(), (err: unknown) => err instanceof PortcullisError && err.code === 'PC_KEYRING_EMPTY');
        await rewrapper.resume();
        assert.equal((await rewrapper.whenIdle()).status, 'idle');
        assert.equal(await jobRow(s.store), undefined);
        const stored = await dump(s.store);
        await s.rewrapper().resume();
        assert.equal(await dump(s.store), stored);
      } finally {
        await s.close();
      }
    });
  });
}

describe('rewrap in a real process killed with SIGKILL', () => {
  it('resumes from the cursor the dead process committed and completes with every value under the new key', { timeout: 180_000 }, async () => {
    // 5,000 API keys with a previous secret: 20,000 values under the old key.
    const s = await setup('sqlite', async (store) => {
      const consumer = await store.consumers.insert({ username: 'many' });
      await store.transaction(async () => {
        for (let i = 0; i < 5000; i++) await store.apiKeys.insert(apiKey(consumer.id, i, true));
      });
    });
    try {
      const total = 20_000;
      assert.equal((await countKeyringUsage(s.store)).keys[s.oldKey]!.total, total);
      const keysFile = `${s.database.config.sqlite_path}.keys.json`;
      const keys = [...s.holder.current().keys.values()].map((k) => ({ id: k.id, key: k.key.toString('base64'), created_at: k.created_at }));
      writeFileSync(keysFile, JSON.stringify({ active: s.newKey, keys }), { mode: 0o600 });

      const run = (killAt: number | null) =>
        new Promise<{ lines: RewrapProgress[]; signal: string | null }>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', fixture, s.database.config.sqlite_path, keysFile, '200'], {
            cwd: root,
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          const lines: RewrapProgress[] = [];
          createInterface({ input: child.stdout }).on('line', (line) => {
            const p = JSON.parse(line) as RewrapProgress;
            lines.push(p);
            if (killAt !== null && p.done >= killAt) child.kill('SIGKILL');
          });
          child.on('error', reject);
          child.on('exit', (_code, signal) => resolve({ lines, signal }));
        });

      const killed = await run(4000);
      assert.equal(killed.signal, 'SIGKILL', 'killed before it finished');
      const row = (await jobRow(s.store))!;
      assert.equal(row.status, 'running');
      const cursor = JSON.parse(row.cursor as string) as { column: number; after: string | null };
      assert.ok(cursor.after !== null || cursor.column > 0, 'a partial cursor');
      const done = Number(row.done);
      assert.ok(done >= 4000 && done < total, `partly done (${done}/${total})`);
      const usage = await countKeyringUsage(s.store);
      assert.equal(usage.keys[s.newKey]!.total, done, 'the committed batches and the counter agree: at most the batch in flight was lost');

      const resumed = await run(null);
      assert.equal(resumed.signal, null);
      const last = resumed.lines[resumed.lines.length - 1]!;
      assert.deepEqual([last.status, last.total, last.done, last.failed], ['done', total, total, 0]);
      assert.ok(resumed.lines[0]!.done > done, 'the second process continued from the cursor');
      const after = await countKeyringUsage(s.store);
      assert.deepEqual(after, { keys: { [s.newKey]: { total, by_entity: { api_keys: total } } }, plaintext: 0 });
    } finally {
      await s.close();
    }
  });
});
