/**
 * The default chain's first source: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (and
 * `AWS_SESSION_TOKEN`) of the process environment, which the node passes as `deps.env`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { readOnce } from './testing/silent-backend.js';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../../../test/fakes/aws-secrets-manager.js';
import { temporaryCredentials } from '../../../../test/fakes/aws-sigv4.js';
import { sealAwsEnvironment, type SealedAwsEnvironment } from '../../../../test/support/aws-environment.js';

const REGION = 'us-west-2';

describe('aws credentials: environment keys', () => {
  let sealed: SealedAwsEnvironment;
  let fake: SecretsManagerFake;
  const permanent = { accessKeyId: 'AKIAENVIRONMENTKEY01', secretAccessKey: randomBytes(30).toString('base64') };
  const session = temporaryCredentials(randomBytes);
  const profile = { accessKeyId: 'AKIAPROFILEKEY000001', secretAccessKey: randomBytes(30).toString('base64') };
  const read = async () => {
    assert.equal((await readOnce({ region: REGION, endpoint_url: fake.url }, 'env/secret')).value, 'from-env');
    return fake.requests.at(-1)!;
  };

  before(async () => {
    sealed = sealAwsEnvironment();
    fake = await startSecretsManagerFake({ region: REGION, credentials: [permanent, session, profile] });
    fake.putSecretValue('env/secret', 'from-env');
    writeFileSync(sealed.credentialsFile, `[team]\naws_access_key_id = ${profile.accessKeyId}\naws_secret_access_key = ${profile.secretAccessKey}\n`);
  });
  after(async () => {
    await fake.close();
    sealed.restore();
  });

  it('signs with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, without a security token', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: permanent.accessKeyId, AWS_SECRET_ACCESS_KEY: permanent.secretAccessKey });
    const request = await read();
    assert.equal(request.accessKeyId, permanent.accessKeyId);
    assert.equal(request.headers['x-amz-security-token'], undefined);
  });

  it('sends AWS_SESSION_TOKEN as x-amz-security-token with temporary keys', async () => {
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: session.accessKeyId,
      AWS_SECRET_ACCESS_KEY: session.secretAccessKey,
      AWS_SESSION_TOKEN: session.sessionToken,
    });
    const request = await read();
    assert.equal(request.accessKeyId, session.accessKeyId);
    assert.equal(request.headers['x-amz-security-token'], session.sessionToken);
  });

  it('uses the profile AWS_PROFILE names rather than the keys, as the SDK does', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: permanent.accessKeyId, AWS_SECRET_ACCESS_KEY: permanent.secretAccessKey, AWS_PROFILE: 'team' });
    delete process.env['AWS_SESSION_TOKEN'];
    assert.equal((await read()).accessKeyId, profile.accessKeyId);
  });
});
