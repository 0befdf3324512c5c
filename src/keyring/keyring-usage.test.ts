/**
 * countKeyringUsage on SQLite and PostgreSQL: ciphertexts per key id in total and by table
 * (scalar columns, `$ke$` strings inside plugin configs), plaintext left in scalar encrypted
 * columns, empty tables, and the same answer whatever the batch size.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { countKeyringUsage } from './keyring-usage.js';
import { createKeyringHolder, generateKey, withKeys, type KeyringHolder } from './keyring.js';
import { createTestCipher } from '../store/testing/test-cipher.js';
import type { Store } from '../store/store.js';
import type { ApiKeyRecord } from '../entities/api-keys.js';
import { DIALECTS, createTestStore, type TestStore } from '../../test/support/databases.js';
import { testApiKeyRecord } from '../../test/support/api-key-records.js';

const nestedEncryption = { plugins: { field: 'config', paths: () => [['secret']] } } as const;

function activateNewKey(holder: KeyringHolder): string {
  const key = generateKey(1);
  holder.replace(withKeys(holder.current(), [key], key.id));
  return key.id;
}

function apiKey(consumerId: string, withPrevious: boolean, salt: string | null): ApiKeyRecord {
  return testApiKeyRecord(consumerId, { withPrevious, salt });
}

for (const dialect of DIALECTS) {
  describe(`keyring usage on ${dialect}`, () => {
    it('counts nothing in a database whose encrypted tables are empty', async () => {
      const t = await createTestStore(dialect, { cipher: createTestCipher(createKeyringHolder()), nestedEncryption });
      try {
        assert.deepEqual(await countKeyringUsage(t.store), { keys: {}, plaintext: 0 });
      } finally {
        await t.close();
      }
    });

    describe('with values under three keys, plaintext and malformed values', () => {
      let t: TestStore;
      let store: Store;
      const ids: string[] = [];

      before(async () => {
        const holder = createKeyringHolder();
        t = await createTestStore(dialect, { cipher: createTestCipher(holder), nestedEncryption });
        store = t.store;
        ids.push(holder.current().active!);
        const consumer = await store.consumers.insert({ username: 'alice' });
        const creds = [];
        for (let i = 0; i < 3; i++)
          creds.push(await store.basicAuthCredentials.insert({ consumer: { id: consumer.id }, username: `u${i}`, password: `pw${i}` }));
        await store.plugins.insert({ name: 'with-secret-a', config: { secret: 'a', list: ['plain'], nested: { deep: 'plain' } } });
        await store.plugins.insert({ name: 'no-secret', config: { other: 'plain' } });
        ids.push(activateNewKey(holder));
        await store.apiKeys.insert(apiKey(consumer.id, true, 'salt'));
        await store.apiKeys.insert(apiKey(consumer.id, false, null));
        await store.plugins.insert({ name: 'with-secret-b', config: { secret: 'b' } });
        ids.push(activateNewKey(holder));
        await store.basicAuthCredentials.update(creds[0]!.id, { password: 'changed' });
        // Legacy rows written before encryption existed, and a damaged value: raw SQL, not the DAOs.
        const now = 1;
        await store.db
          .insertInto('basicauth_credentials')
          .values({ id: randomUUID(), consumer_id: consumer.id, username: 'legacy', password: 'plain-pw', tags: '[]', created_at: now, updated_at: now })
          .execute();
        await store.db.updateTable('api_keys').set({ prev_salt: 'plain-salt' }).where('prev_salt', 'is not', null).execute();
        await store.db.updateTable('basicauth_credentials').set({ password: '$ke$1$-not-a-ciphertext' }).where('id', '=', creds[2]!.id).execute();
      });
      after(() => t.close());

      for (const batchSize of [undefined, 1, 2, 3]) {
        it(`counts ciphertexts per key and table, plaintext in scalar columns only, and no malformed value (batch size ${batchSize ?? 'default'})`, async () => {
          const [a, b, c] = ids as [string, string, string];
          assert.deepEqual(await countKeyringUsage(store, batchSize ? { batchSize } : {}), {
            // A: u1's password (u0 moved to C, u2 damaged) and one plugin secret.
            // B: two hashes, one salt, one previous hash (the previous salt is now plaintext), one plugin secret.
            keys: {
              [a]: { total: 2, by_entity: { basicauth_credentials: 1, plugins: 1 } },
              [b]: { total: 5, by_entity: { api_keys: 4, plugins: 1 } },
              [c]: { total: 1, by_entity: { basicauth_credentials: 1 } },
            },
            plaintext: 2,
          });
        });
      }
    });
  });
}
