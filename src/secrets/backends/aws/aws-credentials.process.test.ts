/**
 * `credential_process`: a profile's command whose standard output is the credentials
 * (`{"Version": 1, AccessKeyId, SecretAccessKey, SessionToken?, Expiration?}`).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { readOnce } from './testing/silent-backend.js';
import { VaultBackendError } from '../../vault-backend.js';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../../../test/fakes/aws-secrets-manager.js';
import { temporaryCredentials } from '../../../../test/fakes/aws-sigv4.js';
import { sealAwsEnvironment, type SealedAwsEnvironment } from '../../../../test/support/aws-environment.js';

describe('aws credentials: credential_process', () => {
  let sealed: SealedAwsEnvironment;
  let sm: SecretsManagerFake;
  const issued = temporaryCredentials(randomBytes);
  const HELPER_TOKEN = `helper-token-${randomBytes(8).toString('hex')}`;
  const read = async (profile: string) => {
    process.env['AWS_PROFILE'] = profile;
    return readOnce({ region: 'us-east-1', endpoint_url: sm.url }, 'process/secret', { timeout: 5000, readTimeout: 10_000 });
  };

  before(async () => {
    sealed = sealAwsEnvironment();
    sm = await startSecretsManagerFake({ credentials: [issued] });
    sm.putSecretValue('process/secret', 'from-process');
    const helper = join(sealed.home, 'helper.mjs');
    writeFileSync(
      helper,
      `if (process.argv.includes('--fail')) { console.error('helper: refused ' + process.argv.at(-1)); process.exit(3); }\n` +
        `console.log(JSON.stringify(${JSON.stringify({ Version: 1, AccessKeyId: issued.accessKeyId, SecretAccessKey: issued.secretAccessKey, SessionToken: issued.sessionToken, Expiration: issued.expiration })}));\n`,
    );
    writeFileSync(
      sealed.configFile,
      `[profile helper]\ncredential_process = "${process.execPath}" "${helper}"\n\n[profile failing]\ncredential_process = "${process.execPath}" "${helper}" --fail --token ${HELPER_TOKEN}\n`,
    );
  });
  after(async () => {
    await sm.close();
    sealed.restore();
  });

  it('signs with what the command prints', async () => {
    assert.equal((await read('helper')).value, 'from-process');
    assert.equal(sm.requests.at(-1)!.accessKeyId, issued.accessKeyId);
    assert.equal(sm.requests.at(-1)!.headers['x-amz-security-token'], issued.sessionToken);
  });

  it('answers unauthorized when the command fails, quoting neither its command line nor its output', async () => {
    await assert.rejects(read('failing'), (err) => {
      assert.ok(err instanceof VaultBackendError);
      assert.equal(err.kind, 'unauthorized');
      assert.ok(!err.message.includes(HELPER_TOKEN) && !err.message.includes('helper'), err.message);
      return true;
    });
  });
});
