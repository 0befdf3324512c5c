/**
 * The certificates DAO on SQLite and PostgreSQL, below the Admin API: the `snis` shorthand in
 * one transaction (one commit, its events together; nothing on failure), the checks without the
 * Admin API's schema, and tolerant reads (the proxy's state build) that keep the SNI names and
 * the unreadable mark of a certificate whose key this node cannot decrypt.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createSelfSignedTestCertificate, type TestCertificate } from '../../test/support/certificates.js';
import { rejectsWith } from '../../test/support/assertions.js';
import { createStore, type Store } from './store.js';
import { createTestCipher, TEST_CIPHER } from './testing/test-cipher.js';
import type { ClusterEvent } from './cluster-events.js';
import { unreadableError } from './unreadable.js';

for (const dialect of DIALECTS) {
  describe(`certificates DAO on ${dialect}`, () => {
    let database: TestDatabase;
    let store: Store;
    let pair: TestCertificate;
    const commits: (readonly ClusterEvent[])[] = [];

    before(async () => {
      database = await createTestDatabase(dialect);
      store = createStore({ cipher: TEST_CIPHER, config: database.config, nodeId: 'node-a' });
      assert.equal((await store.migrate()).error, undefined);
      store.onCommit((events) => commits.push(events));
      pair = await createSelfSignedTestCertificate({ names: ['dao.test'] });
    });
    after(async () => {
      await store.close();
      await database.drop();
    });

    it('writes a certificate and its SNIs in one commit, whose events name each', async () => {
      commits.length = 0;
      const created = await store.certificates.insert({ cert: pair.cert, key: pair.key, snis: ['b.dao.test', 'A.dao.test'] });
      assert.deepEqual(created.snis, ['a.dao.test', 'b.dao.test']);
      assert.equal(commits.length, 1, 'one transaction');
      assert.deepEqual(commits[0]!.map((e) => `${e.entity}:${e.operation}`).sort(), ['certificates:create', 'snis:create', 'snis:create']);
      const sni = await store.snis.getOrFail('A.DAO.test');
      assert.deepEqual(sni.certificate, { id: created.id });
    });

    it('checks the pair and the names without the Admin API', async () => {
      const bad = await rejectsWith(store.certificates.insert({ cert: pair.cert, key: pair.cert, snis: ['ok.test', 'not ok'] }), 'PC_VALIDATION_FAILED');
      assert.deepEqual(
        bad.fields?.map((f) => f.path),
        ['key', 'snis.1'],
      );
      const missing = await rejectsWith(store.certificates.insert({ snis: [] }), 'PC_VALIDATION_FAILED');
      assert.deepEqual(
        missing.fields?.map((f) => f.path),
        ['cert', 'key'],
      );
    });

    it('leaves nothing behind when an SNI belongs to another certificate', async () => {
      commits.length = 0;
      const before = (await store.certificates.listAll()).length;
      await rejectsWith(store.certificates.insert({ cert: pair.cert, key: pair.key, snis: ['new.dao.test', 'a.dao.test'] }), 'PC_STORE_UNIQUE_VIOLATION');
      assert.equal((await store.certificates.listAll()).length, before);
      assert.equal(await store.snis.get('new.dao.test'), null);
      assert.equal(commits.length, 0, 'nothing committed, no event published');
    });

    it('reads tolerantly what this node cannot decrypt, keeping SNI names and the unreadable mark', async () => {
      const stranger = createStore({ cipher: createTestCipher(), config: database.config, nodeId: 'node-b' });
      try {
        const all = await stranger.certificates.listAll(undefined, { tolerant: true });
        const found = all.find((c) => c.snis.includes('a.dao.test'));
        assert.ok(found);
        assert.equal(found.key, undefined);
        assert.equal(found.cert, pair.cert);
        assert.equal(unreadableError(found)?.code, 'PC_KEYRING_KEY_MISSING');
        await rejectsWith(stranger.certificates.get(found.id), 'PC_KEYRING_KEY_MISSING');
      } finally {
        await stranger.close();
      }
    });

    it('pages certificates with their own SNI names only', async () => {
      await store.certificates.insert({ cert: pair.cert, key: pair.key, snis: ['page.dao.test'] });
      const first = await store.certificates.list({ size: 1 });
      const second = await store.certificates.list({ size: 1, offset: first.offset! });
      const names = [...first.data, ...second.data].map((c) => c.snis);
      assert.deepEqual(names.flat().sort(), ['a.dao.test', 'b.dao.test', 'page.dao.test']);
      assert.ok(names.every((n) => n.length > 0));
    });
  });
}
