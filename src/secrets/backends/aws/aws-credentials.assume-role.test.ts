/**
 * `assume_role_arn`: the chain's credentials (here environment keys) only ever sign the STS
 * AssumeRole call at `sts_endpoint_url`; GetSecretValue is signed with the role session STS issued,
 * `x-amz-security-token` included. The Secrets Manager fake trusts only what STS issued.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { awsBackend } from './index.js';
import { VaultBackendError } from '../../vault-backend.js';
import { createLogger } from '../../../observability/logger.js';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../../../test/fakes/aws-secrets-manager.js';
import { startAwsCredentialsFake, type AwsCredentialsFake } from '../../../../test/fakes/aws-credentials.js';
import { sealAwsEnvironment, type SealedAwsEnvironment } from '../../../../test/support/aws-environment.js';

const REGION = 'ca-central-1';
const ROLE = 'arn:aws:iam::444455556666:role/secrets/portcullis-reader';

describe('aws backend: assume_role_arn through STS', () => {
  let sealed: SealedAwsEnvironment;
  let sm: SecretsManagerFake;
  let sts: AwsCredentialsFake;
  const master = { accessKeyId: 'AKIAMASTERIDENTITY01', secretAccessKey: randomBytes(30).toString('base64') };
  const logs: string[] = [];
  const backend = (config: Record<string, string> = {}) =>
    awsBackend.create(
      { region: REGION, endpoint_url: sm.url, assume_role_arn: ROLE, sts_endpoint_url: sts.url, ...config },
      { logger: createLogger({ level: 'debug', destination: { write: (l: string) => void logs.push(l) } }), env: process.env, timeout: 2000 },
    );
  const read = (b: ReturnType<typeof backend>) => b.read('cross-account/secret', null, {}, AbortSignal.timeout(5000));

  before(async () => {
    sealed = sealAwsEnvironment({ AWS_ACCESS_KEY_ID: master.accessKeyId, AWS_SECRET_ACCESS_KEY: master.secretAccessKey });
    sm = await startSecretsManagerFake({ region: REGION });
    sts = await startAwsCredentialsFake({ region: REGION, stsCallers: [master], onIssue: sm.trust });
    sm.putSecretValue('cross-account/secret', 'from-role');
  });
  after(async () => {
    await sm.close();
    await sts.close();
    sealed.restore();
  });

  it('asks STS with the chain’s credentials and reads with the role session it issued', async () => {
    const b = backend();
    assert.equal((await read(b)).value, 'from-role');
    const issued = sts.issued.at(-1)!;
    assert.deepEqual(issued.detail, { roleArn: ROLE, sessionName: 'portcullis', caller: master.accessKeyId });
    const form = new URLSearchParams(sts.requests.at(-1)!.body);
    assert.equal(form.get('Action'), 'AssumeRole');
    assert.match(sts.requests.at(-1)!.headers.authorization ?? '', new RegExp(`Credential=${master.accessKeyId}/\\d{8}/${REGION}/sts/aws4_request`));
    const read1 = sm.requests.at(-1)!;
    assert.equal(read1.accessKeyId, issued.credentials.accessKeyId);
    assert.equal(read1.headers['x-amz-security-token'], issued.credentials.sessionToken);
    assert.ok(
      sm.requests.every((r) => !r.headers.authorization?.includes(master.accessKeyId)),
      'the master keys never sign a read',
    );
    const stsCalls = sts.issued.length;
    await read(b);
    assert.equal(sts.issued.length, stsCalls, 'the role session is reused until it nears expiry');
    await b.close?.();
  });

  it('names the session role_session_name', async () => {
    const b = backend({ role_session_name: 'gateway-eu-1' });
    await read(b);
    assert.equal(sts.issued.at(-1)!.detail['sessionName'], 'gateway-eu-1');
    await b.close?.();
  });

  it('answers unauthorized, naming the role, when STS refuses to let the chain’s identity assume it', async () => {
    sts.refuseAssumeRole(true);
    const b = backend();
    try {
      await assert.rejects(read(b), (err) => {
        assert.ok(err instanceof VaultBackendError);
        assert.equal(err.kind, 'unauthorized');
        assert.match(err.message, new RegExp(`assuming role ${ROLE.replace(/\//g, '\\/')} .*AccessDenied, HTTP 403`));
        assert.ok(!err.message.includes(master.secretAccessKey));
        return true;
      });
    } finally {
      sts.refuseAssumeRole(false);
      await b.close?.();
    }
  });

  it('assumes the role again when AWS refuses the role session, and logs no credential', async () => {
    const b = backend();
    await read(b);
    const first = sts.issued.at(-1)!.credentials;
    sm.distrust(first.accessKeyId);
    logs.length = 0;
    assert.equal((await read(b)).value, 'from-role');
    const second = sts.issued.at(-1)!.credentials;
    assert.notEqual(second.accessKeyId, first.accessKeyId);
    assert.equal(sm.requests.at(-1)!.accessKeyId, second.accessKeyId);
    assert.ok(logs.length > 0);
    for (const line of logs)
      for (const secret of [master.secretAccessKey, first.secretAccessKey, first.sessionToken!, second.secretAccessKey, second.sessionToken!])
        assert.ok(!line.includes(secret), line);
    await b.close?.();
  });
});
