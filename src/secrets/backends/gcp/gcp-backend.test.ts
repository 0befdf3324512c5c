/**
 * The gcp backend through the official client against the Secret Manager fake (HTTPS, the TEST-ONLY
 * CA), signing with a service-account key: what goes over the wire, versions, regional secrets, the
 * payload checks and how a read ends. Failure mapping: gcp-failure.test.ts; ADC: gcp-backend-adc-*.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../../observability/logger.js';
import { createServiceAccountKey, startGcpSecretManagerFake, type GcpSecretManagerFake } from '../../../../test/fakes/gcp-secret-manager.js';
import { gcpBackend } from './index.js';
import { PROJECT, readFailure, signal } from './testing/gcp-test-setup.js';
import type { GcpBackendConfig } from './gcp-backend-config.js';

const key = createServiceAccountKey(PROJECT, 'portcullis-reader');
const deps = { logger: createLogger({ level: 'silent' }), env: {}, timeout: 5000 };

function claimsOf(authorization: string | undefined): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [h, p] = String(authorization)
    .replace(/^Bearer /, '')
    .split('.');
  const json = (part: string | undefined) => JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: json(h), claims: json(p) };
}

describe('gcp backend', () => {
  let fake: GcpSecretManagerFake;
  const config = (extra: Partial<GcpBackendConfig> = {}): GcpBackendConfig => ({
    project_id: PROJECT,
    service_account_key: key.json,
    api_endpoint: fake.endpoint,
    ...extra,
  });
  before(async () => {
    fake = await startGcpSecretManagerFake({ projectId: PROJECT, serviceAccounts: [key] });
  });
  after(() => fake.close());

  it('signs each request with a self-signed JWT of its key: RS256, kid, iss = sub = client_email, cloud-platform scope, one hour', async () => {
    fake.addVersion('signed', 'value');
    const backend = gcpBackend.create(config(), deps);
    assert.equal((await backend.read('signed', null, {}, signal())).value, 'value');
    await backend.close?.();
    const { header, claims } = claimsOf(fake.requests.at(-1)?.headers.authorization);
    assert.deepEqual([header['alg'], header['kid']], ['RS256', key.keyId]);
    assert.deepEqual([claims['iss'], claims['sub']], [key.clientEmail, key.clientEmail]);
    assert.equal(claims['scope'], 'https://www.googleapis.com/auth/cloud-platform');
    assert.equal(Number(claims['exp']) - Number(claims['iat']), 3600);
  });

  it('speaks REST: GET …/versions/latest:access with x-goog-request-params naming the same resource', async () => {
    fake.addVersion('wire', 'value');
    const backend = gcpBackend.create(config(), deps);
    await backend.read('wire', null, {}, signal());
    await backend.close?.();
    const request = fake.requests.at(-1)!;
    assert.equal(request.method, 'GET');
    assert.match(request.path, /^\/v1\/projects\/portcullis-test\/secrets\/wire\/versions\/latest:access(\?|$)/);
    assert.equal(request.headers['x-goog-request-params'], `name=${encodeURIComponent('projects/portcullis-test/secrets/wire/versions/latest')}`);
    assert.match(String(request.headers['x-goog-api-client']), /gax\/\S+-fallback .*rest\//);
  });

  it('reads #<number> and #<alias> versions and reports the version number it read', async () => {
    const one = fake.addVersion('versioned', 'one');
    const two = fake.addVersion('versioned', 'two');
    fake.addVersion('versioned', 'three');
    fake.setAlias('versioned', 'stable', two);
    const backend = gcpBackend.create(config(), deps);
    const cases: ReadonlyArray<readonly [string | null, string, string]> = [
      [null, 'three', '3'],
      ['latest', 'three', '3'],
      [one, 'one', '1'],
      ['stable', 'two', '2'],
    ];
    for (const [version, value, number] of cases) {
      assert.deepEqual(await backend.read('versioned', version, {}, signal()), { value, version: number }, String(version));
    }
    await backend.close?.();
  });

  it('reads regional secrets of its location, never the global secret of the same name', async () => {
    fake.addVersion('where', 'global');
    fake.addVersion('where', 'in europe-west1', 'europe-west1');
    const backend = gcpBackend.create(config({ location: 'europe-west1' }), deps);
    assert.equal((await backend.read('where', null, {}, signal())).value, 'in europe-west1');
    await backend.close?.();
    assert.match(fake.requests.at(-1)!.path, /^\/v1\/projects\/portcullis-test\/locations\/europe-west1\/secrets\/where\/versions\/latest:access/);
  });

  it('returns the payload bytes as text exactly: a leading BOM, NUL, CRLF and astral characters stay', async () => {
    const value = '\uFEFFline\r\n\u0000🔑 end';
    fake.addVersion('exact', value);
    const backend = gcpBackend.create(config(), deps);
    assert.equal((await backend.read('exact', null, {}, signal())).value, value);
    await backend.close?.();
  });

  it('refuses a payload whose CRC-32C does not match (unavailable), and names no value', async () => {
    fake.addVersion('damaged', 'the-secret-value');
    const backend = gcpBackend.create(config(), deps);
    fake.corrupt(true);
    try {
      const err = await readFailure(backend.read('damaged', null, {}, signal()));
      assert.equal(err.kind, 'unavailable');
      assert.match(err.message, /CRC-32C/);
      assert.match(err.message, /projects\/portcullis-test\/secrets\/damaged\/versions\/latest/);
      assert.ok(!err.message.includes('the-secret-value'));
    } finally {
      fake.corrupt(false);
    }
    assert.equal((await backend.read('damaged', null, {}, signal())).value, 'the-secret-value');
    await backend.close?.();
  });

  it('refuses a payload that is not UTF-8 text (unavailable)', async () => {
    fake.addVersion('binary', Uint8Array.from([0xff, 0xfe, 0x00, 0xc3]));
    const backend = gcpBackend.create(config(), deps);
    const err = await readFailure(backend.read('binary', null, {}, signal()));
    assert.equal(err.kind, 'unavailable');
    assert.match(err.message, /not UTF-8/);
    await backend.close?.();
  });

  it('stops reading an answer past 1 MiB, a success or an error alike (unavailable)', async () => {
    fake.addVersion('huge', 'x');
    const backend = gcpBackend.create(config(), deps);
    for (const status of [200, 503]) {
      fake.oversize(status);
      try {
        const err = await readFailure(backend.read('huge', null, {}, signal()));
        assert.equal(err.kind, 'unavailable', `${status}: ${err.message}`);
        assert.match(err.message, /over 1 MiB/, `${status}`);
      } finally {
        fake.oversize(null);
      }
    }
    await backend.close?.();
  });

  it('cancels its HTTP request when the read is aborted, by the caller or by the backend timeout', async () => {
    fake.addVersion('stuck', 'x');
    const cases = [
      { what: 'the caller aborts', signal: () => AbortSignal.timeout(200), timeout: 60_000 },
      { what: 'deps.timeout passes', signal: signal, timeout: 200 },
    ];
    for (const c of cases) {
      const backend = gcpBackend.create(config(), { ...deps, timeout: c.timeout });
      fake.hang(true);
      try {
        const started = Date.now();
        const err = await readFailure(backend.read('stuck', null, {}, c.signal()));
        assert.equal(err.kind, 'unavailable', c.what);
        assert.ok(Date.now() - started < 2000, `${c.what}: ${Date.now() - started} ms`);
        for (let i = 0; i < 50 && fake.hanging > 0; i++) await sleep(10);
        assert.equal(fake.hanging, 0, `${c.what}: the request to Secret Manager is still open`);
      } finally {
        fake.hang(false);
      }
      await backend.close?.();
    }
  });

  it('keeps concurrent reads apart: one aborted read does not end the others', async () => {
    for (let i = 0; i < 8; i++) fake.addVersion(`parallel-${i}`, `value-${i}`);
    const backend = gcpBackend.create(config(), deps);
    const aborted = new AbortController();
    const reads = Array.from({ length: 8 }, (_, i) => backend.read(`parallel-${i}`, null, {}, i === 3 ? aborted.signal : signal()));
    aborted.abort();
    const settled = await Promise.allSettled(reads);
    settled.forEach((s, i) => {
      if (i === 3) assert.equal(s.status, 'rejected');
      else assert.deepEqual(s.status === 'fulfilled' ? s.value.value : s.reason, `value-${i}`);
    });
    await backend.close?.();
  });

  it('takes no reference options, and says that #<version> means something to it', () => {
    assert.deepEqual(gcpBackend.referenceOptions, []);
    assert.equal(gcpBackend.supportsVersions, true);
    assert.equal(gcpBackend.name, 'gcp');
  });
});
