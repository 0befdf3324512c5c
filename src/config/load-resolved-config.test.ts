import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadResolvedConfig } from './load-resolved-config.js';
import { ConfigError } from './load-config.js';
import { startVaultFake } from '../../test/fakes/vault-kv2.js';

const TOKEN = 'an-admin-token-that-is-long-enough-0042';

function file(values: Record<string, unknown>): string {
  const path = join(mkdtempSync(join(tmpdir(), 'portcullis-config-')), 'portcullis.yaml');
  writeFileSync(path, stringify(values));
  return path;
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('loadResolvedConfig', () => {
  it('resolves references in any string key, in arrays, embedded, and in keys of other types', async () => {
    const env = {
      ADMIN_TOKEN: TOKEN,
      PG_PORT: '6543',
      PG_TLS: 'true',
      ISSUER: JSON.stringify({ token: 'issuer-token' }),
      PORTCULLIS_ADMIN_TOKEN: '{vault://env/admin-token}',
      PORTCULLIS_PG_PORT: '{vault://env/pg-port}',
      PORTCULLIS_PG_SSL: '{vault://env/pg-tls}',
    };
    const loaded = await loadResolvedConfig({
      env,
      file: file({
        pg_user: 'user-{vault://env/pg-port}',
        api_keys: { issuers: [{ name: 'mgmt', prefix: 'mgt', type: 'remote', url: 'https://issuer.test', token: '{vault://env/issuer/token}' }] },
      }),
    });
    assert.equal(loaded.config.admin_token, TOKEN);
    assert.equal(loaded.config.pg_port, 6543);
    assert.equal(loaded.config.pg_ssl, true);
    assert.equal(loaded.config.pg_user, 'user-6543');
    assert.equal((loaded.config.api_keys.issuers[0] as { token?: string }).token, 'issuer-token');
    assert.deepEqual(loaded.references.get('{vault://env/admin-token}'), ['config:admin_token']);
    assert.deepEqual(loaded.references.get('{vault://env/pg-port}')?.slice().sort(), ['config:pg_port', 'config:pg_user']);
    assert.equal(loaded.fields.get('config:pg_user'), 'user-{vault://env/pg-port}');
    assert.equal(loaded.raw.values['admin_token'], '{vault://env/admin-token}', 'the raw config keeps the reference');
  });

  it('resolves through a vault of the file (the real hcv backend and the Vault fake), whose own config may reference the environment', async () => {
    const vault = await startVaultFake({ token: 'vault-token-for-config' });
    try {
      vault.writeSecret('secret', 'db', { password: 'from-vault' });
      const url = new URL(vault.url);
      const loaded = await loadResolvedConfig({
        env: { VAULT_TOKEN: 'vault-token-for-config' },
        file: file({
          vaults: [
            {
              prefix: 'hv',
              name: 'hcv',
              config: { protocol: 'http', host: url.hostname, port: Number(url.port), kv: 'v2', token: '{vault://env/vault-token}' },
            },
          ],
          pg_password: '{vault://hv/db/password}',
        }),
      });
      assert.equal(loaded.config.pg_password, 'from-vault');
    } finally {
      await vault.close();
    }
  });

  it('keeps a resolved value literal, even when it looks like a reference', async () => {
    const loaded = await loadResolvedConfig({ env: { OUTER: '{vault://env/inner}', INNER: 'must-not-appear', PORTCULLIS_PG_PASSWORD: '{vault://env/outer}' } });
    assert.equal(loaded.config.pg_password, '{vault://env/inner}');
  });

  it('reports every failing reference with its key, reference and source, never a value', async () => {
    const err = await configError(
      loadResolvedConfig({
        env: {
          JSONISH: JSON.stringify({ other: 'secret-json-value' }),
          PORTCULLIS_PG_PASSWORD: '{vault://env/jsonish/password}',
          PORTCULLIS_ADMIN_TOKEN: '{vault://env/missing}',
        },
        file: file({ pg_user: '{vault://nosuch/x}', node_id: '{vault://env/a} {vault://env/b}' }),
      }),
    );
    const text = err.problems.join('\n');
    assert.match(text, /admin_token: PC_VAULT_NOT_FOUND: \{vault:\/\/env\/missing\}.*\(from PORTCULLIS_ADMIN_TOKEN\)/);
    assert.match(text, /pg_password: PC_VAULT_NOT_FOUND: \{vault:\/\/env\/jsonish\/password\}/);
    assert.match(text, /pg_user: PC_VAULT_UNKNOWN: .*nosuch.*portcullis\.yaml/);
    assert.match(text, /node_id: PC_VAULT_UNRESOLVED: .*more than one/);
    assert.equal(err.problems.length, 4);
    assert.ok(!text.includes('secret-json-value'));
  });

  it('validates resolved values, without showing them', async () => {
    const err = await configError(loadResolvedConfig({ env: { SHORT: 'short-token', PORTCULLIS_ADMIN_TOKEN: '{vault://env/short}' } }));
    assert.match(err.message, /admin_token/);
    assert.ok(!err.message.includes('short-token'));
  });
});
