/**
 * How the gcp backend's failures come out, through the official client against the Secret Manager
 * fake: each Google status and HTTP answer to one kind, one request each (no retries of the
 * client's own), a single fresh try after UNAUTHENTICATED, and no key, token or value in any
 * message, stack or log line.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../../observability/logger.js';
import { VaultBackendError, type VaultFailureKind } from '../../vault-backend.js';
import { createServiceAccountKey, startGcpSecretManagerFake, type GcpSecretManagerFake } from '../../../../test/fakes/gcp-secret-manager.js';
import { gcpBackend } from './index.js';
import { PROJECT, readFailure, signal } from './testing/gcp-test-setup.js';

const key = createServiceAccountKey(PROJECT, 'portcullis-reader');

describe('gcp backend failures', () => {
  let fake: GcpSecretManagerFake;
  const lines: string[] = [];
  const logger = createLogger({
    level: 'trace',
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }) as never,
  });
  const deps = { logger, env: {}, timeout: 5000 };
  const backendWith = (serviceAccountKey: string, projectId = PROJECT) =>
    gcpBackend.create({ project_id: projectId, service_account_key: serviceAccountKey, api_endpoint: fake.endpoint }, deps);
  const newRequests = async (read: () => Promise<unknown>) => {
    const before = fake.requests.length;
    await read();
    return fake.requests.length - before;
  };
  const SECRET_VALUE = 'v4lue-that-must-not-leak';
  /** Everything that must never appear in an error or a log line. */
  const secrets = () => [
    key.json,
    key.privateKeyPem,
    ...key.privateKeyPem.split('\n').filter((l) => l.length > 40),
    SECRET_VALUE,
    ...fake.requests.map((r) => String(r.headers.authorization ?? '').replace(/^Bearer /, '')).filter(Boolean),
  ];
  const assertClean = (err: VaultBackendError) => {
    for (const s of secrets()) {
      assert.ok(!err.message.includes(s), `the message leaks: ${err.message}`);
      assert.ok(!String(err.stack).includes(s), 'the stack leaks');
    }
  };

  before(async () => {
    fake = await startGcpSecretManagerFake({ projectId: PROJECT, serviceAccounts: [key] });
    fake.addVersion('target', SECRET_VALUE);
  });
  after(async () => {
    await fake.close();
    const log = lines.join('');
    for (const s of secrets()) assert.ok(!log.includes(s), 'a log line leaks a key, token or value');
  });

  describe('maps each answer of Secret Manager to one kind, with one request', () => {
    const cases: ReadonlyArray<readonly [number, string, VaultFailureKind, RegExp]> = [
      [400, 'INVALID_ARGUMENT', 'not_found', /refused the name .*INVALID_ARGUMENT, HTTP 400/],
      [400, 'FAILED_PRECONDITION', 'not_found', /FAILED_PRECONDITION, HTTP 400/],
      [403, 'PERMISSION_DENIED', 'unauthorized', /secretmanager\.versions\.access.*or it does not exist/],
      [404, 'NOT_FOUND', 'not_found', /does not exist \(NOT_FOUND, HTTP 404\)/],
      [409, 'ABORTED', 'unavailable', /ABORTED, HTTP 409/],
      [429, 'RESOURCE_EXHAUSTED', 'unavailable', /RESOURCE_EXHAUSTED, HTTP 429/],
      [500, 'INTERNAL', 'unavailable', /INTERNAL, HTTP 500/],
      [503, 'UNAVAILABLE', 'unavailable', /UNAVAILABLE, HTTP 503/],
      [504, 'DEADLINE_EXCEEDED', 'unavailable', /DEADLINE_EXCEEDED, HTTP 504/],
    ];
    for (const [code, status, kind, message] of cases) {
      it(`${code} ${status} → ${kind}`, async () => {
        const backend = backendWith(key.json);
        fake.failWith({ code, status, message: `echo: ${SECRET_VALUE}` });
        try {
          let err: VaultBackendError | undefined;
          const sent = await newRequests(async () => (err = await readFailure(backend.read('target', null, {}, signal()))));
          assert.equal(err?.kind, kind, err?.message);
          assert.match(err!.message, message);
          assert.match(err!.message, /projects\/portcullis-test\/secrets\/target\/versions\/latest/);
          assert.equal(sent, 1, 'the client retried on its own');
          assertClean(err!);
        } finally {
          fake.failWith(null);
          await backend.close?.();
        }
      });
    }
  });

  describe("maps the HTTP status of an answer that is not Google's JSON envelope (an HTML error page)", () => {
    const cases: ReadonlyArray<readonly [number, VaultFailureKind, number]> = [
      [401, 'unauthorized', 2],
      [403, 'unauthorized', 1],
      [404, 'not_found', 1],
      [429, 'unavailable', 1],
      [502, 'unavailable', 1],
      [503, 'unavailable', 1],
    ];
    for (const [code, kind, requests] of cases) {
      it(`HTML ${code} → ${kind}`, async () => {
        const backend = backendWith(key.json);
        fake.failWith({ code, status: 'ignored', html: true });
        try {
          let err: VaultBackendError | undefined;
          assert.equal(await newRequests(async () => (err = await readFailure(backend.read('target', null, {}, signal())))), requests);
          assert.equal(err?.kind, kind, err?.message);
          assert.match(err!.message, new RegExp(`HTTP ${code}\\)`));
          assertClean(err!);
        } finally {
          fake.failWith(null);
          await backend.close?.();
        }
      });
    }
  });

  it('UNAUTHENTICATED: obtains credentials afresh and tries once more, then gives up as unauthorized', async () => {
    const backend = backendWith(key.json);
    fake.failWith({ code: 401, status: 'UNAUTHENTICATED' }, 1);
    assert.equal(await newRequests(async () => assert.equal((await backend.read('target', null, {}, signal())).value, SECRET_VALUE)), 2);
    fake.failWith({ code: 401, status: 'UNAUTHENTICATED' });
    let err: VaultBackendError | undefined;
    assert.equal(await newRequests(async () => (err = await readFailure(backend.read('target', null, {}, signal())))), 2);
    fake.failWith(null);
    assert.equal(err?.kind, 'unauthorized');
    assert.match(err!.message, /refused the credentials .*UNAUTHENTICATED, HTTP 401/);
    assertClean(err!);
    await backend.close?.();
  });

  it('a key Secret Manager does not know is unauthorized', async () => {
    const stranger = createServiceAccountKey(PROJECT, 'stranger');
    const backend = backendWith(stranger.json);
    const err = await readFailure(backend.read('target', null, {}, signal()));
    assert.equal(err.kind, 'unauthorized');
    for (const s of [stranger.json, stranger.privateKeyPem]) assert.ok(!err.message.includes(s));
    await backend.close?.();
  });

  it('a secret that does not exist, a missing, disabled or destroyed version are not_found, the state named', async () => {
    const one = fake.addVersion('lifecycle', 'one');
    const two = fake.addVersion('lifecycle', 'two');
    fake.addVersion('lifecycle', 'three');
    fake.setVersionState('lifecycle', one, 'DISABLED');
    fake.setVersionState('lifecycle', two, 'DESTROYED');
    const backend = backendWith(key.json);
    const cases: ReadonlyArray<readonly [string, string | null, RegExp]> = [
      ['never-created', null, /never-created\/versions\/latest does not exist/],
      ['lifecycle', '42', /versions\/42 does not exist/],
      ['lifecycle', 'no-such-alias', /no-such-alias does not exist/],
      ['lifecycle', one, /the version is DISABLED/],
      ['lifecycle', two, /the version is DESTROYED/],
    ];
    for (const [resource, version, message] of cases) {
      const err = await readFailure(backend.read(resource, version, {}, signal()));
      assert.equal(err.kind, 'not_found', err.message);
      assert.match(err.message, message);
    }
    await backend.close?.();
  });

  it('a denied secret, or a project the key cannot reach, is unauthorized and says it may not exist', async () => {
    fake.addVersion('off-limits', 'x');
    fake.deny('off-limits');
    for (const backend of [backendWith(key.json), backendWith(key.json, 'another-project')]) {
      const err = await readFailure(backend.read('off-limits', null, {}, signal()));
      assert.equal(err.kind, 'unauthorized');
      assert.match(err.message, /PERMISSION_DENIED.*Google does not say which/);
      await backend.close?.();
    }
  });

  it('a resource or version that cannot name a secret version is not_found, without a request', async () => {
    const backend = backendWith(key.json);
    const cases: ReadonlyArray<readonly [string, string | null]> = [
      ['a/b', null],
      ['has space', null],
      ['dots.are.not.allowed', null],
      ['x'.repeat(256), null],
      ['projects/other/secrets/x', null],
      ['target', '0'],
      ['target', '-1'],
      ['target', '1.5'],
      ['target', '1a'],
      ['target', `a${'b'.repeat(63)}`],
    ];
    for (const [resource, version] of cases) {
      let err: VaultBackendError | undefined;
      assert.equal(await newRequests(async () => (err = await readFailure(backend.read(resource, version, {}, signal())))), 0, resource);
      assert.equal(err?.kind, 'not_found', `${resource}#${version}`);
    }
    await backend.close?.();
  });

  it('a service_account_key that is not a usable service-account key is unauthorized, without a request, and is never quoted', async () => {
    const { json, privateKeyPem } = key;
    const parsed = JSON.parse(json) as Record<string, unknown>;
    const variant = (change: Record<string, unknown>) => JSON.stringify({ ...parsed, ...change });
    const cases: ReadonlyArray<readonly [string, string, RegExp]> = [
      ['not JSON', json.slice(0, -1), /not JSON text/],
      ['a private key alone', privateKeyPem, /not JSON text/],
      ['a JSON array', `[${json}]`, /not a JSON object/],
      ['an authorized_user credential', variant({ type: 'authorized_user' }), /"type" must be "service_account"/],
      [
        'an external_account credential',
        variant({ type: 'external_account', credential_source: { url: 'http://169.254.169.254/x' } }),
        /"type" must be "service_account"/,
      ],
      ['no client_email', variant({ client_email: undefined }), /no client_email/],
      ['a private_key that is not PEM', variant({ private_key: privateKeyPem.replace(/-----[A-Z ]+-----/g, '') }), /not a PEM private key/],
      ['a numeric private_key_id', variant({ private_key_id: 7 }), /wrong type/],
    ];
    for (const [what, text, message] of cases) {
      const backend = backendWith(text);
      let err: VaultBackendError | undefined;
      assert.equal(await newRequests(async () => (err = await readFailure(backend.read('target', null, {}, signal())))), 0, what);
      assert.equal(err?.kind, 'unauthorized', what);
      assert.match(err!.message, message, what);
      for (const line of privateKeyPem.split('\n').filter((l) => l.length > 20)) assert.ok(!err!.message.includes(line), `${what}: the key is quoted`);
      await backend.close?.();
    }
  });

  it('warns, without a value, when GOOGLE_SDK_NODE_LOGGING would make the Google client log answers', () => {
    const before = lines.length;
    gcpBackend.create({ project_id: PROJECT, service_account_key: key.json }, { ...deps, env: { GOOGLE_SDK_NODE_LOGGING: 'secretmanager' } });
    const warning = lines.slice(before).join('');
    assert.match(warning, /"level":"warn".*GOOGLE_SDK_NODE_LOGGING/);
    const quiet = lines.length;
    gcpBackend.create({ project_id: PROJECT, service_account_key: key.json }, deps);
    assert.equal(lines.length, quiet);
  });
});
