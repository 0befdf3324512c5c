/**
 * The AWS credentials fake answers each source as AWS documents it and refuses what a wrongly
 * configured client sends: IMDS without its session token, the container endpoint without its
 * Authorization, STS AssumeRole unsigned or signed by a stranger, web identity with a wrong token,
 * the SSO portal with a wrong bearer token.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { startAwsCredentialsFake, type AwsCredentialsFake } from './aws-credentials.js';
import type { AwsTestCredentials } from './aws-sigv4.js';

const CALLER = { accessKeyId: 'AKIASTSCALLERKEY0001', secretAccessKey: randomBytes(30).toString('base64') };
const ROLE = 'arn:aws:iam::123456789012:role/reader';

describe('AWS credentials fake', () => {
  let fake: AwsCredentialsFake;
  const issued: AwsTestCredentials[] = [];
  const call = async (method: string, path: string, headers: Record<string, string> = {}, body?: string) => {
    const res = await fetch(`${fake.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    return { status: res.status, type: res.headers.get('content-type'), headers: res.headers, text: await res.text() };
  };
  const sts = ({ expiration: _expiration, ...credentials }: AwsTestCredentials, region = 'us-east-1') =>
    new STSClient({ region, endpoint: fake.url, maxAttempts: 1, credentials });

  before(async () => {
    fake = await startAwsCredentialsFake({
      stsCallers: [CALLER],
      containerToken: 'container-token',
      webIdentityToken: 'web-identity-token',
      sso: { accessToken: 'sso-token', accountId: '123456789012', roleName: 'Reader' },
      onIssue: (c) => void issued.push(c),
    });
  });
  after(() => fake.close());

  it('IMDSv2: hands a session token to a PUT with a TTL, and serves credentials only with it', async () => {
    assert.equal((await call('GET', '/latest/meta-data/iam/security-credentials/')).status, 401, 'IMDSv1 is refused');
    assert.equal((await call('PUT', '/latest/api/token')).status, 400, 'a TTL is required');
    assert.equal((await call('PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '21601' })).status, 400);
    assert.equal((await call('PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '60', 'x-forwarded-for': '10.0.0.1' })).status, 403);
    const token = await call('PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '60' });
    assert.equal(token.status, 200);
    assert.equal(token.headers.get('x-aws-ec2-metadata-token-ttl-seconds'), '60');
    const withToken = { 'x-aws-ec2-metadata-token': token.text };
    assert.equal((await call('GET', '/latest/meta-data/iam/security-credentials/', { 'x-aws-ec2-metadata-token': 'forged' })).status, 401);
    const role = await call('GET', '/latest/meta-data/iam/security-credentials/', withToken);
    assert.equal(role.text, 'portcullis-instance-role');
    assert.equal((await call('GET', '/latest/meta-data/iam/security-credentials/other-role', withToken)).status, 404);
    const creds = JSON.parse((await call('GET', `/latest/meta-data/iam/security-credentials/${role.text}`, withToken)).text);
    assert.deepEqual(Object.keys(creds).sort(), ['AccessKeyId', 'Code', 'Expiration', 'LastUpdated', 'SecretAccessKey', 'Token', 'Type']);
    assert.equal(creds.Code, 'Success');
    assert.equal(creds.AccessKeyId, issued.at(-1)?.accessKeyId);
    assert.ok(Date.parse(creds.Expiration) > Date.now() + 30 * 60_000, 'credentials live long enough for the SDK to keep them');
  });

  it('container: serves credentials only for the exact Authorization value', async () => {
    const path = new URL(fake.containerUrl).pathname;
    for (const headers of [{}, { authorization: 'Bearer container-token' }, { authorization: 'CONTAINER-TOKEN' }] as Record<string, string>[])
      assert.equal((await call('GET', path, headers)).status, 401, JSON.stringify(headers));
    const answer = await call('GET', path, { authorization: 'container-token' });
    assert.equal(answer.status, 200);
    const body = JSON.parse(answer.text);
    assert.deepEqual(Object.keys(body).sort(), ['AccessKeyId', 'AccountId', 'Expiration', 'RoleArn', 'SecretAccessKey', 'Token']);
    assert.match(body.Expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('STS AssumeRole: answers the SDK with the role session when signed by a known caller for its region', async () => {
    const client = sts(CALLER);
    const { Credentials, AssumedRoleUser } = await client.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'gateway' }));
    assert.equal(Credentials?.AccessKeyId, issued.at(-1)?.accessKeyId);
    assert.equal(Credentials?.SessionToken, issued.at(-1)?.sessionToken);
    assert.ok(Credentials?.Expiration instanceof Date);
    assert.equal(AssumedRoleUser?.Arn, 'arn:aws:sts::123456789012:assumed-role/reader/gateway');
    assert.deepEqual(fake.issued.at(-1)?.detail, { roleArn: ROLE, sessionName: 'gateway', caller: CALLER.accessKeyId });
    client.destroy();
  });

  it('STS AssumeRole: refuses a stranger, another region, a refused role and bad parameters with STS’s codes', async () => {
    for (const [name, client, input, code] of [
      ['a stranger', sts({ accessKeyId: 'AKIASTRANGER00000001', secretAccessKey: 'x' }), { RoleArn: ROLE, RoleSessionName: 's1' }, 'InvalidClientTokenId'],
      ['the wrong secret key', sts({ ...CALLER, secretAccessKey: 'wrong' }), { RoleArn: ROLE, RoleSessionName: 's1' }, 'SignatureDoesNotMatch'],
      ['another region', sts(CALLER, 'eu-west-1'), { RoleArn: ROLE, RoleSessionName: 's1' }, 'SignatureDoesNotMatch'],
      ['a malformed role ARN', sts(CALLER), { RoleArn: 'arn:aws:iam::1:role/x', RoleSessionName: 's1' }, 'ValidationError'],
      ['a one-letter session name', sts(CALLER), { RoleArn: ROLE, RoleSessionName: 's' }, 'ValidationError'],
    ] as const) {
      await assert.rejects(client.send(new AssumeRoleCommand(input)), (err: Error) => {
        assert.equal(err.name, code, name);
        return true;
      });
      client.destroy();
    }
    fake.refuseAssumeRole(true);
    const client = sts(CALLER);
    await assert.rejects(
      client.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 's1' })),
      (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(err.name, 'AccessDenied');
        assert.equal(err.$metadata?.httpStatusCode, 403);
        return true;
      },
    );
    fake.refuseAssumeRole(false);
    client.destroy();
    const unsigned = await call(
      'POST',
      '/',
      { 'content-type': 'application/x-www-form-urlencoded' },
      `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(ROLE)}&RoleSessionName=s1`,
    );
    assert.equal(unsigned.status, 403);
    assert.match(unsigned.text, /<Code>MissingAuthenticationToken<\/Code>/);
  });

  it('STS AssumeRoleWithWebIdentity: answers the unsigned call with the right token only', async () => {
    const form = (token: string) =>
      `Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=${encodeURIComponent(ROLE)}&RoleSessionName=pod&WebIdentityToken=${token}`;
    const ok = await call('POST', '/', { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, form('web-identity-token'));
    assert.equal(ok.status, 200);
    assert.equal(ok.type, 'text/xml');
    assert.match(
      ok.text,
      /^<AssumeRoleWithWebIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><AssumeRoleWithWebIdentityResult>.*<Credentials><AccessKeyId>ASIA/,
    );
    const wrong = await call('POST', '/', { 'content-type': 'application/x-www-form-urlencoded' }, form('other-token'));
    assert.equal(wrong.status, 400);
    assert.match(wrong.text, /<Code>InvalidIdentityToken<\/Code>/);
    // The SDK sends this call unsigned; a signed one means a client that is not the SDK's.
    const signed = await call(
      'POST',
      '/',
      {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `AWS4-HMAC-SHA256 Credential=${CALLER.accessKeyId}/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`,
      },
      form('web-identity-token'),
    );
    assert.equal(signed.status, 400);
    assert.match(signed.text, /without AWS credentials/);
  });

  it('SSO portal: serves role credentials for the bearer token, account and role it knows', async () => {
    const path = '/federation/credentials?account_id=123456789012&role_name=Reader';
    const refused = await call('GET', path, { 'x-amz-sso_bearer_token': 'other' });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('x-amzn-errortype'), 'UnauthorizedException');
    assert.equal(
      (await call('GET', '/federation/credentials?account_id=999999999999&role_name=Reader', { 'x-amz-sso_bearer_token': 'sso-token' })).status,
      403,
    );
    const answer = JSON.parse((await call('GET', path, { 'x-amz-sso_bearer_token': 'sso-token' })).text);
    assert.deepEqual(Object.keys(answer.roleCredentials).sort(), ['accessKeyId', 'expiration', 'secretAccessKey', 'sessionToken']);
    assert.equal(typeof answer.roleCredentials.expiration, 'number');
  });

  it('breaks a source’s answer around the garbage marker when asked', async () => {
    fake.garbage('container');
    const answer = await call('GET', new URL(fake.containerUrl).pathname, { authorization: 'container-token' });
    assert.equal(answer.status, 200);
    assert.throws(() => JSON.parse(answer.text));
    assert.ok(answer.text.includes(fake.garbageMarker));
    fake.garbage(null);
  });
});
