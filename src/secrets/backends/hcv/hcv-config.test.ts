import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import { createValidator } from '../../../schema/validator.js';
import { flaggedPaths } from '../../../schema/flagged-paths.js';
import { HcvBackendConfig } from './hcv-config.js';

const validator = createValidator(HcvBackendConfig);
const withDefaults = (input: Record<string, unknown>) => Value.Default(HcvBackendConfig, structuredClone(input)) as Record<string, unknown>;
const errorsOf = (input: Record<string, unknown>) => validator.errors(withDefaults(input), 'config');

describe('hcv config schema', () => {
  it('fills Kong’s defaults, but https rather than http', () => {
    assert.deepEqual(withDefaults({ token: 't' }), {
      protocol: 'https',
      host: '127.0.0.1',
      port: 8200,
      mount: 'secret',
      kv: 'v1',
      auth_method: 'token',
      token: 't',
      approle_auth_path: 'approle',
      kube_auth_path: 'kubernetes',
      kube_api_token_file: '/var/run/secrets/kubernetes.io/serviceaccount/token',
    });
    assert.deepEqual(errorsOf({ token: 't' }), []);
  });

  it('accepts a Kong hcv vault config as it is', () => {
    const kong = {
      protocol: 'http',
      host: 'vault.internal',
      port: 8200,
      mount: '/kv/team/',
      kv: 'v2',
      namespace: 'admin/team',
      auth_method: 'kubernetes',
      kube_role: 'kong',
      kube_auth_path: '/kubernetes/',
      kube_api_token_file: '/run/secrets/kubernetes.io/serviceaccount/token',
    };
    assert.deepEqual(errorsOf(kong), []);
  });

  it('requires the credentials of the auth method chosen', () => {
    for (const [input, valid] of [
      [{}, false],
      [{ auth_method: 'token' }, false],
      [{ auth_method: 'approle', approle_role_id: 'r' }, false],
      [{ auth_method: 'approle', approle_secret_id: 's' }, false],
      [{ auth_method: 'approle', approle_role_id: 'r', approle_secret_id: 's' }, true],
      [{ auth_method: 'kubernetes' }, false],
      [{ auth_method: 'kubernetes', kube_role: 'gw' }, true],
      [{ auth_method: 'kubernetes', kube_role: 'gw', token: 'unused' }, true],
    ] as const) {
      assert.equal(errorsOf(input).length === 0, valid, JSON.stringify(input));
    }
  });

  it('refuses addresses, paths and credentials that could change the request Vault gets', () => {
    const base = { token: 't' };
    for (const bad of [
      { host: 'https://vault:8200' },
      { host: 'vault/path' },
      { host: 'user@vault' },
      { host: 'vault:8200' },
      { host: 'cafe:80' },
      { host: '[::1' },
      { host: '' },
      { port: 0 },
      { port: 70000 },
      { protocol: 'ftp' },
      { kv: 'v3' },
      { mount: 'a/../b' },
      { mount: '.' },
      { mount: 'a//b' },
      { mount: 'a b' },
      { namespace: 'team/../root' },
      { approle_auth_path: 'approle?x=1' },
      { kube_auth_path: '../sys' },
      { token: 'hvs.abc\r\nX-Injected: 1' },
      { token: '' },
      { token: 'x'.repeat(4097) },
      { kube_api_token_file: '/tmp/a\nb' },
      { auth_method: 'ldap' },
      { tls_verify: false },
      { address: 'https://vault:8200' },
    ]) {
      assert.notDeepEqual(errorsOf({ ...base, ...bad }), [], JSON.stringify(bad));
    }
    for (const good of [
      { host: 'vault.example.com' },
      { host: '10.0.0.7' },
      { host: '::1' },
      { host: '[fd00::7]' },
      { host: '::ffff:10.0.0.1' },
      { host: 'localhost' },
    ]) {
      assert.deepEqual(errorsOf({ ...base, ...good }), [], JSON.stringify(good));
    }
  });

  it('flags the credentials encrypted and referenceable next to their definitions', () => {
    const expected = [['token'], ['approle_role_id'], ['approle_secret_id']];
    assert.deepEqual(flaggedPaths(HcvBackendConfig, 'encrypted'), expected);
    assert.deepEqual(flaggedPaths(HcvBackendConfig, 'referenceable'), expected);
  });

  it('describes every setting, for the docs', () => {
    for (const [name, field] of Object.entries(HcvBackendConfig.properties)) {
      assert.ok(typeof (field as { description?: unknown }).description === 'string', name);
    }
  });
});
