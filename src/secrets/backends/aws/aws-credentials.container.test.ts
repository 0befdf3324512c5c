/**
 * Container credentials (ECS task roles, EKS Pod Identity): `AWS_CONTAINER_CREDENTIALS_FULL_URI`
 * with the authorization token from `AWS_CONTAINER_AUTHORIZATION_TOKEN` or its `…_FILE`.
 */
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentBackend } from './testing/silent-backend.js';
import { VaultBackendError } from '../../vault-backend.js';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../../../test/fakes/aws-secrets-manager.js';
import { startAwsCredentialsFake, type AwsCredentialsFake } from '../../../../test/fakes/aws-credentials.js';
import { sealAwsEnvironment, type SealedAwsEnvironment } from '../../../../test/support/aws-environment.js';

const TOKEN = 'eks-pod-identity-token-0123456789abcdef';

describe('aws credentials: container endpoint', () => {
  let sealed: SealedAwsEnvironment;
  let sm: SecretsManagerFake;
  let creds: AwsCredentialsFake;
  const backend = () => silentBackend({ region: 'us-east-1', endpoint_url: sm.url });
  const read = (b = backend()) => b.read('task/secret', null, {}, AbortSignal.timeout(5000));

  before(async () => {
    sealed = sealAwsEnvironment();
    sm = await startSecretsManagerFake();
    creds = await startAwsCredentialsFake({ containerToken: TOKEN, onIssue: sm.trust });
    sm.putSecretValue('task/secret', 'from-container');
    process.env['AWS_CONTAINER_CREDENTIALS_FULL_URI'] = creds.containerUrl;
  });
  beforeEach(() => {
    delete process.env['AWS_CONTAINER_AUTHORIZATION_TOKEN'];
    delete process.env['AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'];
  });
  after(async () => {
    await sm.close();
    await creds.close();
    sealed.restore();
  });

  it('signs with the credentials the endpoint gave for AWS_CONTAINER_AUTHORIZATION_TOKEN, sent verbatim', async () => {
    process.env['AWS_CONTAINER_AUTHORIZATION_TOKEN'] = TOKEN;
    assert.equal((await read()).value, 'from-container');
    const issued = creds.issued.at(-1)!;
    assert.equal(issued.source, 'container');
    assert.equal(creds.requests.at(-1)!.headers.authorization, TOKEN);
    assert.equal(sm.requests.at(-1)!.accessKeyId, issued.credentials.accessKeyId);
    assert.equal(sm.requests.at(-1)!.headers['x-amz-security-token'], issued.credentials.sessionToken);
  });

  it('reads the token from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, as EKS Pod Identity mounts it', async () => {
    const file = join(sealed.home, 'eks-pod-identity-token');
    writeFileSync(file, TOKEN);
    process.env['AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'] = file;
    assert.equal((await read()).value, 'from-container');
    assert.equal(creds.requests.at(-1)!.headers.authorization, TOKEN);
  });

  it('answers unauthorized when the endpoint refuses the token, naming no token', async () => {
    process.env['AWS_CONTAINER_AUTHORIZATION_TOKEN'] = 'wrong-token-value';
    await assert.rejects(
      read(),
      (err) => err instanceof VaultBackendError && err.kind === 'unauthorized' && !err.message.includes('token-value') && !err.message.includes(TOKEN),
    );
  });

  it('fetches new credentials when AWS refuses the ones it cached', async () => {
    process.env['AWS_CONTAINER_AUTHORIZATION_TOKEN'] = TOKEN;
    const b = backend();
    await read(b);
    const first = creds.issued.at(-1)!.credentials;
    sm.distrust(first.accessKeyId);
    assert.equal((await read(b)).value, 'from-container');
    const second = creds.issued.at(-1)!.credentials;
    assert.notEqual(second.accessKeyId, first.accessKeyId);
    assert.deepEqual(
      sm.requests.slice(-2).map((r) => r.accessKeyId ?? 'refused'),
      ['refused', second.accessKeyId],
    );
    await b.close?.();
  });

  it('fails as unavailable on a corrupted credentials answer, quoting none of it', async () => {
    process.env['AWS_CONTAINER_AUTHORIZATION_TOKEN'] = TOKEN;
    creds.garbage('container');
    try {
      await assert.rejects(read(), (err) => err instanceof VaultBackendError && err.kind === 'unavailable' && !err.message.includes('GARBAGE'));
    } finally {
      creds.garbage(null);
    }
  });
});
