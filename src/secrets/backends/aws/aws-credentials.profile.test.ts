/**
 * Shared files: the profile `AWS_PROFILE` names, read from the shared credentials file, and its
 * region from the config file when neither the vault nor the environment names one.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { silentBackend } from './testing/silent-backend.js';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../../../test/fakes/aws-secrets-manager.js';
import { sealAwsEnvironment, type SealedAwsEnvironment } from '../../../../test/support/aws-environment.js';

const keys = (id: string) => ({ accessKeyId: id, secretAccessKey: randomBytes(30).toString('base64') });

describe('aws credentials: shared credentials file profiles', () => {
  let sealed: SealedAwsEnvironment;
  let fake: SecretsManagerFake;
  const fallback = keys('AKIADEFAULTPROFILE01');
  const team = keys('AKIATEAMPROFILE00001');
  const backend = (config: Record<string, string>) => silentBackend({ endpoint_url: fake.url, ...config });

  before(async () => {
    sealed = sealAwsEnvironment();
    fake = await startSecretsManagerFake({ region: 'ap-southeast-2', credentials: [fallback, team] });
    fake.putSecretValue('profiled', 'from-profile');
    const section = (name: string, k: typeof team) => `[${name}]\naws_access_key_id = ${k.accessKeyId}\naws_secret_access_key = ${k.secretAccessKey}\n`;
    writeFileSync(sealed.credentialsFile, `${section('default', fallback)}\n${section('team', team)}`);
    writeFileSync(sealed.configFile, '[default]\nregion = eu-west-1\n\n[profile team]\nregion = ap-southeast-2\n');
  });
  after(async () => {
    await fake.close();
    sealed.restore();
  });

  it('signs with the default profile, or with the one AWS_PROFILE names', async () => {
    for (const [profile, expected] of [
      [undefined, fallback],
      ['team', team],
    ] as const) {
      if (profile) process.env['AWS_PROFILE'] = profile;
      const b = backend({ region: 'ap-southeast-2' });
      assert.equal((await b.read('profiled', null, {}, AbortSignal.timeout(5000))).value, 'from-profile');
      assert.equal(fake.requests.at(-1)!.accessKeyId, expected.accessKeyId);
      await b.close?.();
    }
  });

  it('takes the profile’s region from the config file when the vault and AWS_REGION name none', async () => {
    process.env['AWS_PROFILE'] = 'team';
    const b = backend({});
    assert.equal((await b.read('profiled', null, {}, AbortSignal.timeout(5000))).value, 'from-profile');
    assert.match(fake.requests.at(-1)!.headers.authorization ?? '', /\/ap-southeast-2\/secretsmanager\/aws4_request/);
    await b.close?.();
  });
});
