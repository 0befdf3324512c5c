/**
 * Web identity (EKS IAM roles for service accounts): the token file `AWS_WEB_IDENTITY_TOKEN_FILE`
 * exchanged for `AWS_ROLE_ARN`'s credentials by an unsigned STS AssumeRoleWithWebIdentity at
 * `AWS_ENDPOINT_URL_STS`. The kubelet rewrites the token file before it expires.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentBackend } from './testing/silent-backend.js';
import { VaultBackendError } from '../../vault-backend.js';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../../../test/fakes/aws-secrets-manager.js';
import { startAwsCredentialsFake, type AwsCredentialsFake } from '../../../../test/fakes/aws-credentials.js';
import { sealAwsEnvironment, type SealedAwsEnvironment } from '../../../../test/support/aws-environment.js';

const ROLE = 'arn:aws:iam::210987654321:role/eks/portcullis';
const FIRST = 'eyJhbGciOiJSUzI1NiJ9.first-projected-token.sig';
const SECOND = 'eyJhbGciOiJSUzI1NiJ9.second-projected-token.sig';

describe('aws credentials: web identity token file', () => {
  let sealed: SealedAwsEnvironment;
  let sm: SecretsManagerFake;
  let sts: AwsCredentialsFake;
  const tokenFile = () => join(sealed.home, 'token');
  const backend = () => silentBackend({ region: 'eu-west-1', endpoint_url: sm.url });
  const read = (b: ReturnType<typeof backend>) => b.read('irsa/secret', null, {}, AbortSignal.timeout(5000));

  before(async () => {
    sealed = sealAwsEnvironment();
    sm = await startSecretsManagerFake({ region: 'eu-west-1' });
    sts = await startAwsCredentialsFake({ onIssue: sm.trust, webIdentityToken: FIRST });
    writeFileSync(tokenFile(), FIRST);
    Object.assign(process.env, {
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile(),
      AWS_ROLE_ARN: ROLE,
      AWS_ROLE_SESSION_NAME: 'gateway-pod',
      AWS_ENDPOINT_URL_STS: sts.url,
    });
    sm.putSecretValue('irsa/secret', 'from-web-identity');
  });
  after(async () => {
    await sm.close();
    await sts.close();
    sealed.restore();
  });

  it('exchanges the token unsigned for the role’s credentials and signs with them', async () => {
    const b = backend();
    assert.equal((await read(b)).value, 'from-web-identity');
    const call = sts.requests.at(-1)!;
    assert.equal(call.headers.authorization, undefined);
    const form = new URLSearchParams(call.body);
    assert.deepEqual(
      ['Action', 'RoleArn', 'RoleSessionName', 'WebIdentityToken'].map((k) => form.get(k)),
      ['AssumeRoleWithWebIdentity', ROLE, 'gateway-pod', FIRST],
    );
    const issued = sts.issued.at(-1)!;
    assert.equal(issued.source, 'web-identity');
    assert.equal(sm.requests.at(-1)!.accessKeyId, issued.credentials.accessKeyId);
    await b.close?.();
  });

  it('answers unauthorized when STS refuses the token, quoting no token', async () => {
    writeFileSync(tokenFile(), SECOND);
    const b = backend();
    try {
      await assert.rejects(read(b), (err) => {
        assert.ok(err instanceof VaultBackendError);
        assert.equal(err.kind, 'unauthorized');
        assert.match(err.message, /^obtaining AWS credentials .*web identity token was refused \(InvalidIdentityTokenException, HTTP 400/);
        assert.ok(!err.message.includes('projected-token'));
        return true;
      });
    } finally {
      writeFileSync(tokenFile(), FIRST);
      await b.close?.();
    }
  });

  it('reads the rewritten token file when AWS refuses the credentials of the old token', async () => {
    const b = backend();
    await read(b);
    const old = sts.issued.at(-1)!.credentials;
    // The old session is revoked, STS takes only the new token, and the kubelet wrote it.
    sm.distrust(old.accessKeyId);
    sts.acceptWebIdentityToken(SECOND);
    writeFileSync(tokenFile(), SECOND);
    const before = sts.issued.length;
    assert.equal((await read(b)).value, 'from-web-identity');
    assert.equal(sts.issued.length, before + 1);
    assert.equal(new URLSearchParams(sts.requests.at(-1)!.body).get('WebIdentityToken'), SECOND);
    assert.equal(sm.requests.at(-1)!.accessKeyId, sts.issued.at(-1)!.credentials.accessKeyId);
    await b.close?.();
  });
});
