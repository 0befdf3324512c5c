/**
 * EC2 instance metadata, IMDSv2 only (`AWS_EC2_METADATA_V1_DISABLED=true`, so an SDK that skipped
 * the token step would fail here rather than pass through IMDSv1).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readOnce } from './testing/silent-backend.js';
import { VaultBackendError } from '../../vault-backend.js';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../../../test/fakes/aws-secrets-manager.js';
import { startAwsCredentialsFake, type AwsCredentialsFake } from '../../../../test/fakes/aws-credentials.js';
import { sealAwsEnvironment, type SealedAwsEnvironment } from '../../../../test/support/aws-environment.js';

describe('aws credentials: EC2 instance metadata (IMDSv2)', () => {
  let sealed: SealedAwsEnvironment;
  let sm: SecretsManagerFake;
  let imds: AwsCredentialsFake;
  const read = () => readOnce({ region: 'us-east-1', endpoint_url: sm.url }, 'instance/secret');

  before(async () => {
    sealed = sealAwsEnvironment();
    delete process.env['AWS_EC2_METADATA_DISABLED'];
    sm = await startSecretsManagerFake();
    imds = await startAwsCredentialsFake({ imdsRole: 'gateway-role', onIssue: sm.trust });
    process.env['AWS_EC2_METADATA_SERVICE_ENDPOINT'] = imds.url;
    sm.putSecretValue('instance/secret', 'from-imds');
  });
  after(async () => {
    await sm.close();
    await imds.close();
    sealed.restore();
  });

  it('takes a session token, then the role name and its credentials with that token, and signs with them', async () => {
    assert.equal((await read()).value, 'from-imds');
    const [put, list, role] = imds.requests;
    assert.equal(put?.method, 'PUT');
    assert.equal(put?.path, '/latest/api/token');
    assert.equal(put?.headers['x-aws-ec2-metadata-token-ttl-seconds'], '21600');
    assert.deepEqual(
      [list, role].map((r) => [r?.method, r?.path]),
      [
        ['GET', '/latest/meta-data/iam/security-credentials/'],
        ['GET', '/latest/meta-data/iam/security-credentials/gateway-role'],
      ],
    );
    assert.ok(list?.headers['x-aws-ec2-metadata-token'] && list.headers['x-aws-ec2-metadata-token'] === role?.headers['x-aws-ec2-metadata-token']);
    const issued = imds.issued.at(-1)!;
    assert.equal(issued.source, 'imds');
    assert.equal(sm.requests.at(-1)!.accessKeyId, issued.credentials.accessKeyId);
    assert.equal(sm.requests.at(-1)!.headers['x-amz-security-token'], issued.credentials.sessionToken);
  });

  it('fails on a corrupted credentials answer, quoting none of it', async () => {
    imds.garbage('imds');
    try {
      await assert.rejects(read(), (err) => err instanceof VaultBackendError && err.kind !== 'not_found' && !err.message.includes('GARBAGE'));
    } finally {
      imds.garbage(null);
    }
  });
});
