/**
 * Vaults through a running node's Admin API, on SQLite and PostgreSQL: CRUD with each backend's
 * config validated and its credentials kept encrypted and never shown; references that cannot
 * resolve refused (or allowed on request); the built-in store's write-only secrets with versions;
 * and the reference health listing, which never shows a value.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { DIALECTS } from '../support/databases.js';
import { startTestNode, type TestNode } from '../support/running-node.js';
import { startVaultFake, type VaultFake } from '../fakes/vault-kv2.js';

const VAULT_TOKEN = 'hvs.vaults-api-token-4d1c';
const STORE_VALUE = 'store-secret-value-91b2';

for (const dialect of DIALECTS) {
  describe(`vaults Admin API on ${dialect}`, () => {
    let t: TestNode;
    let vault: VaultFake;

    before(async () => {
      vault = await startVaultFake({ token: VAULT_TOKEN });
      vault.writeSecret('secret', 'db', { password: 'pw-from-vault' });
      t = await startTestNode(dialect, {
        env: { VAULT_TOKEN, PG_PASSWORD_REF: 'unused' },
        configReferences: new Map([['{vault://env/vault-token}', ['config:keyring_vault_token']]]),
      });
    });
    after(async () => {
      await t?.close();
      await vault?.close();
    });

    const hcv = (token: string) => {
      const url = new URL(vault.url);
      return { protocol: 'http', host: url.hostname, port: Number(url.port), kv: 'v2', token };
    };

    it('creates an hcv vault whose token is a reference, and shows the reference', async () => {
      const created = await t.call('POST', '/vaults', { prefix: 'hcv-ref', name: 'hcv', config: hcv('{vault://env/vault-token}') });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.config.token, '{vault://env/vault-token}');
      assert.equal(created.body.config.ttl, 300, 'the common settings get their defaults');
      const read = await t.call('GET', '/vaults/hcv-ref');
      assert.equal(read.body.config.token, '{vault://env/vault-token}');
    });

    it('keeps a literal credential encrypted at rest and never shows it', async () => {
      const created = await t.call('POST', '/vaults', { prefix: 'hcv-lit', name: 'hcv', config: hcv(VAULT_TOKEN) });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.config.token, null);
      for (const path of ['/vaults/hcv-lit', '/vaults', `/vaults/${created.body.id}`]) {
        const res = await t.call('GET', path);
        assert.equal(res.status, 200);
        assert.ok(!res.text.includes(VAULT_TOKEN), `${path} shows the token`);
      }
      const raw = await sql<{ config: unknown }>`select config from vaults where prefix = 'hcv-lit'`.execute(t.node.store.db);
      const stored = JSON.stringify(raw.rows[0]!.config);
      assert.ok(!stored.includes(VAULT_TOKEN), 'the token is not in the database in clear');
      assert.match(stored, /\$ke\$1\$/);
    });

    const REFUSED: [string, unknown, string, RegExp][] = [
      ['the built-in prefix', { prefix: 'env', name: 'env' }, 'prefix', /built-in/],
      ['a reserved prefix', { prefix: 'references', name: 'env' }, 'prefix', /reserved/],
      ['an unknown backend', { prefix: 'x1', name: 'nosuch' }, 'name', /no vault backend named "nosuch"/],
      ['a bad backend setting', { prefix: 'x2', name: 'hcv', config: { kv: 'v3', token: 't' } }, 'config.kv', /./],
      ['an unknown backend key', { prefix: 'x3', name: 'env', config: { endpoint: 'http://evil' } }, 'config', /./],
      ['a bad common setting', { prefix: 'x4', name: 'env', config: { ttl: 0 } }, 'config.ttl', /./],
      [
        'a reference to another vault in a vault config',
        { prefix: 'x5', name: 'hcv', config: { token: '{vault://hcv-ref/db/password}' } },
        'config.token',
        /only reference the environment/,
      ],
      [
        'a reference to a missing secret of another vault',
        { prefix: 'x6', name: 'hcv', config: { token: '{vault://hcv-ref/nothing/here}' } },
        'config.token',
        /only reference the environment/,
      ],
    ];
    for (const [what, body, field, message] of REFUSED) {
      it(`refuses ${what} with 400 naming ${field}`, async () => {
        const res = await t.call('POST', '/vaults', body);
        assert.equal(res.status, 400, res.text);
        const fieldError = res.body.fields?.find((f: { path: string }) => f.path === field || f.path.startsWith(`${field}`));
        assert.ok(fieldError, `no field error for ${field}: ${res.text}`);
        assert.match(fieldError.message, message);
      });
    }

    it('refuses a vault config reference that does not resolve, unless allow_unresolved=true', async () => {
      const body = { prefix: 'hcv-later', name: 'hcv', config: hcv('{vault://env/not-set-yet}') };
      const refused = await t.call('POST', '/vaults', body);
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.body.code, 'PC_VAULT_UNRESOLVED');
      assert.deepEqual(
        refused.body.fields.map((f: { path: string }) => f.path),
        ['config.token'],
      );
      assert.match(refused.body.fields[0].message, /PC_VAULT_NOT_FOUND.*NOT_SET_YET/);
      assert.equal((await t.call('POST', '/vaults?allow_unresolved=true', body)).status, 201);
    });

    it('stores write-only, versioned secrets in a store vault', async () => {
      assert.equal((await t.call('POST', '/vaults', { prefix: 'mystore', name: 'store', config: { max_versions: 2 } })).status, 201);
      const first = await t.call('PUT', '/vaults/mystore/secrets/db-password', { value: `${STORE_VALUE}-1` });
      assert.equal(first.status, 201, first.text);
      assert.equal(first.body.version, 1);
      const second = await t.call('PUT', '/vaults/mystore/secrets/db-password', { value: `${STORE_VALUE}-2` });
      assert.equal(second.status, 200);
      assert.equal(second.body.version, 2);
      await t.call('PUT', '/vaults/mystore/secrets/db-password', { value: `${STORE_VALUE}-3` });
      const listed = await t.call('GET', '/vaults/mystore/secrets');
      assert.equal(listed.status, 200);
      assert.deepEqual(
        listed.body.data.map((d: Record<string, unknown>) => [d.key, d.current_version, d.versions]),
        [['db-password', 3, [2, 3]]],
        'max_versions keeps the newest two',
      );
      for (const res of [first, second, listed, await t.call('GET', '/vaults/mystore'), await t.call('GET', '/vaults/references')]) {
        assert.ok(!res.text.includes(STORE_VALUE), 'no endpoint returns a store secret');
      }
      const raw = await sql<{ value: string }>`select value from vault_secrets`.execute(t.node.store.db);
      assert.ok(
        raw.rows.every((r) => r.value.startsWith('$ke$1$')),
        'store secrets are encrypted at rest',
      );
      assert.equal(await t.node.store.vaultSecrets.get((await t.node.store.vaults.getOrFail('mystore')).id, 'db-password', 2), `${STORE_VALUE}-2`);
      assert.equal((await t.call('DELETE', '/vaults/mystore/secrets/db-password')).status, 204);
      assert.deepEqual((await t.call('GET', '/vaults/mystore/secrets')).body.data, []);
    });

    const BAD_SECRET_WRITES: [string, string, unknown, number, string][] = [
      ['a key with a slash', '/vaults/mystore/secrets/a%2Fb', { value: 'x' }, 400, 'PC_VALIDATION_FAILED'],
      ['an empty value', '/vaults/mystore/secrets/k', { value: '' }, 400, 'PC_VALIDATION_FAILED'],
      ['a value that is not text', '/vaults/mystore/secrets/k', { value: 42 }, 400, 'PC_VALIDATION_FAILED'],
      ['a value over vault_max_value_size', '/vaults/mystore/secrets/k', { value: 'x'.repeat(256 * 1024 + 1) }, 400, 'PC_VALIDATION_FAILED'],
      ['a vault that is not a store', '/vaults/hcv-ref/secrets/k', { value: 'x' }, 400, 'PC_BAD_REQUEST'],
      ['a vault that does not exist', '/vaults/nosuch/secrets/k', { value: 'x' }, 404, 'PC_NOT_FOUND'],
    ];
    for (const [what, path, body, status, code] of BAD_SECRET_WRITES) {
      it(`refuses a store secret write to ${what} with ${status} ${code}`, async () => {
        const res = await t.call('PUT', path, body);
        assert.equal(res.status, status, res.text);
        assert.equal(res.body.code, code);
      });
    }

    it('lists the references in use with their health, never a value', async () => {
      const res = await t.call('GET', '/vaults/references');
      assert.equal(res.status, 200);
      const entry = res.body.data.find((d: { reference: string }) => d.reference === '{vault://env/vault-token}');
      assert.ok(entry, res.text);
      assert.deepEqual(entry.used_by, ['config:keyring_vault_token', 'vaults/hcv-ref:config.token']);
      assert.equal(entry.status, 'resolved');
      assert.ok(!res.text.includes(VAULT_TOKEN));
      const filtered = await t.call('GET', '/vaults/references?status=failing');
      assert.equal(filtered.status, 200);
      assert.ok(filtered.body.data.every((d: { status: string }) => d.status === 'failing'));
      assert.equal((await t.call('GET', '/vaults/references?status=bogus')).status, 400);
    });
  });
}
