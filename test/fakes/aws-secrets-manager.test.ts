/**
 * The Secrets Manager fake answers as the service does (API_GetSecretValue, CommonErrors, the JSON
 * 1.1 protocol) and refuses, with the service's codes, requests a wrongly configured client sends:
 * the real SDK reads through it, and hand-signed requests probe each check.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SecretsManagerClient, GetSecretValueCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { startSecretsManagerFake, type SecretsManagerFake } from './aws-secrets-manager.js';
import { temporaryCredentials, type AwsTestCredentials } from './aws-sigv4.js';

const REGION = 'eu-south-2';
const permanent = { accessKeyId: 'AKIAFAKETESTPERMANENT', secretAccessKey: randomBytes(30).toString('base64') };
const session = temporaryCredentials(randomBytes);

interface Probe {
  readonly credentials?: AwsTestCredentials;
  readonly region?: string;
  readonly service?: string;
  readonly date?: Date;
  readonly body?: string;
  /** The body actually sent, when it differs from the signed one. */
  readonly sentBody?: string;
  readonly headers?: Record<string, string>;
  readonly dropHeaders?: readonly string[];
  /** Header values replaced after signing. */
  readonly alter?: Record<string, string>;
  readonly method?: string;
  readonly path?: string;
}

/** A hand-signed request, as the SDK would send it unless the probe says otherwise. */
async function probe(
  fake: SecretsManagerFake,
  p: Probe = {},
): Promise<{ status: number; body: { __type?: string; message?: string } & Record<string, unknown> }> {
  const url = new URL(fake.url);
  const body = p.body ?? JSON.stringify({ SecretId: 'app/db' });
  // The SDK's credentials carry no expiration string: only the fake cares when they expire.
  const { expiration: _expiration, ...credentials }: AwsTestCredentials = p.credentials ?? permanent;
  const signer = new SignatureV4({
    credentials,
    region: p.region ?? REGION,
    service: p.service ?? 'secretsmanager',
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: true,
    applyChecksum: true,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: p.method ?? 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: p.path ?? '/',
      headers: { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue', ...p.headers },
      body,
    }),
    { signingDate: p.date ?? new Date() },
  );
  const headers = { ...(signed.headers as Record<string, string>) };
  delete headers['host'];
  for (const name of p.dropHeaders ?? []) delete headers[name];
  Object.assign(headers, p.alter);
  const method = p.method ?? 'POST';
  const res = await fetch(`${fake.url}${p.path ?? '/'}`, { method, headers, ...(method === 'GET' ? {} : { body: p.sentBody ?? body }) });
  assert.equal(res.headers.get('content-type'), 'application/x-amz-json-1.1');
  return { status: res.status, body: (await res.json()) as never };
}

