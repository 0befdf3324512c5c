import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPluginRegistry } from '../registry.js';
import { flaggedPaths } from '../../schema/flagged-paths.js';
import { upstreamAuthPlugin } from './handler.js';
import { UpstreamAuthSchema } from './schema.js';
import type { PluginDefinition } from '../plugin.js';

const registry = createPluginRegistry([upstreamAuthPlugin as PluginDefinition]);
const validate = (config: unknown) => registry.validateConfig('upstream-auth', config);

const VALID: Record<string, Record<string, unknown>> = {
  header: { type: 'header', header_name: 'Authorization', header_value: 'Bearer {vault://aws/payments/token}' },
  basic: { type: 'basic', username: '{vault://env/upstream-user}', password: '{vault://hcv/upstream#2}' },
  oauth2_client_credentials: {
    type: 'oauth2_client_credentials',
    token_url: 'https://idp.example/oauth2/token',
    client_id: 'gateway',
    client_secret: '{vault://gcp/idp-secret}',
    scopes: ['orders:read'],
    audience: 'https://orders.example',
    token_auth_method: 'client_secret_post',
    token_timeout: 5000,
    token_expiry_margin: 30,
  },
  aws_sigv4: {
    type: 'aws_sigv4',
    access_key_id: '{vault://aws/ak}',
    secret_access_key: '{vault://aws/sk}',
    session_token: '{vault://aws/st}',
    region: 'eu-central-1',
    service: 'execute-api',
  },
};

describe('upstream-auth configuration', () => {
  it('accepts each type with its own fields (references included) and fills in the common defaults', () => {
    for (const [type, config] of Object.entries(VALID)) {
      const result = validate(config);
      assert.deepEqual(result.errors, [], type);
      assert.deepEqual(result.config, { ...config, retry_on_status: [401], max_buffered_body_size: 1048576 }, type);
    }
  });

  it('refuses a type without its required fields, naming them', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ type: 'header' }, 'type header needs header_name, header_value'],
      [{ type: 'basic', username: 'u' }, 'type basic needs password'],
      [{ type: 'oauth2_client_credentials', token_url: 'https://idp/t' }, 'type oauth2_client_credentials needs client_id, client_secret'],
      [{ type: 'aws_sigv4', access_key_id: 'a', secret_access_key: 's', region: 'us-east-1' }, 'type aws_sigv4 needs service'],
    ];
    for (const [config, message] of cases) assert.deepEqual(validate(config).errors, [{ path: 'config', message }]);
  });

  it('refuses fields of another type, so a configuration says exactly what it does', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...VALID['header'], password: 'p' }, 'type header does not use password'],
      [{ ...VALID['basic'], header_name: 'x', scopes: [] }, 'type basic does not use header_name, scopes'],
      [{ ...VALID['aws_sigv4'], token_timeout: 100 }, 'type aws_sigv4 does not use token_timeout'],
    ];
    for (const [config, message] of cases) assert.deepEqual(validate(config).errors, [{ path: 'config', message }]);
  });

  it('refuses a credential header the proxy owns, in any case', () => {
    for (const name of ['Host', 'content-length', 'Transfer-Encoding', 'CONNECTION', 'te', 'Proxy-Authorization']) {
      const errors = validate({ ...VALID['header'], header_name: name }).errors;
      assert.equal(errors.length, 1, name);
      assert.match(errors[0]!.message, /header_name cannot be/, name);
    }
  });

  it('refuses malformed fields at their path', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...VALID['header'], type: 'digest' }, 'config.type'],
      [{ ...VALID['header'], header_name: 'X Api Key' }, 'config.header_name'],
      [{ ...VALID['header'], header_name: 'x:y' }, 'config.header_name'],
      [{ ...VALID['header'], header_value: 'a\r\nInjected: 1' }, 'config.header_value'],
      [{ ...VALID['header'], header_value: 'x'.repeat(8193) }, 'config.header_value'],
      [{ ...VALID['basic'], password: '' }, 'config.password'],
      [{ ...VALID['oauth2_client_credentials'], token_url: 'ftp://idp/token' }, 'config.token_url'],
      [{ ...VALID['oauth2_client_credentials'], token_auth_method: 'private_key_jwt' }, 'config.token_auth_method'],
      [{ ...VALID['oauth2_client_credentials'], scopes: ['has space'] }, 'config.scopes.0'],
      [{ ...VALID['oauth2_client_credentials'], token_timeout: 0 }, 'config.token_timeout'],
      [{ ...VALID['aws_sigv4'], region: 'EU West' }, 'config.region'],
      [{ ...VALID['header'], retry_on_status: [200] }, 'config.retry_on_status.0'],
      [{ ...VALID['header'], retry_on_status: [401, 401] }, 'config.retry_on_status'],
      [{ ...VALID['header'], max_buffered_body_size: -1 }, 'config.max_buffered_body_size'],
      [{ ...VALID['header'], extra: true }, 'config.extra'],
    ];
    for (const [config, path] of cases) {
      const paths = validate(config).errors.map((e) => e.path);
      assert.deepEqual(paths, [path], JSON.stringify(config).slice(0, 80));
    }
  });

  it('flags every secret field encrypted and referenceable next to its definition', () => {
    assert.deepEqual(flaggedPaths(UpstreamAuthSchema, 'encrypted').flat(), [
      'header_value',
      'password',
      'client_secret',
      'access_key_id',
      'secret_access_key',
      'session_token',
    ]);
    assert.deepEqual(flaggedPaths(UpstreamAuthSchema, 'referenceable').flat(), [
      'header_value',
      'username',
      'password',
      'client_id',
      'client_secret',
      'access_key_id',
      'secret_access_key',
      'session_token',
    ]);
  });
});
