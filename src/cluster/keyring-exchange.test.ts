/**
 * The keyring exchange between processes with different data folders on one database (SQLite and
 * PostgreSQL), through the real parts (openStoreParts, event bus): hand-over, keys generated
 * elsewhere, forged answers refused, unusable requests not answered, one answer among concurrent
 * holders, no key material in any table, the "not shared" report and its recovery, concurrent
 * rotation and summed encryption counters.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Config } from '../config/schema.js';
import { openStoreParts, type StoreParts } from '../node/store-parts.js';
import { createEventBus, type EventBus } from './event-bus.js';
import { createKeyringExchange, type KeyringExchange } from './keyring-exchange.js';
import { answerRequest, putRequest, readRequest } from './keyring-exchange-table.js';
import { unwrapKeyring, wrapKeyring } from '../keyring/keyring-wrap.js';
import type { KeyringKey } from '../keyring/keyring.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { until as waitUntil } from '../../test/support/until.js';

interface Node {
  readonly name: string;
  readonly parts: StoreParts;
  readonly bus: EventBus;
  readonly exchange: KeyringExchange;
  readonly logs: Record<string, unknown>[];
}

const FAST = { fast: 100, slow: 400, renew: 1000 };

function rsaPem(bits = 2048) {
  return generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

const until = (what: string, check: () => boolean | Promise<boolean>, ms = 20_000) => waitUntil(what, check, ms);

for (const dialect of DIALECTS) {
  describe(`keyring exchange on ${dialect}`, () => {
    let database: TestDatabase;
    const nodes: Node[] = [];

    /** A config whose keyring files are in their own folder (another machine), or in the first node's (`shared`). */
    const configFor = (folder: string | null, overrides: Partial<Config>): Config => {
      const base = { ...(database.config as Config), ...overrides };
      if (folder === null) return base;
      if (!existsSync(join(folder, 'private.pem'))) {
        const pair = rsaPem();
        writeFileSync(join(folder, 'public.pem'), pair.publicKey, { mode: 0o600 });
        writeFileSync(join(folder, 'private.pem'), pair.privateKey, { mode: 0o600 });
      }
      return {
        ...base,
        keyring_blob_path: join(folder, 'keyring.blob'),
        keyring_public_key: join(folder, 'public.pem'),
        keyring_private_key: join(folder, 'private.pem'),
      };
    };
    const startNode = async (
      name: string,
      options: { folder?: string | null; overrides?: Partial<Config>; exchange?: boolean; flushInterval?: number } = {},
    ): Promise<Node> => {
      const logs: Record<string, unknown>[] = [];
      const logger = pino(
        { level: 'info' },
        new Writable({
          write(chunk, _enc, done) {
            logs.push(JSON.parse(String(chunk)));
            done();
          },
        }),
      );
      const folder = options.folder === undefined ? mkdtempSync(join(tmpdir(), `portcullis-${name}-`)) : options.folder;
      const config = configFor(folder, { keyring_share_timeout: 60_000, ...options.overrides });
      const parts = await openStoreParts({
        config,
        env: {},
        logger,
        migrations: 'apply',
        ...(options.flushInterval ? { keyringClock: { flushInterval: options.flushInterval } } : {}),
      });
      const bus = createEventBus({ store: parts.store, logger, pollInterval: 50 });
      const exchange = createKeyringExchange({
        store: parts.store,
        keyring: parts.keyring,
        holder: parts.keyringHolder,
        logger,
        nodeName: name,
        config,
        intervals: FAST,
      });
      bus.subscribe(parts.keyring.subscriber);
      bus.subscribe(exchange.subscriber);
      await bus.start();
      if (options.exchange !== false) exchange.start();
      const node = { name, parts, bus, exchange, logs };
      nodes.push(node);
      return node;
    };
    const stopNode = async (node: Node) => {
      nodes.splice(nodes.indexOf(node), 1);
      await node.exchange.stop();
      node.bus.stop();
      await node.parts.close();
    };
    const heldIds = (node: Node) => [...node.parts.keyringHolder.current().keys.keys()].sort();
    const metadataIds = async (node: Node) => (await node.parts.keyring.status()).ids.slice().sort();
    const exchangeRows = (node: Node) => node.parts.store.db.selectFrom('keyring_exchange').selectAll().execute();

    before(async () => {
      database = await createTestDatabase(dialect);
    });
    after(async () => {
      for (const node of nodes.splice(0).reverse()) {
        await node.exchange.stop();
        node.bus.stop();
        await node.parts.close();
      }
      await database.drop();
    });

    it('hands the keyring to a node with another data folder, which reads what the first wrote and keeps the keys across a restart', async () => {
      const a = await startNode('a', { folder: null });
      const consumer = await a.parts.store.consumers.insert({ username: `alice-${dialect}` });
      const cred = await a.parts.store.basicAuthCredentials.insert({ consumer: { id: consumer.id }, username: `alice-${dialect}`, password: 'secret-1' });
      const folderB = mkdtempSync(join(tmpdir(), 'portcullis-b-'));
      const b = await startNode('b', { folder: folderB, exchange: false });
      assert.equal(b.parts.keyring.problem()?.code, 'PC_KEYRING_KEY_MISSING', 'incomplete before the exchange');
      b.exchange.start();
      await until('b holds every key', () => b.parts.keyring.problem() === null);
      assert.deepEqual(heldIds(b), await metadataIds(a));
      assert.match((await b.parts.store.basicAuthCredentials.get(cred.id))!.password, /^\$argon2id\$/);
      await until('b withdrew its request', async () => (await exchangeRows(a)).length === 0);
      assert.ok(b.logs.some((l) => l['msg'] === 'keyring keys received from another node (key check values match the database)'));
      assert.ok(a.logs.some((l) => l['msg'] === 'keyring keys handed to another node (wrapped for its ephemeral key)' && l['node'] === 'b'));

      // Saved in b's own blob file: a restart is complete at once, with no node to ask.
      await stopNode(a);
      await stopNode(b);
      const restarted = await startNode('b', { folder: folderB, exchange: false });
      assert.equal(restarted.parts.keyring.problem(), null);
      assert.deepEqual(heldIds(restarted), heldIds(b));
      await stopNode(restarted);
    });

    it('spreads a key generated and activated on one node to the others, which then decrypt values under it', async () => {
      const a = await startNode('a', { folder: null });
      const b = await startNode('b');
      await until('b complete', () => b.parts.keyring.problem() === null);
      const made = await b.parts.keyring.generate();
      await b.parts.keyring.activate(made.id);
      await until('a holds the new key and has it active', () => a.parts.keyringHolder.current().active === made.id);
      const consumer = await b.parts.store.consumers.insert({ username: `bob-${dialect}` });
      const cred = await b.parts.store.basicAuthCredentials.insert({ consumer: { id: consumer.id }, username: `bob-${dialect}`, password: 'secret-2' });
      assert.match((await a.parts.store.basicAuthCredentials.get(cred.id))!.password, /^\$argon2id\$/);
      assert.equal(a.parts.keyring.problem(), null);
      await stopNode(a);
      await stopNode(b);
    });

    it('keeps a complete node ready and writing (with the previous key) while a key activated elsewhere is on its way', async () => {
      const a = await startNode('a', { folder: null });
      const b = await startNode('b', { exchange: false });
      b.exchange.start();
      await until('b complete', () => b.parts.keyring.problem() === null);
      // a cannot hand keys over while it is not asking: b's new key stays missing on a.
      await a.exchange.stop();
      const previous = a.parts.keyringHolder.current().active;
      const made = await b.parts.keyring.generate();
      await b.parts.keyring.activate(made.id);
      await until('a read the new metadata', () => a.parts.keyring.missing().includes(made.id));
      assert.equal(a.parts.keyring.problem(), null, 'ready during the grace');
      assert.equal(a.parts.keyringHolder.current().active, previous, 'still encrypting with the previous key');
      const consumer = await a.parts.store.consumers.insert({ username: `carol-${dialect}` });
      const cred = await a.parts.store.basicAuthCredentials.insert({ consumer: { id: consumer.id }, username: `carol-${dialect}`, password: 'secret-3' });
      assert.match((await b.parts.store.basicAuthCredentials.get(cred.id))!.password, /^\$argon2id\$/, 'b reads what a wrote under the previous key');
      await until('the grace ends: a is not ready while the key stays missing', () => a.parts.keyring.problem()?.code === 'PC_KEYRING_KEY_MISSING', 8000);
      // The shared-folder node must end holding every key (the next tests start from its blob).
      await a.parts.keyring.adoptShared([b.parts.keyringHolder.current().keys.get(made.id)!]);
      assert.equal(a.parts.keyring.problem(), null);
      await stopNode(a);
      await stopNode(b);
    });

    it('answers a request with the keys wrapped for its public key, and no column of keyring_exchange or cluster_events holds key material', async () => {
      const a = await startNode('a', { folder: null, exchange: false });
      const asker = rsaPem(3072);
      const wanted = heldIds(a);
      await putRequest(a.parts.store, { requester: 'asker-1', nodeName: 'asker', publicKey: asker.publicKey, wanted }, Date.now());
      await a.exchange.run();
      const row = (await readRequest(a.parts.store, 'asker-1'))!;
      assert.equal(row.answered_by, a.parts.store.nodeId);
      const opened = unwrapKeyring(row.answer!, asker.privateKey, { purpose: 'exchange' });
      assert.deepEqual(opened.keys.map((k) => k.id).sort(), wanted);
      const keys = [...a.parts.keyringHolder.current().keys.values()];
      for (const k of opened.keys) assert.ok(k.key.equals(a.parts.keyringHolder.current().keys.get(k.id)!.key));
      const forms = keys.flatMap((k) => [k.key.toString('base64'), k.key.toString('base64url'), k.key.toString('hex'), k.key.toString('base64').slice(0, 20)]);
      for (const table of ['keyring_exchange', 'cluster_events', 'keyring_keys', 'keyring_blobs'] as const) {
        const rows = await a.parts.store.db.selectFrom(table).selectAll().execute();
        const text = JSON.stringify(rows);
        for (const form of forms) assert.ok(!text.toLowerCase().includes(form.toLowerCase()), `${table} holds key material`);
      }
      await a.parts.store.db.deleteFrom('keyring_exchange').execute();
      await stopNode(a);
    });

    it('refuses forged or damaged answers (wrong material, wrong recipient, wrong purpose, garbage): nothing adopted, logged, asked again', async () => {
      const b = await startNode('b', { exchange: false });
      const missing = b.parts.keyring.missing();
      assert.ok(missing.length > 0);
      const other = rsaPem();
      const forged = (id: string): KeyringKey => ({ id, key: randomBytes(32), created_at: 1 });
      const cases: Record<string, (publicKey: string) => string> = {
        'right ids, other material (check values do not match the database)': (pk) =>
          wrapKeyring({ keys: missing.map(forged), active: null }, pk, { purpose: 'exchange', nowSeconds: 1 }),
        'wrapped for another public key': () =>
          wrapKeyring({ keys: missing.map(forged), active: null }, other.publicKey, { purpose: 'exchange', nowSeconds: 1 }),
        'an export, not an exchange answer': (pk) => wrapKeyring({ keys: missing.map(forged), active: null }, pk, { purpose: 'export', nowSeconds: 1 }),
        garbage: () => 'not-an-envelope',
      };
      for (const [name, make] of Object.entries(cases)) {
        await b.exchange.run();
        const row = (await readRequest(b.parts.store, b.parts.store.nodeId))!;
        assert.equal(row.answer, null, name);
        const before = b.logs.length;
        assert.ok(
          await answerRequest(
            b.parts.store,
            { requester: row.requester, publicKey: row.public_key, answer: make(row.public_key), answeredBy: 'forger' },
            Date.now(),
          ),
          name,
        );
        await b.exchange.run();
        assert.deepEqual(b.parts.keyring.missing(), missing, `${name}: nothing adopted`);
        assert.equal(b.parts.keyringHolder.current().keys.size, 0, name);
        const refusal = b.logs.slice(before).find((l) => l['msg'] === 'keyring exchange: refused an answer from another node; nothing was adopted from it');
        assert.ok(refusal, `${name}: logged`);
        assert.equal(refusal!['from'], 'forger');
        const renewed = (await readRequest(b.parts.store, b.parts.store.nodeId))!;
        assert.equal(renewed.answer, null, `${name}: asked again`);
        assert.notEqual(renewed.public_key, row.public_key, `${name}: under a new ephemeral key`);
      }
      await stopNode(b);
      assert.equal(
        await readRequest((await startNode('probe', { folder: null, exchange: false })).parts.store, b.parts.store.nodeId),
        null,
        'a stopped node withdraws its request',
      );
      await stopNode(nodes.at(-1)!);
    });

    it('does not answer unusable requests (not RSA, too small, not a key, malformed wanted list) nor its own, and logs each once', async () => {
      const a = await startNode('a', { folder: null, exchange: false });
      const ids = heldIds(a);
      const requests: Record<string, { publicKey: string; wanted: unknown }> = {
        'an EC public key': {
          publicKey: generateKeyPairSync('ec', {
            namedCurve: 'P-256',
            publicKeyEncoding: { type: 'spki', format: 'pem' },
            privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
          }).publicKey,
          wanted: ids,
        },
        'a 1024-bit RSA key': { publicKey: rsaPem(1024).publicKey, wanted: ids },
        'not a key': { publicKey: 'hello', wanted: ids },
        'a malformed wanted list': { publicKey: rsaPem().publicKey, wanted: ['../etc'] },
        'an empty wanted list': { publicKey: rsaPem().publicKey, wanted: [] },
      };
      for (const [name, r] of Object.entries(requests)) {
        await a.parts.store.db
          .insertInto('keyring_exchange')
          .values({ requester: name, node_name: 'x', public_key: r.publicKey, wanted: JSON.stringify(r.wanted), requested_at: Date.now() })
          .execute();
      }
      await putRequest(a.parts.store, { requester: a.parts.store.nodeId, nodeName: 'a', publicKey: rsaPem().publicKey, wanted: ids }, Date.now());
      await a.exchange.run();
      await a.exchange.run();
      for (const name of [...Object.keys(requests), a.parts.store.nodeId]) assert.equal((await readRequest(a.parts.store, name))!.answer, null, name);
      const refusals = a.logs.filter((l) => String(l['msg']).startsWith('keyring exchange: refused to answer a request'));
      assert.deepEqual(refusals.map((l) => l['requester']).sort(), Object.keys(requests).sort());
      await a.parts.store.db.deleteFrom('keyring_exchange').execute();
      await stopNode(a);
    });

    it('asks again under a new key pair when its request vanished, and holders purge requests nobody renewed', async () => {
      const a = await startNode('a', { folder: null, exchange: false });
      const b = await startNode('b', { exchange: false });
      await b.exchange.run();
      const first = (await readRequest(b.parts.store, b.parts.store.nodeId))!;
      await b.parts.store.db.deleteFrom('keyring_exchange').where('requester', '=', b.parts.store.nodeId).execute();
      await b.exchange.run();
      const second = (await readRequest(b.parts.store, b.parts.store.nodeId))!;
      assert.notEqual(second.public_key, first.public_key);
      assert.deepEqual(second.wanted, b.parts.keyring.missing());

      const gone = rsaPem();
      for (const [requester, age] of [
        ['gone-long-ago', 6 * 60_000],
        ['gone-just-now', 60_000],
      ] as const) {
        await putRequest(a.parts.store, { requester, nodeName: 'x', publicKey: gone.publicKey, wanted: ['Zzzzzzzz'] }, Date.now() - age);
      }
      await a.exchange.run();
      assert.equal(await readRequest(a.parts.store, 'gone-long-ago'), null, 'older than 5 minutes: purged');
      assert.notEqual(await readRequest(a.parts.store, 'gone-just-now'), null, 'recent: kept');
      assert.notEqual(await readRequest(a.parts.store, b.parts.store.nodeId), null, "b's live request: kept");
      await a.parts.store.db.deleteFrom('keyring_exchange').execute();
      await stopNode(b);
      await stopNode(a);
    });

    it('writes exactly one answer when several holders answer at once', async () => {
      const holders = await Promise.all(['h1', 'h2', 'h3'].map((name) => startNode(name, { folder: null, exchange: false })));
      const asker = rsaPem();
      await putRequest(
        holders[0]!.parts.store,
        { requester: 'asker-2', nodeName: 'asker', publicKey: asker.publicKey, wanted: heldIds(holders[0]!) },
        Date.now(),
      );
      await Promise.all(holders.map((h) => h.exchange.run()));
      const row = (await readRequest(holders[0]!.parts.store, 'asker-2'))!;
      assert.ok(holders.some((h) => h.parts.store.nodeId === row.answered_by));
      unwrapKeyring(row.answer!, asker.privateKey, { purpose: 'exchange' });
      const events = await holders[0]!.parts.store.db
        .selectFrom('cluster_events')
        .selectAll()
        .where('entity', '=', 'keyring_exchange')
        .where('entity_id', '=', 'asker-2')
        .where('operation', '=', 'update')
        .execute();
      assert.equal(events.length, 1);
      const told = holders
        .flatMap((h) => h.logs)
        .filter((l) => l['msg'] === 'keyring keys handed to another node (wrapped for its ephemeral key)' && l['requester'] === 'asker-2');
      assert.equal(told.length, 1);
      await holders[0]!.parts.store.db.deleteFrom('keyring_exchange').execute();
      for (const h of holders) await stopNode(h);
    });

    it('reports PC_KEYRING_NOT_SHARED with guidance after keyring_share_timeout, then completes when a holder appears', async () => {
      const b = await startNode('b', { overrides: { keyring_share_timeout: 1000 } });
      const missing = b.parts.keyring.missing();
      await until('not shared', () => b.parts.keyring.problem()?.code === 'PC_KEYRING_NOT_SHARED');
      const problem = b.parts.keyring.problem()!;
      for (const id of missing) assert.ok(problem.message.includes(id));
      assert.match(problem.message, /portcullis keyring import/);
      assert.match(problem.message, /POST \/keyring\/recover/);
      await new Promise((r) => setTimeout(r, 300));
      const errors = b.logs.filter((l) => l['level'] === 50 && String(l['msg']).startsWith('No running node has handed over keyring'));
      assert.equal(errors.length, 1, 'one error line');
      assert.deepEqual(errors[0]!['missing'], missing);
      const a = await startNode('a', { folder: null });
      await until('b complete', () => b.parts.keyring.problem() === null);
      assert.ok(b.logs.some((l) => l['msg'] === 'keyring complete again: the missing keys were handed over'));
      await stopNode(a);
      await stopNode(b);
    });

    it('sums the encryption counts of every node', async () => {
      // No timed flush during the writes: each node's own count is what its counter adds to what the database said.
      const a = await startNode('a', { folder: null, flushInterval: 3_600_000 });
      const b = await startNode('b', { flushInterval: 3_600_000 });
      await until('b complete', () => b.parts.keyring.problem() === null);
      const active = a.parts.keyringHolder.current().active!;
      const before = (await a.parts.keyring.status()).keys.find((k) => k.id === active)!.encryptions;
      const consumer = await a.parts.store.consumers.insert({ username: `counted-${dialect}` });
      const own = async (n: Node, writes: number) => {
        const start = n.parts.encryptionCounter.total(active);
        for (let i = 0; i < writes; i++)
          await n.parts.store.basicAuthCredentials.insert({ consumer: { id: consumer.id }, username: `${n.name}-${i}-${dialect}`, password: 'pw' });
        return n.parts.encryptionCounter.total(active) - start;
      };
      const byA = await own(a, 3);
      const byB = await own(b, 4);
      assert.ok(byA >= 3 && byB >= 4, `a counted ${byA}, b ${byB}`);
      await stopNode(a);
      await stopNode(b);
      const c = await startNode('c', { folder: null, exchange: false });
      assert.equal((await c.parts.keyring.status()).keys.find((k) => k.id === active)!.encryptions, before + byA + byB);
      await stopNode(c);
    });

    // Concurrent rotation needs two processes on SQLite (one file write lock): two stores in this
    // test process would block each other's event loop. PostgreSQL serialises on the advisory lock.
    if (dialect === 'postgres') {
      it('keeps exactly one key active when two nodes generate and activate at once, round after round', async () => {
        const a = await startNode('a', { folder: null });
        const b = await startNode('b');
        await until('b complete', () => b.parts.keyring.problem() === null);
        for (let round = 0; round < 5; round++) {
          const made = await Promise.all(
            [a, b].map(async (n) => {
              const key = await n.parts.keyring.generate();
              await n.parts.keyring.activate(key.id);
              return key.id;
            }),
          );
          const active = await a.parts.store.db
            .selectFrom('keyring_keys')
            .select('id')
            .where('active', '=', true as never)
            .execute();
          assert.equal(active.length, 1, `round ${round}`);
          assert.ok(made.includes(active[0]!.id));
          await until(`round ${round}: both nodes use the active key`, () =>
            [a, b].every((n) => n.parts.keyringHolder.current().active === active[0]!.id && n.parts.keyring.problem() === null),
          );
        }
        await stopNode(a);
        await stopNode(b);
      });
    }
  });
}