describe('Secrets Manager fake', () => {
  let fake: SecretsManagerFake;
  let client: SecretsManagerClient;
  before(async () => {
    fake = await startSecretsManagerFake({ region: REGION, credentials: [permanent, session] });
    client = new SecretsManagerClient({ region: REGION, endpoint: fake.url, credentials: permanent, maxAttempts: 1 });
  });
  after(async () => {
    client.destroy();
    await fake.close();
  });

  it('answers GetSecretValue as the service does, and the SDK reads it', async () => {
    const version = fake.putSecretValue('app/db', 'hunter2');
    const binary = fake.putSecretValue('app/cert', Uint8Array.from([0, 1, 2, 255]));
    const text = await client.send(new GetSecretValueCommand({ SecretId: 'app/db' }));
    assert.equal(text.SecretString, 'hunter2');
    assert.equal(text.VersionId, version);
    assert.equal(text.Name, 'app/db');
    assert.match(text.ARN ?? '', new RegExp(`^arn:aws:secretsmanager:${REGION}:123456789012:secret:app/db-[A-Za-z0-9]{6}$`));
    assert.deepEqual(text.VersionStages, ['AWSCURRENT']);
    assert.ok(text.CreatedDate instanceof Date && Math.abs(text.CreatedDate.getTime() - Date.now()) < 60_000);
    const bytes = await client.send(new GetSecretValueCommand({ SecretId: fake.arnOf('app/cert') }));
    assert.deepEqual([...(bytes.SecretBinary ?? [])], [0, 1, 2, 255]);
    assert.equal(bytes.VersionId, binary);
    assert.equal(bytes.SecretString, undefined);
  });

  it('moves staging labels as PutSecretValue does: AWSCURRENT to the new version, AWSPREVIOUS to the one it replaced', async () => {
    const [v1, v2, v3] = ['one', 'two', 'three'].map((v) => fake.putSecretValue('labels', v));
    const read = (input: { VersionId?: string; VersionStage?: string }) => client.send(new GetSecretValueCommand({ SecretId: 'labels', ...input }));
    assert.deepEqual((await read({})).VersionStages, ['AWSCURRENT']);
    assert.equal((await read({ VersionStage: 'AWSPREVIOUS' })).VersionId, v2);
    assert.deepEqual((await read({ VersionId: v1 })).VersionStages, []);
    assert.equal((await read({ VersionId: v3, VersionStage: 'AWSCURRENT' })).SecretString, 'three');
    await assert.rejects(read({ VersionId: v1!, VersionStage: 'AWSCURRENT' }), { name: 'InvalidParameterException' });
  });

  it('answers missing secrets, versions and labels with ResourceNotFoundException, and bad ids with validation errors', async () => {
    fake.putSecretValue('present', 'v');
    for (const [input, name] of [
      [{ SecretId: 'absent' }, 'ResourceNotFoundException'],
      [{ SecretId: 'present', VersionId: 'a'.repeat(32) }, 'ResourceNotFoundException'],
      [{ SecretId: 'present', VersionStage: 'AWSPENDING' }, 'ResourceNotFoundException'],
      [{ SecretId: 'present', VersionId: 'short' }, 'InvalidParameterException'],
      [{ SecretId: 'x'.repeat(2049) }, 'ValidationException'],
    ] as const) {
      await assert.rejects(client.send(new GetSecretValueCommand(input)), (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(err.name, name, JSON.stringify(input).slice(0, 60));
        assert.equal(err.$metadata?.httpStatusCode, 400);
        return true;
      });
    }
    await assert.rejects(client.send(new GetSecretValueCommand({ SecretId: 'absent' })), ResourceNotFoundException);
    fake.scheduleDeletion('present');
    await assert.rejects(client.send(new GetSecretValueCommand({ SecretId: 'present' })), { name: 'InvalidRequestException' });
  });

  it('accepts a correctly signed request, with and without a session token', async () => {
    fake.putSecretValue('app/db', 'v');
    assert.equal((await probe(fake)).status, 200);
    assert.equal((await probe(fake, { credentials: session })).status, 200);
    assert.equal(fake.requests.at(-1)!.accessKeyId, session.accessKeyId);
  });

  it('refuses each way a request can be wrongly signed, with the service’s error code', async () => {
    const stranger = { accessKeyId: 'AKIANOBODYKNOWSTHIS1', secretAccessKey: permanent.secretAccessKey };
    const expired = { ...temporaryCredentials(randomBytes), expiration: new Date(Date.now() - 1000).toISOString() };
    fake.trust(expired);
    for (const [name, p, status, type] of [
      ['no Authorization', { dropHeaders: ['authorization'] }, 400, 'MissingAuthenticationTokenException'],
      ['an unknown access key', { credentials: stranger }, 403, 'UnrecognizedClientException'],
      ['expired temporary credentials', { credentials: expired }, 403, 'ExpiredTokenException'],
      ['the wrong secret key', { credentials: { ...permanent, secretAccessKey: 'wrong' } }, 400, 'InvalidSignatureException'],
      ['another region', { region: 'us-east-1' }, 400, 'InvalidSignatureException'],
      ['another service', { service: 'sts' }, 400, 'InvalidSignatureException'],
      ['a date 20 minutes old', { date: new Date(Date.now() - 20 * 60_000) }, 400, 'InvalidSignatureException'],
      [
        'a session key without its token',
        { credentials: { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey } },
        403,
        'UnrecognizedClientException',
      ],
      ['a session key with another token', { credentials: { ...session, sessionToken: 'FwoGother' } }, 403, 'UnrecognizedClientException'],
      ['a body other than the signed one', { sentBody: JSON.stringify({ SecretId: 'app/other' }) }, 400, 'InvalidSignatureException'],
      ['a signed header changed after signing', { headers: { 'x-probe': 'signed' }, alter: { 'x-probe': 'changed' } }, 400, 'InvalidSignatureException'],
    ] as const) {
      const answer = await probe(fake, p as Probe);
      assert.equal(answer.status, status, name);
      assert.equal(answer.body.__type, type, name);
      assert.equal(typeof answer.body.message, 'string', name);
    }
  });

  it('refuses other operations, content types, methods and paths loudly (a protocol switch fails)', async () => {
    for (const [name, p, status] of [
      ['RPC v2 CBOR', { headers: { 'content-type': 'application/cbor' } }, 400],
      ['JSON 1.0', { headers: { 'content-type': 'application/x-amz-json-1.0' } }, 400],
      ['another operation', { headers: { 'x-amz-target': 'secretsmanager.ListSecrets' } }, 400],
      ['a path', { path: '/service/secretsmanager/operation/GetSecretValue' }, 404],
      ['GET', { method: 'GET', body: '' }, 404],
    ] as const) {
      const answer = await probe(fake, p as Probe);
      assert.equal(answer.status, status, name);
      assert.equal(answer.body.__type, 'UnknownOperationException', name);
    }
  });

  it('fails the next calls as asked, counting them, then answers again', async () => {
    fake.putSecretValue('scenario', 'v');
    fake.failNext({ type: 'ThrottlingException', status: 400, message: 'Rate exceeded' }, 2);
    for (let i = 0; i < 2; i++) await assert.rejects(client.send(new GetSecretValueCommand({ SecretId: 'scenario' })), { name: 'ThrottlingException' });
    assert.equal((await client.send(new GetSecretValueCommand({ SecretId: 'scenario' }))).SecretString, 'v');
  });

  it('holds requests while hanging and answers them when released', async () => {
    fake.putSecretValue('slow', 'v');
    fake.hang(true);
    let settled = false;
    const pending = client.send(new GetSecretValueCommand({ SecretId: 'slow' })).finally(() => void (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(settled, false);
    fake.hang(false);
    assert.equal((await pending).SecretString, 'v');
  });
});
