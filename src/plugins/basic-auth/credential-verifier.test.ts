import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createStore, type Store } from '../../store/store.js';
import { createArgon2idHasher } from '../../apikeys/hashing/argon2id-hasher.js';
import type { KeyHasher } from '../../apikeys/hashing/key-hasher.js';
import { basicAuthCredentialHook } from './credential-hook.js';
import { createBasicAuthVerifier } from './credential-verifier.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases.js';

describe('basic-auth credential verifier', () => {
  let database: TestDatabase;
  let store: Store;
  let verifies = 0;
  const argon = createArgon2idHasher();
  const hasher: KeyHasher = { ...argon, verify: (key, stored) => (verifies++, argon.verify(key, stored)) };

  before(async () => {
    database = await createTestDatabase('sqlite');
    store = createStore({ config: database.config, hooks: { basicauth_credentials: basicAuthCredentialHook(argon) } });
    await store.migrate();
    const carol = await store.consumers.insert({ username: 'carol' });
    await store.basicAuthCredentials.insert({ consumer: { id: carol.id }, username: 'carol', password: 's3cret: with colon' });
  });
  after(async () => {
    await store.close();
    await database.drop();
  });

  it('stores the password as an argon2id hash, never the plaintext', async () => {
    const rows = await store.db.selectFrom('basicauth_credentials').selectAll().execute();
    assert.match(rows[0]!.password, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.ok(!JSON.stringify(rows).includes('s3cret'));
  });

  it('accepts the right password and refuses a wrong one', async () => {
    const verifier = createBasicAuthVerifier({ store, hasher, logger: pino({ level: 'silent' }) }, { ttlSeconds: 60, concurrency: 2 });
    assert.equal((await verifier.verify('carol', 's3cret: with colon')).ok, true);
    assert.deepEqual(await verifier.verify('carol', 'wrong'), { ok: false, reason: 'wrong_password' });
  });

  it('spends an argon2id verification on unknown usernames too, so timing does not tell them apart', async () => {
    const verifier = createBasicAuthVerifier({ store, hasher, logger: pino({ level: 'silent' }) }, { ttlSeconds: 60, concurrency: 2 });
    verifies = 0;
    assert.deepEqual(await verifier.verify('mallory', 'anything'), { ok: false, reason: 'unknown_username' });
    assert.equal(verifies, 1);
  });

  it('remembers a successful check so the same credentials skip argon2id, until a credential changes', async () => {
    const verifier = createBasicAuthVerifier({ store, hasher, logger: pino({ level: 'silent' }) }, { ttlSeconds: 60, concurrency: 2 });
    await verifier.verify('carol', 's3cret: with colon');
    verifies = 0;
    assert.equal((await verifier.verify('carol', 's3cret: with colon')).ok, true);
    assert.equal(verifies, 0);
    verifier.onEvents([{ id: 1, node_id: 'n', entity: 'basicauth_credentials', entity_id: 'x', operation: 'update', data: null, created_at: 0 }]);
    assert.equal((await verifier.verify('carol', 's3cret: with colon')).ok, true);
    assert.equal(verifies, 1);
  });
});
