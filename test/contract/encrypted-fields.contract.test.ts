/**
 * Encryption at rest through the store, on SQLite and PostgreSQL: the database holds only
 * `$ke$1$` values for basic-auth passwords, API-key hashes and salts (current and previous) and
 * plugin fields a schema marks `encrypted`; the DAOs return plaintext; a value copied to another
 * row fails its tag; a value under a key the store lacks fails with PC_KEYRING_KEY_MISSING and is
 * never overwritten by a failed write; pre-encryption plaintext is read and encrypted on its next write.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createStore, type Store } from '../../src/store/store.js';
import type { ApiKeyRecord } from '../../src/entities/api-keys.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { createTestCipher } from '../../src/store/testing/test-cipher.js';
import { createKeyringHolder, generateKey, withKeys } from '../../src/keyring/keyring.js';
import { testApiKeyRecord } from '../support/api-key-records.js';
import { rejectsWith } from '../support/assertions.js';

const CIPHERTEXT = /^\$ke\$1\$-[A-Za-z0-9]{8}-[0-9a-f]{24}-[0-9a-f]+$/;

function keyRecord(consumerId: string): ApiKeyRecord {
  return testApiKeyRecord(consumerId);
}

for (const dialect of DIALECTS) {
  describe(`encrypted fields at rest on ${dialect}`, () => {
    let database: TestDatabase;
    let store: Store;
    const cipher = createTestCipher(createKeyringHolder());
    let consumerId: string;

    const raw = async (table: string, id: string) =>
      (await store.db.selectFrom(table).selectAll().where('id', '=', id).executeTakeFirstOrThrow()) as Record<string, any>;

    before(async () => {
      database = await createTestDatabase(dialect);
      store = createStore({
        cipher,
        config: database.config,
        nestedEncryption: { plugins: { field: 'config', paths: (e) => (e['name'] === 'secretive' ? [['password'], ['upstreams', '*', 'token']] : []) } },
      });
      const migrated = await store.migrate();
      if (migrated.error) throw migrated.error;
      consumerId = (await store.consumers.insert({ username: 'alice' })).id;
    });
    after(async () => {
      await store.close();
      await database.drop();
    });

    it('stores a basic-auth password only as $ke$1$ and reads it back in plaintext', async () => {
      const cred = await store.basicAuthCredentials.insert({ consumer: { id: consumerId }, username: 'alice-basic', password: '$argon2id$v=19$stand-in-hash' });
      assert.match((await raw('basicauth_credentials', cred.id)).password, CIPHERTEXT);
      assert.equal((await store.basicAuthCredentials.get('alice-basic'))?.password, '$argon2id$v=19$stand-in-hash');
    });

    it('stores API-key hashes and salts (current and previous) only as $ke$1$, and finds keys by lookup', async () => {
      const record = keyRecord(consumerId);
      await store.apiKeys.insert(record);
      const next = { lookup: `pcg_${randomBytes(8).toString('hex')}`, algorithm: 'sha256', salt: 'newsalt', hash: 'newhash' };
      await store.transaction(async () => {
        const locked = await store.apiKeys.lockActive({ service_id: null, consumer_id: consumerId }, record.name);
        await store.apiKeys.replaceSecret(
          locked!,
          {
            secret: next,
            previous: { ...record.secret, valid_until: 9_999_999_999 },
            key_id: record.key_id,
            source: 'generated',
            prefix: 'pcg',
            issuer: 'portcullis',
          },
          2,
        );
      });
      const row = await raw('api_keys', record.id);
      for (const column of ['hash', 'salt', 'prev_hash', 'prev_salt']) assert.match(row[column], CIPHERTEXT, column);
      assert.equal(row.lookup, next.lookup, 'the lookup stays comparable');
      const found = await store.apiKeys.findByLookup(record.secret.lookup);
      assert.equal(found?.isPrevious, true);
      assert.deepEqual(found?.secret, { ...record.secret, valid_until: 9_999_999_999 });
      const current = await store.apiKeys.findByLookup(next.lookup);
      assert.deepEqual(current?.secret, next);
      await store.apiKeys.rehash(record.id, false, { algorithm: 'sha256', salt: 's2', hash: 'h2' });
      assert.match((await raw('api_keys', record.id)).hash, CIPHERTEXT, 'a re-hash is encrypted too');
      assert.equal((await store.apiKeys.getById(record.id))?.secret.hash, 'h2');
    });

    it('encrypts the plugin config fields a schema marks, and only those', async () => {
      const plugin = await store.plugins.insert({ name: 'secretive', config: { password: 'p', upstreams: [{ token: 't', host: 'h' }], note: 'n' } });
      const stored = (await raw('plugins', plugin.id)).config;
      const config = typeof stored === 'string' ? JSON.parse(stored) : stored;
      assert.match(config.password, CIPHERTEXT);
      assert.match(config.upstreams[0].token, CIPHERTEXT);
      assert.equal(config.upstreams[0].host, 'h');
      assert.equal(config.note, 'n');
      assert.deepEqual((await store.plugins.get(plugin.id))?.config, { password: 'p', upstreams: [{ token: 't', host: 'h' }], note: 'n' });
    });

    it('refuses a ciphertext copied from another row (PC_KEYRING_DECRYPT_FAILED), in the Admin API read path and in listings', async () => {
      const a = await store.basicAuthCredentials.insert({ consumer: { id: consumerId }, username: 'copy-a', password: '$argon2id$a' });
      const b = await store.basicAuthCredentials.insert({ consumer: { id: consumerId }, username: 'copy-b', password: '$argon2id$b' });
      await store.db
        .updateTable('basicauth_credentials')
        .set({ password: (await raw('basicauth_credentials', a.id)).password })
        .where('id', '=', b.id)
        .execute();
      await rejectsWith(store.basicAuthCredentials.get(b.id), 'PC_KEYRING_DECRYPT_FAILED');
      await rejectsWith(store.basicAuthCredentials.list(), 'PC_KEYRING_DECRYPT_FAILED');
      await store.basicAuthCredentials.delete(b.id); // an unreadable entity can still be deleted
      assert.equal(await store.basicAuthCredentials.get(b.id), null);
    });

    it('answers PC_KEYRING_KEY_MISSING (naming the key) for a value under a key it lacks, and a failed update leaves it byte-identical', async () => {
      const foreign = generateKey(1);
      const other = createTestCipher(createKeyringHolder(withKeys(createKeyringHolder().current(), [foreign], foreign.id)));
      const otherStore = createStore({ cipher: other, config: database.config });
      const cred = await otherStore.basicAuthCredentials.insert({ consumer: { id: consumerId }, username: 'foreign-key', password: '$argon2id$f' });
      await otherStore.close();
      const before = (await raw('basicauth_credentials', cred.id)).password;
      const err = await rejectsWith(store.basicAuthCredentials.get(cred.id), 'PC_KEYRING_KEY_MISSING');
      assert.ok(err.message.includes(foreign.id));
      assert.ok(!err.message.includes('$argon2id$f'));
      await rejectsWith(store.basicAuthCredentials.update(cred.id, { tags: ['x'] }), 'PC_KEYRING_KEY_MISSING');
      await rejectsWith(
        store.basicAuthCredentials.upsert(cred.id, { consumer: { id: consumerId }, username: 'foreign-key', password: 'new' }),
        'PC_KEYRING_KEY_MISSING',
      );
      assert.equal((await raw('basicauth_credentials', cred.id)).password, before);
      // once the key is imported, the value reads again
      cipher.holder.replace(withKeys(cipher.holder.current(), [foreign], undefined));
      assert.equal((await store.basicAuthCredentials.get(cred.id))?.password, '$argon2id$f');
    });

    it('reads a password stored before encryption existed and encrypts it on its next write', async () => {
      const cred = await store.basicAuthCredentials.insert({ consumer: { id: consumerId }, username: 'legacy', password: '$argon2id$legacy' });
      await store.db.updateTable('basicauth_credentials').set({ password: '$argon2id$legacy' }).where('id', '=', cred.id).execute();
      assert.equal((await store.basicAuthCredentials.get(cred.id))?.password, '$argon2id$legacy');
      await store.basicAuthCredentials.update(cred.id, { tags: ['touched'] });
      assert.match((await raw('basicauth_credentials', cred.id)).password, CIPHERTEXT);
      assert.equal((await store.basicAuthCredentials.get(cred.id))?.password, '$argon2id$legacy');
    });
  });
}
