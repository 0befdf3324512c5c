/**
 * The conjur vault config: Kong's keys, the API key flagged encrypted and referenceable next to its
 * own definition, bounded and described fields, nothing unknown.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Value from 'typebox/value';
import { flaggedPaths } from '../../../schema/flagged-paths.js';
import { createValidator } from '../../../schema/validator.js';
import { ConjurBackendConfig } from './conjur-config.js';

const validator = createValidator(ConjurBackendConfig);
const kong = { endpoint_url: 'https://conjur.example.com', auth_method: 'api_key', account: 'myorg', login: 'host/BotApp/myDemoApp', api_key: '2kx7...' };

describe('conjur config schema', () => {
  it('accepts a Kong conjur vault config as it is, and defaults auth_method to api_key', () => {
    assert.deepEqual(validator.errors(kong), []);
    const { auth_method: _, ...withoutMethod } = kong;
    const withDefaults = Value.Default(ConjurBackendConfig, structuredClone(withoutMethod));
    assert.equal((withDefaults as { auth_method: string }).auth_method, 'api_key');
    assert.deepEqual(validator.errors({ ...kong, ca_cert: '/etc/ssl/conjur-ca.pem' }), []);
  });

  it('flags the API key, and only it, encrypted and referenceable', () => {
    assert.deepEqual(flaggedPaths(ConjurBackendConfig, 'encrypted'), [['api_key']]);
    assert.deepEqual(flaggedPaths(ConjurBackendConfig, 'referenceable'), [['api_key']]);
  });

  it('describes every field and bounds every string', () => {
    for (const [name, field] of Object.entries(ConjurBackendConfig.properties) as [string, { description?: string; maxLength?: number; const?: string }][]) {
      assert.ok((field.description ?? '').length > 20, name);
      assert.ok(field.maxLength !== undefined || field.const !== undefined, name);
    }
  });

  it('refuses a config that cannot be right, naming the field', () => {
    for (const [change, field] of [
      [{ endpoint_url: 'conjur.example.com' }, 'endpoint_url'],
      [{ endpoint_url: 'ftp://conjur.example.com' }, 'endpoint_url'],
      [{ endpoint_url: `https://${'a'.repeat(2048)}` }, 'endpoint_url'],
      [{ auth_method: 'jwt' }, 'auth_method'],
      [{ account: '' }, 'account'],
      [{ account: 'my/org' }, 'account'],
      [{ account: 'my:org' }, 'account'],
      [{ login: 'host/app\nX-Injected: 1' }, 'login'],
      [{ login: '' }, 'login'],
      [{ api_key: '' }, 'api_key'],
      [{ api_key: 'k'.repeat(4097) }, 'api_key'],
      [{ ca_cert: '' }, 'ca_cert'],
      [{ ssl_verify: false }, 'ssl_verify'],
    ] as const) {
      const errors = validator.errors({ ...kong, ...change });
      assert.ok(
        errors.some((e) => e.path === field),
        `${JSON.stringify(change)}: ${JSON.stringify(errors)}`,
      );
    }
    for (const missing of ['endpoint_url', 'account', 'login', 'api_key']) {
      const { [missing]: _, ...rest } = kong as Record<string, string>;
      assert.ok(validator.errors(rest).length > 0, missing);
    }
  });
});
