import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, envName, loadConfig } from './load-config.js';

function tempFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'portcullis-config-')), 'portcullis.yaml');
  writeFileSync(file, text);
  return file;
}

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives the embedded defaults with no file and no environment', () => {
    const config = loadConfig({ env: {} });
    assert.equal(config.database, 'sqlite');
    assert.equal(config.sqlite_path, './portcullis-data/portcullis.db');
    assert.equal(config.proxy_listen, '0.0.0.0:8000');
    assert.equal(config.admin_listen, '127.0.0.1:8001');
    assert.equal(config.api_keys.hash_algorithm, 'sha256');
    assert.deepEqual(config.api_keys.issuers, [{ name: 'portcullis', prefix: 'pcg', type: 'local' }]);
  });

  it('lets the file override defaults and the environment override the file', () => {
    const file = tempFile('pg_port: 6000\nlog_level: debug\napi_keys:\n  bcrypt_cost: 13\n');
    const config = loadConfig({ file, env: { PORTCULLIS_LOG_LEVEL: 'warn', PORTCULLIS_API_KEYS_HASH_ALGORITHM: 'argon2id' } });
    assert.equal(config.pg_port, 6000);
    assert.equal(config.log_level, 'warn');
    assert.equal(config.api_keys.bcrypt_cost, 13);
    assert.equal(config.api_keys.hash_algorithm, 'argon2id');
  });

  it('parses numbers, booleans and JSON from the environment by the key’s type', () => {
    const config = loadConfig({
      env: { PORTCULLIS_PG_SSL: 'on', PORTCULLIS_PG_PORT: '5433', PORTCULLIS_API_KEYS_ISSUERS: '[{"name":"dev","prefix":"dev","type":"push"}]' },
    });
    assert.equal(config.pg_ssl, true);
    assert.equal(config.pg_port, 5433);
    assert.equal(config.api_keys.issuers[0]?.type, 'push');
  });

  it('names the key, the problem and the source of a bad value', () => {
    assert.deepEqual(
      problemsOf(() => loadConfig({ env: { PORTCULLIS_PG_PORT: '70000' } })),
      ['pg_port: must be <= 65535 (from PORTCULLIS_PG_PORT)'],
    );
    assert.deepEqual(
      problemsOf(() => loadConfig({ env: { PORTCULLIS_PG_SSL: 'maybe' } })),
      ['pg_ssl: must be true or false, got "maybe" (from PORTCULLIS_PG_SSL)'],
    );
    const file = tempFile('database: mysql\n');
    assert.match(problemsOf(() => loadConfig({ file, env: {} }))[0]!, new RegExp(`^database: .*\\(from ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`));
  });

  it('refuses unknown keys in the file', () => {
    assert.match(problemsOf(() => loadConfig({ file: tempFile('proxy_lisen: 0.0.0.0:80\n'), env: {} }))[0]!, /^proxy_lisen: is not a known field/);
  });

  it('refuses a non-loopback Admin API without admin_token', () => {
    assert.match(problemsOf(() => loadConfig({ env: { PORTCULLIS_ADMIN_LISTEN: '0.0.0.0:8001' } }))[0]!, /admin_token must be set/);
    const ok = loadConfig({ env: { PORTCULLIS_ADMIN_LISTEN: '0.0.0.0:8001', PORTCULLIS_ADMIN_TOKEN: 'a-very-long-admin-token-of-32-chars+' } });
    assert.equal(ok.admin_listen, '0.0.0.0:8001');
    assert.equal(loadConfig({ env: { PORTCULLIS_ADMIN_LISTEN: '[::1]:8001' } }).admin_listen, '[::1]:8001');
  });

  it('refuses a non-loopback admin_listen_tls without admin_token, like admin_listen', () => {
    assert.deepEqual(
      problemsOf(() => loadConfig({ env: { PORTCULLIS_ADMIN_LISTEN_TLS: '0.0.0.0:8444' } })),
      ['admin_listen_tls: 0.0.0.0:8444 is not a loopback address, so admin_token must be set (PORTCULLIS_ADMIN_TOKEN) to protect the Admin API'],
    );
    const token = 'a-very-long-admin-token-of-32-chars+';
    assert.equal(loadConfig({ env: { PORTCULLIS_ADMIN_LISTEN_TLS: '0.0.0.0:8444', PORTCULLIS_ADMIN_TOKEN: token } }).admin_listen_tls, '0.0.0.0:8444');
    assert.equal(loadConfig({ env: { PORTCULLIS_ADMIN_LISTEN_TLS: '127.0.0.1:8444' } }).admin_listen_tls, '127.0.0.1:8444');
    assert.equal(loadConfig({ env: {} }).admin_listen_tls, 'off');
  });

  it('refuses admin_tls_cert without admin_tls_key and the reverse', () => {
    for (const env of [{ PORTCULLIS_ADMIN_TLS_CERT: '/etc/portcullis/admin.pem' }, { PORTCULLIS_ADMIN_TLS_KEY: '/etc/portcullis/admin.key' }]) {
      assert.deepEqual(
        problemsOf(() => loadConfig({ env })),
        ['admin_tls_cert, admin_tls_key: give both (PEM text or file paths) or neither (the node default certificate is used)'],
      );
    }
  });

  it('refuses an admin_token shorter than 32 characters or blank, saying why', () => {
    assert.match(problemsOf(() => loadConfig({ env: { PORTCULLIS_ADMIN_TOKEN: 'short-token-of-31-characters-xx' } }))[0]!, /^admin_token: .*32/);
    assert.match(problemsOf(() => loadConfig({ env: { PORTCULLIS_ADMIN_TOKEN: ' '.repeat(40) } }))[0]!, /^admin_token: must not be blank/);
    assert.match(
      problemsOf(() => loadConfig({ env: { PORTCULLIS_ADMIN_TOKEN: `  ${'x'.repeat(32)}` } }))[0]!,
      /^admin_token: must not start or end with whitespace/,
    );
    assert.equal(loadConfig({ env: { PORTCULLIS_ADMIN_TOKEN: 'x'.repeat(32) } }).admin_token, 'x'.repeat(32));
  });

  it('refuses duplicate issuer names and prefixes', () => {
    const issuers = JSON.stringify([
      { name: 'a', prefix: 'aa', type: 'local' },
      { name: 'a', prefix: 'aa', type: 'push' },
    ]);
    assert.equal(problemsOf(() => loadConfig({ env: { PORTCULLIS_API_KEYS_ISSUERS: issuers } })).length, 2);
  });

  it('accepts trusted_ips addresses and CIDR ranges of both families', () => {
    const entries = ['10.0.0.0/8', '192.168.1.7', '::1', '2001:db8::/32', '::ffff:10.0.0.1', '0.0.0.0/0'];
    assert.deepEqual(loadConfig({ env: { PORTCULLIS_TRUSTED_IPS: JSON.stringify(entries) } }).trusted_ips, entries);
  });

  it('refuses a trusted_ips entry that is not an address or CIDR range, naming trusted_ips.<i>', () => {
    const bad = ['10.0.0.0/33', 'localhost', '10.0.0', '::1/129', '10.0.0.0/', '10.0.0.0/8/8', 'fe80::1%eth0', '', ' 10.0.0.1', '10.0.0.0/-1'];
    const problems = problemsOf(() => loadConfig({ env: { PORTCULLIS_TRUSTED_IPS: JSON.stringify(['127.0.0.1', ...bad]) } }));
    assert.equal(problems.length, bad.length);
    bad.forEach((entry, i) => assert.match(problems[i]!, new RegExp(`^trusted_ips\\.${i + 1}: "${entry.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}" `), entry));
  });

  it('reports an unreadable or malformed file clearly', () => {
    assert.match(problemsOf(() => loadConfig({ file: '/nonexistent/portcullis.yaml', env: {} }))[0]!, /cannot read config file .*ENOENT/);
    assert.match(problemsOf(() => loadConfig({ file: tempFile('a: [1,\n'), env: {} }))[0]!, /is not valid YAML/);
    assert.match(problemsOf(() => loadConfig({ file: tempFile('- 1\n- 2\n'), env: {} }))[0]!, /must hold a mapping/);
  });

  it('returns a frozen configuration', () => {
    const config = loadConfig({ env: {} });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.api_keys.issuers));
  });

  it('derives environment names from key paths', () => {
    assert.equal(envName(['api_keys', 'hash_algorithm']), 'PORTCULLIS_API_KEYS_HASH_ALGORITHM');
  });
});
