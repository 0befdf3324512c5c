/**
 * The secrets side of the real CLI: `config check` resolves the configuration's references and
 * reports each failure (key and reference, never a value) without touching the database; `vault
 * get` resolves one reference (the value only with --show), `vault list` lists the vaults and
 * `vault references` a running node's references with their health.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { admin, runCli, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { startVaultFake, type VaultFake } from '../fakes/vault-kv2.js';

const ADMIN_TOKEN = 'admin-token-from-env-0123456789abcdef';
const PG_PASSWORD = 'pg-password-in-vault-77f1';
const VAULT_TOKEN = 'hvs.cli-test-token-5e0b';
const STORE_VALUE = 'store-value-for-cli-3a9c';

describe('secrets through the real CLI', () => {
  let vault: VaultFake;
  let node: CliNode;
  let configFile: string;

  const vaults = () => {
    const url = new URL(vault.url);
    return [
      { prefix: 'hv', name: 'hcv', config: { protocol: 'http', host: url.hostname, port: Number(url.port), kv: 'v2', token: '{vault://env/vault-token}' } },
    ];
  };

  before(async () => {
    vault = await startVaultFake({ token: VAULT_TOKEN });
    vault.writeSecret('secret', 'pg', { password: PG_PASSWORD });
    configFile = writeConfig({ vaults: vaults() });
    node = await startCliNode(configFile, { VAULT_TOKEN });
    assert.equal((await admin(node, 'POST', '/vaults', { prefix: 'st', name: 'store' })).status, 201);
    assert.equal((await admin(node, 'PUT', '/vaults/st/secrets/api-token', { value: STORE_VALUE })).status, 201);
  });
  after(async () => {
    await node?.stop();
    await vault?.close();
  });

  it('config check resolves every reference and prints the references, never the values', async () => {
    const file = writeConfig({ vaults: vaults(), admin_token: '{vault://env/admin-token}', pg_password: '{vault://hv/pg/password}' });
    const res = await runCli(['config', 'check', '--config', file], { VAULT_TOKEN, ADMIN_TOKEN });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /resolved \{vault:\/\/env\/admin-token\} \(admin_token\)/);
    assert.match(res.stderr, /resolved \{vault:\/\/hv\/pg\/password\} \(pg_password\)/);
    assert.match(res.stdout, /"pg_password": "\{vault:\/\/hv\/pg\/password\}"/);
    for (const secret of [ADMIN_TOKEN, PG_PASSWORD, VAULT_TOKEN]) assert.ok(!`${res.stdout}${res.stderr}`.includes(secret), 'a value was printed');
    assert.ok(!existsSync(join(dirname(file), 'data', 'portcullis.db')), 'config check touched no database');
  });

  it('config check reports each reference that fails, with its key and where it came from, and exits 1', async () => {
    const file = writeConfig({ vaults: vaults(), pg_password: '{vault://hv/pg/missing}' });
    const res = await runCli(['config', 'check', '--config', file], { VAULT_TOKEN, PORTCULLIS_ADMIN_TOKEN: '{vault://env/not-set}' });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /admin_token: PC_VAULT_NOT_FOUND: \{vault:\/\/env\/not-set\}.*\(from PORTCULLIS_ADMIN_TOKEN\)/);
    assert.match(res.stderr, /pg_password: PC_VAULT_NOT_FOUND: \{vault:\/\/hv\/pg\/missing\}.*\(from .*portcullis\.yaml\)/);
    assert.ok(!res.stderr.includes(VAULT_TOKEN));
  });

  it('vault get prints a fingerprint by default and the value only with --show', async () => {
    const plain = await runCli(['vault', 'get', '{vault://st/api-token}', '--config', configFile], { VAULT_TOKEN });
    assert.equal(plain.code, 0, plain.stderr);
    const fingerprint = createHash('sha256').update(STORE_VALUE).digest('hex').slice(0, 16);
    assert.match(plain.stdout, new RegExp(`resolved, ${STORE_VALUE.length} bytes, sha256:${fingerprint}`));
    assert.ok(!plain.stdout.includes(STORE_VALUE));
    const shown = await runCli(['vault', 'get', '{vault://hv/pg/password}', '--show', '--config', configFile], { VAULT_TOKEN });
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(shown.stdout, `${PG_PASSWORD}\n`);
  });

  const FAILURES: [string, number, RegExp][] = [
    ['{vault://nosuch/x}', 2, /no vault has the prefix "nosuch"/],
    ['{vault://hv/pg/missing}', 2, /PC_VAULT_NOT_FOUND/],
    ['{vault://env/x#2}', 1, /no versions/],
    ['not-a-reference', 1, /is not a vault reference/],
  ];
  for (const [reference, code, message] of FAILURES) {
    it(`vault get ${reference} exits ${code}`, async () => {
      const res = await runCli(['vault', 'get', reference, '--config', configFile], { VAULT_TOKEN });
      assert.equal(res.code, code, res.stderr);
      assert.match(res.stderr, message);
    });
  }

  it('vault list shows the built-in, config-file and database vaults', async () => {
    const res = await runCli(['vault', 'list', '--json', '--config', configFile], { VAULT_TOKEN });
    assert.equal(res.code, 0, res.stderr);
    const listed = (JSON.parse(res.stdout) as { prefix: string; backend: string; origin: string }[]).map((v) => [v.prefix, v.backend, v.origin]);
    assert.deepEqual(listed, [
      ['env', 'env', 'builtin'],
      ['hv', 'hcv', 'config'],
      ['st', 'store', 'database'],
    ]);
  });

  it("vault references lists a running node's references in use", async () => {
    assert.equal((await admin(node, 'POST', '/services', { name: 'api', url: 'http://127.0.0.1:9' })).status, 201);
    const plugin = await admin(node, 'POST', '/services/api/plugins', {
      name: 'upstream-auth',
      config: { type: 'header', header_name: 'x-api-key', header_value: '{vault://st/api-token}' },
    });
    assert.equal(plugin.status, 201, JSON.stringify(plugin.body));
    const res = await runCli(['vault', 'references', '--admin-url', node.adminUrl, '--json']);
    assert.equal(res.code, 0, res.stderr);
    const found = (JSON.parse(res.stdout) as { reference: string; status: string; used_by: string[] }[]).find((r) => r.reference === '{vault://st/api-token}');
    assert.equal(found?.status, 'resolved');
    assert.deepEqual(found?.used_by, [`plugins/${plugin.body.id}:config.header_value`]);
    assert.ok(!res.stdout.includes(STORE_VALUE));
    const bad = await runCli(['vault', 'references', '--admin-url', node.adminUrl, '--status', 'bogus']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Allowed choices are resolved, stale, failing, unresolvable/);
  });
});
