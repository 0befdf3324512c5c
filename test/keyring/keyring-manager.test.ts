/**
 * The keyring manager through the one factory (openStoreParts), on SQLite and PostgreSQL: first
 * start, restarts from the blob file, operator operations with Kong's semantics, conflicts,
 * missing keys, rotation by count and by age, rotation under write load, recovery.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import pino from 'pino';
import { loadResolvedConfig } from '../../src/config/load-resolved-config.js';
import { openStoreParts, type StoreParts, type StorePartsOptions } from '../../src/node/store-parts.js';
import type { Config } from '../../src/config/schema.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { startVaultFake, type VaultFake } from '../fakes/vault-kv2.js';
import { rejectsWith } from '../support/assertions.js';

const logger = pino({ level: 'silent' });
const CIPHERTEXT_KEY = /^\$ke\$1\$-([A-Za-z0-9]{8})-/;

function rsaPair() {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

for (const dialect of DIALECTS) {
  describe(`keyring manager on ${dialect}`, () => {
    let database: TestDatabase;
    const open: StoreParts[] = [];

    const config = (overrides: Partial<Config> = {}) => ({ ...(database.config as Config), ...overrides }) as Config;
    const start = async (overrides: Partial<Config> = {}, extra: Pick<StorePartsOptions, 'keyringClock'> = {}) => {
      const parts = await openStoreParts({ config: config(overrides), env: {}, logger, migrations: 'apply', ...extra });
      open.push(parts);
      return parts;
    };
    const stop = async (parts: StoreParts) => {
      open.splice(open.indexOf(parts), 1);
      await parts.close();
    };
    const credentialKey = async (parts: StoreParts, id: string) => {
      const row = await parts.store.db.selectFrom('basicauth_credentials').select('password').where('id', '=', id).executeTakeFirstOrThrow();
      return CIPHERTEXT_KEY.exec(String(row.password))?.[1];
    };
    let consumerId: string;

    before(async () => {
      database = await createTestDatabase(dialect);
    });
    after(async () => {
      for (const parts of open.splice(0)) await parts.close();
      await database.drop();
    });

    it('generates exactly one key on first start, even when several processes open the empty keyring at once', async () => {
      const first = await Promise.all([0, 1, 2, 3].map(() => start()));
      const statuses = await Promise.all(first.map((p) => p.keyring.status()));
      const ids = new Set(statuses.flatMap((s) => s.ids));
      assert.equal(ids.size, 1, `keys: ${[...ids].join(', ')}`);
      for (const s of statuses) {
        assert.equal(s.active, [...ids][0]);
        assert.equal(s.complete, true);
      }
      const folder = dirname(database.config.sqlite_path);
      for (const file of ['keyring.blob', 'keyring-public.pem', 'keyring-private.pem']) {
        assert.equal(statSync(join(folder, file)).mode & 0o777, 0o600, file);
      }
      for (const p of first) await stop(p);
    });

    it('opens a --workers worker with the keys its primary handed over: no key file read or written, keys checked against the database', async () => {
      const primary = await start();
      const consumer = (await primary.store.consumers.insert({ username: `handed-${dialect}` })).id;
      const cred = await primary.store.basicAuthCredentials.insert({ consumer: { id: consumer }, username: `handed-basic-${dialect}`, password: 'secret-h' });
      const keys = [...primary.keyringHolder.current().keys.values()];
      const blob = join(dirname(database.config.sqlite_path), 'keyring.blob');
      const away = `${blob}.away-${dialect}`;
      rmSync(away, { force: true });
      renameSync(blob, away);
      try {
        const worker = await openStoreParts({ config: config(), env: {}, logger, migrations: 'require', handedKeyring: keys });
        open.push(worker);
        assert.equal(existsSync(blob), false, 'the worker wrote no key file');
        assert.equal(worker.keyringHolder.current().active, primary.keyringHolder.current().active);
        assert.equal(worker.keyring.problem(), null);
        assert.match((await worker.store.basicAuthCredentials.get(cred.id))!.password, /^\$argon2id\$/);
        await stop(worker);
        // A key whose material does not match the check value the database lists is refused, whole.
        const forged = keys.map((k, i) => (i === 0 ? { ...k, key: randomBytes(32) } : k));
        await rejectsWith(openStoreParts({ config: config(), env: {}, logger, migrations: 'require', handedKeyring: forged }), 'PC_KEYRING_KEY_CONFLICT');
        assert.equal(existsSync(blob), false);
      } finally {
        renameSync(away, blob);
        await stop(primary);
      }
    });

    it('comes back after a restart with the same keys (from the blob file) and reads what it wrote', async () => {
      const a = await start();
      consumerId = (await a.store.consumers.insert({ username: `alice-${dialect}` })).id;
      const cred = await a.store.basicAuthCredentials.insert({ consumer: { id: consumerId }, username: `alice-basic-${dialect}`, password: 'secret-1' });
      const before = await a.keyring.status();
      await stop(a);
      const b = await start();
      assert.deepEqual((await b.keyring.status()).ids, before.ids);
      assert.match((await b.store.basicAuthCredentials.get(cred.id))!.password, /^\$argon2id\$/);
      await stop(b);
    });

    it('generates, activates, exports, imports (merge, 409 on different material), removes (409 while used) and rewraps', async () => {
      const node = await start();
      const status0 = await node.keyring.status();
      const old = status0.active!;
      const generated = await node.keyring.generate();
      assert.equal(Buffer.from(generated.key, 'base64').length, 32);
      assert.equal((await node.keyring.status()).active, old, 'generate does not activate');
      await rejectsWith(node.keyring.activate('Zzzzzzzz'), 'PC_KEYRING_KEY_UNKNOWN');
      await node.keyring.activate(generated.id);
      assert.equal((await node.keyring.status()).active, generated.id);
      const cred = await node.store.basicAuthCredentials.insert({ consumer: { id: consumerId }, username: `after-activate-${dialect}`, password: 'secret-2' });
      assert.equal(await credentialKey(node, cred.id), generated.id);

      const err = await rejectsWith(node.keyring.remove(old), 'PC_KEYRING_KEY_IN_USE');
      assert.match(err.message, /still encrypts \d+ stored value/);
      await rejectsWith(node.keyring.remove(generated.id), 'PC_KEYRING_KEY_IN_USE'); // active

      const exported = await node.keyring.exportKeyring();
      assert.ok(!exported.data.includes(generated.key));
      // A replayed older export (made before a newer key existed) merges: it neither removes the newer key nor changes the active one.
      const newer = await node.keyring.generate();
      await node.keyring.activate(newer.id);
      const replayed = await node.keyring.importKeyring(exported.data, { activate: false });
      assert.deepEqual(replayed.imported, []);
      assert.equal((await node.keyring.status()).active, newer.id);
      assert.ok((await node.keyring.status()).ids.includes(newer.id));
      await node.keyring.activate(generated.id);
      const again = await node.keyring.importKeyring(exported.data);
      assert.deepEqual(again.imported, []);
      assert.deepEqual([...again.existing].sort(), [old, generated.id].sort());
      await rejectsWith(node.keyring.importRaw({ id: generated.id, key: randomBytes(32).toString('base64') }), 'PC_KEYRING_KEY_CONFLICT');
      await rejectsWith(node.keyring.importRaw({ id: 'bad id!', key: randomBytes(32).toString('base64') }), 'PC_VALIDATION_FAILED');
      await rejectsWith(node.keyring.importRaw({ id: 'Shortkey', key: randomBytes(16).toString('base64') }), 'PC_VALIDATION_FAILED');

      await node.keyring.startRewrap();
      let progress = await node.keyring.rewrapProgress();
      for (let i = 0; i < 200 && progress.status === 'running'; i++) {
        await new Promise((r) => setTimeout(r, 25));
        progress = await node.keyring.rewrapProgress();
      }
      assert.equal(progress.status, 'done');
      assert.equal(progress.failed, 0);
      const usage = await node.keyring.usage();
      assert.equal(usage.keys[old]?.total ?? 0, 0);
      await node.keyring.remove(old);
      await node.keyring.remove(newer.id);
      assert.deepEqual((await node.keyring.status()).ids, [generated.id]);
      await stop(node);
      const restarted = await start();
      assert.deepEqual((await restarted.keyring.status()).ids, [generated.id], 'the removed key stays removed after a restart');
      await stop(restarted);
    });

    it('reports a key the database uses but the node lacks (missing, not ready) and reads again once it is imported', async () => {
      const node = await start();
      const exported = await node.keyring.exportKeyring();
      const cred = await node.store.basicAuthCredentials.insert({ consumer: { id: consumerId }, username: `lost-${dialect}`, password: 'secret-3' });
      await stop(node);
      rmSync(join(dirname(database.config.sqlite_path), 'keyring.blob'));
      const blind = await start();
      const status = await blind.keyring.status();
      assert.equal(status.complete, false);
      assert.ok(status.missing.length >= 1);
      assert.equal(blind.keyring.problem()?.code, 'PC_KEYRING_KEY_MISSING');
      await rejectsWith(blind.store.basicAuthCredentials.get(cred.id), 'PC_KEYRING_KEY_MISSING');
      await rejectsWith(
        blind.store.basicAuthCredentials.insert({ consumer: { id: consumerId }, username: `nope-${dialect}`, password: 'x' }),
        'PC_KEYRING_EMPTY',
      );
      const imported = await blind.keyring.importKeyring(exported.data);
      assert.ok(imported.imported.length >= 1);
      assert.equal(blind.keyring.problem(), null);
      assert.match((await blind.store.basicAuthCredentials.get(cred.id))!.password, /^\$argon2id\$/);
      await stop(blind);
    });

    it('rotates by itself at keyring_max_encryptions and by keyring_rotation_interval', async () => {
      const node = await start({ keyring_max_encryptions: 10 });
      const first = (await node.keyring.status()).active!;
      for (let i = 0; i < 12; i++)
        await node.store.basicAuthCredentials.insert({ consumer: { id: consumerId }, username: `rot-${dialect}-${i}`, password: `p${i}` });
      let active = first;
      for (let i = 0; i < 100 && active === first; i++) {
        await new Promise((r) => setTimeout(r, 20));
        active = (await node.keyring.status()).active!;
      }
      assert.notEqual(active, first, 'a new key is active after 10 encryptions');
      await stop(node);

      let clock = Date.now();
      const aged = await start({ keyring_rotation_interval: 60 }, { keyringClock: { now: () => clock, flushInterval: 20 } });
      const before = (await aged.keyring.status()).active!;
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await aged.keyring.status()).active, before, 'not yet 60 s old');
      clock += 61_000;
      let after = before;
      for (let i = 0; i < 100 && after === before; i++) {
        await new Promise((r) => setTimeout(r, 20));
        after = (await aged.keyring.status()).active!;
      }
      assert.notEqual(after, before, 'a new key is active once the active one is older than keyring_rotation_interval');
      await stop(aged);
    });

    it('keeps every value written during generate + activate readable (rotation under write load)', async () => {
      const node = await start();
      // Four writers, each writing one credential after another, while the keys change under them.
      const written: { id: string }[] = [];
      let stopWriting = false;
      const writers = [0, 1, 2, 3].map(async (w) => {
        for (let i = 0; !stopWriting; i++) {
          written.push(
            await node.store.basicAuthCredentials.insert({ consumer: { id: consumerId }, username: `load-${dialect}-${w}-${i}`, password: `pw-${i}` }),
          );
        }
      });
      for (let i = 0; i < 3; i++) {
        const { id } = await node.keyring.generate();
        await node.keyring.activate(id);
        await new Promise((r) => setTimeout(r, 50));
      }
      stopWriting = true;
      await Promise.all(writers);
      assert.ok(written.length > 5);
      const keys = new Set<string>();
      for (const w of written) {
        assert.match((await node.store.basicAuthCredentials.get(w.id))!.password, /^\$argon2id\$/);
        keys.add((await credentialKey(node, w.id))!);
      }
      assert.ok(keys.size >= 2, 'writes landed under several keys');
      await stop(node);
      const restarted = await start();
      for (const w of written) assert.match((await restarted.store.basicAuthCredentials.get(w.id))!.password, /^\$argon2id\$/);
      await stop(restarted);
    });

    it('keeps a recovery copy under keyring_recovery_public_key and recovers it on a node that lost its keys', async () => {
      const recovery = rsaPair();
      const dir = mkdtempSync(join(tmpdir(), 'portcullis-recovery-'));
      const pub = join(dir, 'recovery-public.pem');
      writeFileSync(pub, recovery.publicKey);
      const node = await start({ keyring_recovery_public_key: pub });
      const { id } = await node.keyring.generate();
      await node.keyring.activate(id);
      const cred = await node.store.basicAuthCredentials.insert({ consumer: { id: consumerId }, username: `recover-${dialect}`, password: 'secret-4' });
      const ids = (await node.keyring.status()).ids;
      await stop(node);
      rmSync(join(dirname(database.config.sqlite_path), 'keyring.blob'));
      const blind = await start({ keyring_recovery_public_key: pub });
      assert.equal((await blind.keyring.status()).complete, false);
      await rejectsWith(blind.keyring.recover(rsaPair().privateKey), 'PC_KEYRING_EXPORT_INVALID');
      const result = await blind.keyring.recover(recovery.privateKey);
      assert.deepEqual([...result.recovered].sort(), [...ids].sort());
      assert.deepEqual(result.not_recovered, []);
      assert.equal((await blind.keyring.status()).complete, true);
      assert.match((await blind.store.basicAuthCredentials.get(cred.id))!.password, /^\$argon2id\$/);
      await stop(blind);
      assert.ok(existsSync(join(dirname(database.config.sqlite_path), 'keyring.blob')), 'recovered keys are saved to the blob again');
      rmSync(dir, { recursive: true, force: true });
    });
  });
}

describe('keyring_strategy: vault (against the Vault KV v2 fake)', () => {
  let database: TestDatabase;
  let vault: VaultFake;
  before(async () => {
    database = await createTestDatabase('sqlite');
    vault = await startVaultFake({ token: 'vault-root-token' });
  });
  after(async () => {
    await vault.close();
    await database.drop();
  });

  it('reads every version, activates the current one, refuses local key changes, follows a new version on sync', async () => {
    vault.writeSecret('secret', 'portcullis/keyring', { id: 'VaultKy1', key: 'first key string from vault' });
    vault.writeSecret('secret', 'portcullis/keyring', { id: 'VaultKy2', key: 'second key string from vault' });
    const config = {
      ...(database.config as Config),
      keyring_strategy: 'vault',
      keyring_vault_host: vault.url,
      keyring_vault_path: 'portcullis/keyring',
      // The token as a reference, resolved by the config loader (the node's and the CLI's).
      keyring_vault_token: (
        await loadResolvedConfig({ env: { PORTCULLIS_KEYRING_VAULT_TOKEN: '{vault://env/keyring-vault-token}', KEYRING_VAULT_TOKEN: 'vault-root-token' } })
      ).config.keyring_vault_token,
    } as Config;
    const parts = await openStoreParts({ config, env: {}, logger, migrations: 'apply' });
    try {
      const status = await parts.keyring.status();
      assert.deepEqual(status.ids, ['VaultKy1', 'VaultKy2']);
      assert.equal(status.active, 'VaultKy2');
      assert.equal(status.strategy, 'vault');
      await rejectsWith(parts.keyring.generate(), 'PC_KEYRING_NOT_CONFIGURED');
      await rejectsWith(parts.keyring.activate('VaultKy1'), 'PC_KEYRING_NOT_CONFIGURED');
      const consumer = await parts.store.consumers.insert({ username: 'vault-user' });
      const cred = await parts.store.basicAuthCredentials.insert({ consumer: { id: consumer.id }, username: 'vault-user', password: 'pw' });
      const stored = await parts.store.db.selectFrom('basicauth_credentials').select('password').where('id', '=', cred.id).executeTakeFirstOrThrow();
      assert.match(String(stored.password), /^\$ke\$1\$-VaultKy2-/);

      vault.writeSecret('secret', 'portcullis/keyring', { id: 'VaultKy3', key: 'third key string from vault' });
      const synced = await parts.keyring.vaultSync();
      assert.equal(synced.active, 'VaultKy3');
      assert.match((await parts.store.basicAuthCredentials.get(cred.id))!.password, /^\$argon2id\$/);
      assert.ok(vault.requests.every((r) => r.headers['x-vault-token'] === 'vault-root-token'));
    } finally {
      await parts.close();
    }
  });

  it('refuses to start without its token, with an error that names Vault but not the token', async () => {
    const config = {
      ...(database.config as Config),
      keyring_strategy: 'vault',
      keyring_vault_host: vault.url,
      keyring_vault_path: 'portcullis/keyring',
      keyring_vault_token: 'wrong-token-value',
    } as Config;
    const err = await rejectsWith(openStoreParts({ config, env: {}, logger, migrations: 'apply' }), 'PC_KEYRING_VAULT_UNAVAILABLE');
    assert.ok(!err.message.includes('wrong-token-value'));
  });
});
