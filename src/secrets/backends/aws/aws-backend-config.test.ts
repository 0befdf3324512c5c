/** The `aws` vault config schema: what it accepts, what it refuses, and that it documents itself. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createValidator } from '../../../schema/validator.js';
import { AwsBackendConfig } from './aws-backend-config.js';

const validator = createValidator(AwsBackendConfig);
const base = { role_session_name: 'portcullis' };

describe('aws backend config', () => {
  it('accepts Kong’s keys and sts_endpoint_url, each optional but role_session_name', () => {
    for (const config of [
      base,
      { ...base, region: 'eu-central-1' },
      { ...base, region: 'us-gov-west-1' },
      { ...base, region: 'us-isob-east-1' },
      { ...base, endpoint_url: 'https://vpce-0a1b.secretsmanager.eu-central-1.vpce.amazonaws.com' },
      { ...base, endpoint_url: 'http://127.0.0.1:4566/prefix' },
      { ...base, assume_role_arn: 'arn:aws:iam::123456789012:role/team/secrets-reader', role_session_name: 'gateway@eu' },
      { ...base, assume_role_arn: 'arn:aws-cn:iam::123456789012:role/reader', sts_endpoint_url: 'https://sts.cn-north-1.amazonaws.com.cn' },
    ])
      assert.deepEqual(validator.errors(config), [], JSON.stringify(config));
  });

  it('refuses what is not a region, an http(s) URL, a role ARN or a session name, and unknown keys', () => {
    for (const [config, path] of [
      [{ ...base, region: 'EU-CENTRAL-1' }, 'region'],
      [{ ...base, region: 'eu-central' }, 'region'],
      [{ ...base, region: 'x'.repeat(40) }, 'region'],
      [{ ...base, endpoint_url: 'secretsmanager.eu-central-1.amazonaws.com' }, 'endpoint_url'],
      [{ ...base, endpoint_url: 'ftp://host' }, 'endpoint_url'],
      [{ ...base, endpoint_url: 'https://host with space' }, 'endpoint_url'],
      [{ ...base, endpoint_url: `https://${'h'.repeat(2100)}` }, 'endpoint_url'],
      [{ ...base, sts_endpoint_url: 'https://' }, 'sts_endpoint_url'],
      [{ ...base, assume_role_arn: 'arn:aws:iam::123:role/short-account' }, 'assume_role_arn'],
      [{ ...base, assume_role_arn: 'arn:aws:iam::123456789012:user/not-a-role' }, 'assume_role_arn'],
      [{ role_session_name: 'a' }, 'role_session_name'],
      [{ role_session_name: 'has space' }, 'role_session_name'],
      [{ role_session_name: 'x'.repeat(65) }, 'role_session_name'],
      [{ ...base, access_key_id: 'AKIA…' }, 'access_key_id'],
      [{ ...base, profile: 'dev' }, 'profile'],
    ] as const) {
      const errors = validator.errors(config);
      assert.ok(
        errors.some((e) => e.path === path),
        `${JSON.stringify(config).slice(0, 80)}: ${JSON.stringify(errors)}`,
      );
    }
  });

  it('defaults the session name to portcullis, and describes and bounds every key', () => {
    const properties = AwsBackendConfig.properties as Record<string, { default?: unknown; description?: string; maxLength?: number; pattern?: string }>;
    assert.equal(properties['role_session_name']?.default, 'portcullis');
    for (const [key, schema] of Object.entries(properties)) {
      assert.ok(schema.description && schema.description.length > 20, key);
      assert.ok(schema.pattern, key);
      assert.ok(schema.maxLength !== undefined || /\{\d+,\d+\}\$$/.test(schema.pattern ?? ''), `${key} has no length bound`);
    }
  });
});
