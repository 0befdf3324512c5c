/**
 * The `aws` backend through the official SDK against the Secrets Manager fake: what a read returns,
 * how versions are named, what each failure becomes, and the limits it keeps (answer size, attempts,
 * one more try with fresh credentials). Credentials come from the shared credentials file of a
 * sealed environment (test/support/aws-environment.ts).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { awsBackend } from './index.js';
import { VaultBackendError, type VaultBackend } from '../../vault-backend.js';
import { createLogger } from '../../../observability/logger.js';
import { startSecretsManagerFake, type SecretsManagerFake } from '../../../../test/fakes/aws-secrets-manager.js';
import { sealAwsEnvironment, type SealedAwsEnvironment } from '../../../../test/support/aws-environment.js';

const REGION = 'eu-north-1';
const keys = () => ({ accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64') });
const signal = () => AbortSignal.timeout(10_000);

async function failure(promise: Promise<unknown>): Promise<VaultBackendError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof VaultBackendError, `expected a VaultBackendError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the read to fail');
}

describe('aws backend (Secrets Manager through the official SDK)', () => {
  let sealed: SealedAwsEnvironment;
  let fake: SecretsManagerFake;
  let current = keys();
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(line) } });
  const useKeys = (k: { accessKeyId: string; secretAccessKey: string }) =>
    writeFileSync(sealed.credentialsFile, `[default]\naws_access_key_id = ${k.accessKeyId}\naws_secret_access_key = ${k.secretAccessKey}\n`);
  const open: VaultBackend[] = [];
  const backend = (config: Record<string, string> = {}, env: Record<string, string | undefined> = process.env) => {
    const b = awsBackend.create({ region: REGION, endpoint_url: fake.url, ...config }, { logger, env, timeout: 2000 });
    open.push(b);
    return b;
  };

  before(async () => {
    sealed = sealAwsEnvironment();
    fake = await startSecretsManagerFake({ region: REGION, credentials: [current] });
    useKeys(current);
  });
  after(async () => {
    for (const b of open) await b.close?.();
    await fake.close();
    sealed.restore();
  });

  it('returns SecretString as is and SecretBinary as its UTF-8 text, with the VersionId read', async () => {
    const b = backend();
    const text = fake.putSecretValue('app/text', '{"password":"p@ss"}\n');
    const binary = fake.putSecretValue('app/binary', new TextEncoder().encode('\uFEFFünï ☃ 🔑'));
    assert.deepEqual(await b.read('app/text', null, {}, signal()), { value: '{"password":"p@ss"}\n', version: text });
    assert.deepEqual(await b.read('app/binary', null, {}, signal()), { value: '\uFEFFünï ☃ 🔑', version: binary });
  });

  it('refuses binary data that is not UTF-8 as not_found, without its bytes in the message', async () => {
    fake.putSecretValue('app/raw', Uint8Array.from([0x73, 0x65, 0x63, 0xff, 0xfe, 0x72, 0x65, 0x74]));
    const err = await failure(backend().read('app/raw', null, {}, signal()));
    assert.equal(err.kind, 'not_found');
    assert.match(err.message, /"app\/raw".*not UTF-8/);
  });

  it('reads a secret by its name or by its full ARN', async () => {
    fake.putSecretValue('by/arn', 'arn-value');
    const b = backend();
    assert.equal((await b.read(fake.arnOf('by/arn'), null, {}, signal())).value, 'arn-value');
    assert.equal(JSON.parse(fake.requests.at(-1)!.body).SecretId, fake.arnOf('by/arn'));
  });

  it('sends no version for the current one, a VersionId for #<VersionId>, and AWSCURRENT / AWSPREVIOUS for Kong’s #1 / #2', async () => {
    const v1 = fake.putSecretValue('versions', 'one');
    const v2 = fake.putSecretValue('versions', 'two');
    fake.putSecretValue('versions', 'three');
    const b = backend();
    for (const [version, value, body] of [
      [null, 'three', { SecretId: 'versions' }],
      [v1, 'one', { SecretId: 'versions', VersionId: v1 }],
      ['1', 'three', { SecretId: 'versions', VersionStage: 'AWSCURRENT' }],
      ['2', 'two', { SecretId: 'versions', VersionStage: 'AWSPREVIOUS' }],
    ] as const) {
      assert.equal((await b.read('versions', version, {}, signal())).value, value, String(version));
      assert.deepEqual(JSON.parse(fake.requests.at(-1)!.body), body);
    }
    assert.equal((await b.read('versions', v2, {}, signal())).version, v2);
  });

  it('refuses a version or a resource Secrets Manager cannot name as not_found, without calling it', async () => {
    const b = backend();
    const before = fake.requests.length;
    for (const [resource, version] of [
      ['versions', '3'],
      ['versions', '0'],
      ['versions', 'AWSPREVIOUS'],
      ['versions', 'v'.repeat(31)],
      ['versions', 'v'.repeat(65)],
      ['versions', `${'v'.repeat(31)} `],
      ['x'.repeat(2049), null],
      ['line\nbreak', null],
      ['nul\u0000', null],
    ] as const) {
      const err = await failure(b.read(resource, version, {}, signal()));
      assert.equal(err.kind, 'not_found', `${resource} #${version}: ${err.message}`);
    }
    assert.equal(fake.requests.length, before);
  });

  it('maps each Secrets Manager error to its kind, naming the code and status but none of AWS’s text', async () => {
    fake.putSecretValue('errors', 'the-value');
    const marker = `AWSTEXT${randomBytes(6).toString('hex')}`;
    const b = backend();
    for (const [type, status, kind] of [
      ['ResourceNotFoundException', 400, 'not_found'],
      ['com.amazonaws.secretsmanager#ResourceNotFoundException', 400, 'not_found'],
      ['InvalidRequestException', 400, 'not_found'],
      ['InvalidParameterException', 400, 'not_found'],
      ['AccessDeniedException', 400, 'unauthorized'],
      ['DecryptionFailure', 400, 'unauthorized'],
      ['ThrottlingException', 400, 'unavailable'],
      ['InternalServiceError', 500, 'unavailable'],
      ['ServiceUnavailable', 503, 'unavailable'],
      ['SomethingNew', 400, 'unavailable'],
    ] as const) {
      fake.failNext({ type, status, message: `${marker} the-value` }, 2);
      const err = await failure(b.read('errors', null, {}, signal()));
      assert.equal(err.kind, kind, `${type}: ${err.message}`);
      assert.ok(err.message.includes(type.replace(/^.*#/, '')) && err.message.includes(`HTTP ${status}`) && err.message.includes('"errors"'), err.message);
      assert.ok(!err.message.includes(marker) && !err.message.includes('the-value'), err.message);
    }
    fake.failNext({ type: 'None', status: 400 }, 0);
  });

  it('tries a failing call at most twice before answering unavailable', async () => {
    fake.putSecretValue('flaky', 'v');
    const b = backend();
    const before = fake.requests.length;
    fake.failNext({ type: 'InternalServiceError', status: 500 }, 5);
    assert.equal((await failure(b.read('flaky', null, {}, signal()))).kind, 'unavailable');
    assert.deepEqual(
      fake.requests.slice(before).map((r) => r.attempt),
      [1, 2],
    );
    fake.failNext({ type: 'InternalServiceError', status: 500 }, 1);
    assert.equal((await b.read('flaky', null, {}, signal())).value, 'v', 'one failure is retried once');
    fake.failNext({ type: 'None', status: 400 }, 0);
  });

  it('answers not_found for a secret scheduled for deletion', async () => {
    fake.putSecretValue('doomed', 'v');
    fake.scheduleDeletion('doomed');
    const err = await failure(backend().read('doomed', null, {}, signal()));
    assert.equal(err.kind, 'not_found');
    assert.match(err.message, /InvalidRequestException/);
  });

  it('refuses an answer larger than 1 MiB as unavailable', async () => {
    fake.putSecretValue('huge', 'x'.repeat(1024 * 1024 + 1));
    const err = await failure(backend().read('huge', null, {}, signal()));
    assert.equal(err.kind, 'unavailable');
    assert.match(err.message, /larger than 1048576 bytes/);
    assert.ok(err.message.length < 300);
  });

  it('answers unavailable for a corrupted answer, quoting none of it', async () => {
    const value = `CORRUPT${randomBytes(8).toString('hex')}`;
    fake.putSecretValue('corrupt', value);
    fake.corruptNext();
    const err = await failure(backend().read('corrupt', null, {}, signal()));
    assert.equal(err.kind, 'unavailable');
    assert.ok(!err.message.includes('CORRUPT'), err.message);
  });

  it('obtains credentials again once when AWS refuses them: rotated keys in the credentials file are used at once', async () => {
    fake.putSecretValue('rotating', 'v');
    const b = backend();
    assert.equal((await b.read('rotating', null, {}, signal())).value, 'v');
    const old = current;
    current = keys();
    fake.trust(current);
    fake.distrust(old.accessKeyId);
    useKeys(current);
    const before = fake.requests.length;
    logs.length = 0;
    assert.equal((await b.read('rotating', null, {}, signal())).value, 'v');
    assert.deepEqual(
      fake.requests.slice(before).map((r) => r.accessKeyId ?? r.headers.authorization?.match(/Credential=(\w+)/)?.[1]),
      [old.accessKeyId, current.accessKeyId],
    );
    assert.ok(logs.some((l) => l.includes('UnrecognizedClientException')));
    for (const line of logs) assert.ok(!line.includes(old.secretAccessKey) && !line.includes(current.secretAccessKey), line);
  });

  it('answers unauthorized after one more try when the fresh credentials are refused too', async () => {
    fake.putSecretValue('refused', 'v');
    const revoked = keys();
    const b = backend({}, { AWS_PROFILE: 'revoked', AWS_SHARED_CREDENTIALS_FILE: sealed.credentialsFile, AWS_CONFIG_FILE: sealed.configFile });
    writeFileSync(sealed.credentialsFile, `[revoked]\naws_access_key_id = ${revoked.accessKeyId}\naws_secret_access_key = ${revoked.secretAccessKey}\n`);
    const before = fake.requests.length;
    const err = await failure(b.read('refused', null, {}, signal()));
    assert.equal(err.kind, 'unauthorized');
    assert.match(err.message, /UnrecognizedClientException.*HTTP 403/);
    assert.ok(!err.message.includes(revoked.secretAccessKey) && !err.message.includes(revoked.accessKeyId));
    assert.equal(fake.requests.length - before, 2);
    useKeys(current);
  });

  it('signs for the region of deps.env when the vault names none, and fails clearly when there is none at all', async () => {
    fake.putSecretValue('regional', 'v');
    const env = { AWS_PROFILE: 'default', AWS_SHARED_CREDENTIALS_FILE: sealed.credentialsFile, AWS_CONFIG_FILE: sealed.configFile };
    const fromEnv = awsBackend.create({ endpoint_url: fake.url }, { logger, env: { ...env, AWS_REGION: REGION }, timeout: 2000 });
    open.push(fromEnv);
    assert.equal((await fromEnv.read('regional', null, {}, signal())).value, 'v');
    assert.match(fake.requests.at(-1)!.headers.authorization ?? '', new RegExp(`/${REGION}/secretsmanager/aws4_request`));
    const none = awsBackend.create({ endpoint_url: fake.url }, { logger, env, timeout: 2000 });
    open.push(none);
    const err = await failure(none.read('regional', null, {}, signal()));
    assert.equal(err.kind, 'unavailable');
    assert.match(err.message, /no AWS region .*region, AWS_REGION/);
  });

  it('ends a read that waits on a credential source when its signal aborts', async () => {
    // A container credentials endpoint that accepts connections and never answers.
    const sockets = new Set<import('node:net').Socket>();
    const silent: Server = createServer((s) => void sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    process.env['AWS_CONTAINER_CREDENTIALS_FULL_URI'] = `http://127.0.0.1:${(silent.address() as { port: number }).port}/creds`;
    const empty = join(sealed.home, 'empty');
    writeFileSync(empty, '');
    try {
      const env = { AWS_CONFIG_FILE: empty, AWS_SHARED_CREDENTIALS_FILE: empty };
      const b = awsBackend.create({ region: REGION, endpoint_url: fake.url }, { logger, env, timeout: 5000 });
      open.push(b);
      const started = Date.now();
      const err = await failure(b.read('anything', null, {}, AbortSignal.timeout(200)));
      assert.equal(err.kind, 'unavailable');
      assert.match(err.message, /did not answer in time/);
      assert.ok(Date.now() - started < 1500, `${Date.now() - started} ms`);
    } finally {
      delete process.env['AWS_CONTAINER_CREDENTIALS_FULL_URI'];
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('reads again after a version that does not exist, and never expands a value', async () => {
    fake.putSecretValue('literal', '{vault://aws/other}');
    const b = backend();
    assert.equal((await failure(b.read('literal', randomUUID(), {}, signal()))).kind, 'not_found');
    assert.equal((await b.read('literal', null, {}, signal())).value, '{vault://aws/other}');
  });
});
