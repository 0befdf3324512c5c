/**
 * Rotation on failure of the PostgreSQL password: `pg_password` is a reference to a Vault secret
 * (a config-file vault read by the real hcv backend against the Vault fake). The password is
 * changed in PostgreSQL and in Vault while the node runs and its connections are cut: the next
 * connection is refused (28P01), the node fetches the password again at once and reconnects, and
 * the Admin API write that needed the connection succeeds.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadResolvedConfig } from '../../src/config/load-resolved-config.js';
import { createLogger } from '../../src/observability/logger.js';
import { startNode, type RunningNode } from '../../src/node/node.js';
import { startVaultFake, type VaultFake } from '../fakes/vault-kv2.js';
import { testPgUrl } from '../support/databases.js';

const VAULT_TOKEN = 'hvs.pg-rotation-token-2b7d';

describe('the PostgreSQL password from a vault, rotated while the node runs', () => {
  const suffix = randomBytes(4).toString('hex');
  const role = `rot_${suffix}`;
  const database = `rotdb_${suffix}`;
  const passwords = [`pw-one-${suffix}`, `pw-two-${suffix}`];
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-pg-rotation-'));
  const logs: Record<string, any>[] = [];
  let vault: VaultFake;
  let node: RunningNode;
  let admin: pg.Client;

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${node.adminAddress.port}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  before(async () => {
    admin = new pg.Client({ connectionString: testPgUrl() });
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${passwords[0]}'`);
    await admin.query(`CREATE DATABASE ${database} OWNER ${role}`);
    vault = await startVaultFake({ token: VAULT_TOKEN });
    vault.writeSecret('secret', 'pg', { password: passwords[0] });
    const pgUrl = new URL(testPgUrl());
    const vaultUrl = new URL(vault.url);
    const env = {
      VAULT_TOKEN,
      PORTCULLIS_DATABASE: 'postgres',
      PORTCULLIS_PG_HOST: pgUrl.hostname,
      PORTCULLIS_PG_PORT: pgUrl.port,
      PORTCULLIS_PG_USER: role,
      PORTCULLIS_PG_DATABASE: database,
      PORTCULLIS_PG_PASSWORD: '{vault://hv/pg/password}',
      PORTCULLIS_PG_MAX_CONNECTIONS: '2',
      PORTCULLIS_SQLITE_PATH: join(dir, 'data', 'unused.db'),
      PORTCULLIS_PROXY_LISTEN: '127.0.0.1:0',
      PORTCULLIS_PROXY_LISTEN_TLS: 'off',
      PORTCULLIS_ADMIN_LISTEN: '127.0.0.1:0',
      PORTCULLIS_VAULTS: JSON.stringify([
        {
          prefix: 'hv',
          name: 'hcv',
          config: { protocol: 'http', host: vaultUrl.hostname, port: Number(vaultUrl.port), kv: 'v2', token: '{vault://env/vault-token}', ttl: 3600 },
        },
      ]),
    };
    const loaded = await loadResolvedConfig({ env });
    assert.equal(loaded.config.pg_password, passwords[0]);
    assert.deepEqual([...loaded.references], [['{vault://hv/pg/password}', ['config:pg_password']]]);
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(JSON.parse(line)) } });
    node = await startNode({ config: loaded.config, env, configReferences: loaded.references, configFields: loaded.fields, logger });
  });

  after(async () => {
    await node?.close();
    await vault?.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
    await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reconnects with the new password at once, and the write that needed it succeeds', async () => {
    assert.equal((await call('POST', '/consumers', { username: 'before' })).status, 201);
    const readsBefore = vault.requests.filter((r) => r.path.includes('/pg')).length;
    await admin.query(`ALTER ROLE ${role} PASSWORD '${passwords[1]}'`);
    vault.writeSecret('secret', 'pg', { password: passwords[1] });
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
    // The pool drops the connections the server cut as it notices them; let it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await call('POST', '/consumers', { username: 'after' });
    assert.equal(after.status, 201, JSON.stringify(after.body));
    assert.equal((await call('GET', '/consumers/after')).status, 200);
    assert.ok(vault.requests.filter((r) => r.path.includes('/pg')).length > readsBefore, 'the password was fetched again');
    assert.ok(logs.some((l) => /PostgreSQL refused the password/.test(l.msg ?? '')));
    const references = (await call('GET', '/vaults/references')).body.data as { reference: string; status: string; used_by: string[] }[];
    assert.deepEqual(
      references.filter((r) => r.used_by.includes('config:pg_password')).map((r) => [r.reference, r.status]),
      [['{vault://hv/pg/password}', 'resolved']],
    );
    const text = logs.map((l) => JSON.stringify(l)).join('\n');
    for (const secret of [...passwords, VAULT_TOKEN]) assert.ok(!text.includes(secret), 'a password reached the log');
  });
});
