/** The azure vault's config schema: what a vault entity may hold, its defaults and flags. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import { createValidator } from '../../../schema/validator.js';
import { flaggedPaths } from '../../../schema/flagged-paths.js';
import { AzureBackendConfig } from './azure-config.js';

const validator = createValidator(AzureBackendConfig);
/** As vault entities are checked: defaults first, then the schema. */
const errors = (config: unknown) => validator.errors(Value.Default(AzureBackendConfig, structuredClone(config)), 'config');
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = 'fad7d5b3-69d6-4b48-9259-8d12124e1cf1';
const clientSecret = { vault_uri: 'https://contoso.vault.azure.net', tenant_id: TENANT, client_id: CLIENT, client_secret: 'Abc8Q~example' };
const managed = { vault_uri: 'https://contoso.vault.azure.net/', auth_method: 'managed_identity' };

describe('azure vault config', () => {
  it('accepts client credentials, a system-assigned and a user-assigned managed identity', () => {
    for (const config of [
      clientSecret,
      { ...clientSecret, auth_method: 'client_secret', authority_host: 'https://login.microsoftonline.us', disable_challenge_resource_verification: true },
      managed,
      { ...managed, client_id: CLIENT },
      { ...clientSecret, vault_uri: 'https://127.0.0.1:8443' },
    ]) {
      assert.deepEqual(errors(config), [], JSON.stringify(config));
    }
  });

  it('fills in client_secret auth, the public Entra authority and the challenge check', () => {
    assert.deepEqual(Value.Default(AzureBackendConfig, structuredClone(clientSecret)), {
      ...clientSecret,
      auth_method: 'client_secret',
      authority_host: 'https://login.microsoftonline.com',
      disable_challenge_resource_verification: false,
    });
  });

  it('refuses what cannot work or would be ignored, naming the field', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['an http vault', { ...clientSecret, vault_uri: 'http://contoso.vault.azure.net' }, 'vault_uri'],
      ['a vault URI with a path', { ...clientSecret, vault_uri: 'https://contoso.vault.azure.net/secrets/x' }, 'vault_uri'],
      ['a vault URI with a query', { ...clientSecret, vault_uri: 'https://contoso.vault.azure.net?x=1' }, 'vault_uri'],
      ['no vault', { tenant_id: TENANT, client_id: CLIENT, client_secret: 's' }, 'vault_uri'],
      ['an http authority', { ...clientSecret, authority_host: 'http://login.microsoftonline.com' }, 'authority_host'],
      ['client credentials without a tenant', { ...clientSecret, tenant_id: undefined }, 'tenant_id'],
      ['client credentials without a client id', { ...clientSecret, client_id: undefined }, 'client_id'],
      ['client credentials without a secret', { ...clientSecret, client_secret: undefined }, 'client_secret'],
      ['an empty client secret', { ...clientSecret, client_secret: '' }, 'client_secret'],
      ['a tenant that is not a GUID (a domain name)', { ...clientSecret, tenant_id: 'contoso.onmicrosoft.com' }, 'tenant_id'],
      ['a client id that is not a GUID', { ...clientSecret, client_id: 'my-app' }, 'client_id'],
      ['a client secret with a managed identity', { ...managed, client_secret: 's' }, 'client_secret'],
      ['a tenant with a managed identity', { ...managed, tenant_id: TENANT }, 'tenant_id'],
      ['an unknown auth method', { ...clientSecret, auth_method: 'certificate' }, 'auth_method'],
      ['an unknown field', { ...clientSecret, location: 'westeurope' }, 'location'],
    ];
    for (const [title, config, field] of cases) {
      const paths = errors(JSON.parse(JSON.stringify(config))).map((e) => e.path);
      assert.ok(paths.includes(`config.${field}`), `${title}: ${JSON.stringify(paths)}`);
    }
  });

  it('flags the client secret, and only it, as encrypted and referenceable', () => {
    assert.deepEqual(flaggedPaths(AzureBackendConfig, 'encrypted'), [['client_secret']]);
    assert.deepEqual(flaggedPaths(AzureBackendConfig, 'referenceable'), [['client_secret']]);
  });
});
