/**
 * The Secret Manager fake's own checks, over raw HTTPS: what it accepts as credentials, what it
 * verifies of each request, and the answers (and error envelopes) it gives. The gcp backend's tests
 * drive it through the official client; these pin the fake to the documented protocol.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { createPrivateKey, sign } from 'node:crypto';
import { crc32c } from '../../src/secrets/backends/gcp/crc32c.js';
import { TEST_CA_PEM } from '../support/tls-fixtures.js';
import { createServiceAccountKey, startGcpSecretManagerFake, type GcpSecretManagerFake, type ServiceAccountKeyFixture } from './gcp-secret-manager.js';

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A self-signed JWT as google-auth-library's JWTAccess makes it, with parts a test may override. */
function jwt(key: ServiceAccountKeyFixture, over: { header?: object; claims?: object; signWith?: string } = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', kid: key.keyId, ...over.header };
  const claims = { iss: key.clientEmail, sub: key.clientEmail, scope: CLOUD_PLATFORM, iat: now, exp: now + 3600, ...over.claims };
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), createPrivateKey(over.signWith ?? key.privateKeyPem)).toString('base64url')}`;
}

interface Reply {
  readonly status: number;
  readonly body: { name?: string; payload?: { data: string; dataCrc32c?: string }; error?: { code: number; status: string; message: string } };
  readonly bytes: number;
}

function access(
  fake: GcpSecretManagerFake,
  name: string,
  init: { token?: string | null; params?: string | null; method?: string; path?: string } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token !== null && init.token !== undefined) headers['authorization'] = `Bearer ${init.token}`;
  const params = init.params === undefined ? `name=${encodeURIComponent(name)}` : init.params;
  if (params !== null) headers['x-goog-request-params'] = params;
  const [host, port] = fake.endpoint.split(':');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port: Number(port),
        method: init.method ?? 'GET',
        path: init.path ?? `/v1/${name}:access?$alt=json%3Benum-encoding=int`,
        headers,
        ca: TEST_CA_PEM,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Reply['body'], bytes: text.length });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The status, content type and body text of one access, whatever the body is. */
function rawAccess(fake: GcpSecretManagerFake, name: string, token: string): Promise<{ status: number; contentType: string; text: string }> {
  const [host, port] = fake.endpoint.split(':');
  const headers = { authorization: `Bearer ${token}`, 'x-goog-request-params': `name=${encodeURIComponent(name)}` };
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), path: `/v1/${name}:access`, headers, ca: TEST_CA_PEM }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GCP Secret Manager fake', () => {
  const key = createServiceAccountKey('portcullis-test', 'reader');
  const stranger = createServiceAccountKey('portcullis-test', 'stranger');
  let fake: GcpSecretManagerFake;
  let token: string;
  before(async () => {
    fake = await startGcpSecretManagerFake({ serviceAccounts: [key], acceptsToken: (t) => t === 'ya29.from-metadata' });
    token = jwt(key);
  });
  after(() => fake.close());

  it('answers an access with the base64 payload, its CRC-32C in decimal and the version name by project number', async () => {
    fake.addVersion('db-password', 'first');
    fake.addVersion('db-password', 'sëcond');
    const reply = await access(fake, 'projects/portcullis-test/secrets/db-password/versions/latest', { token });
    assert.equal(reply.status, 200);
    assert.equal(reply.body.name, `projects/${fake.projectNumber}/secrets/db-password/versions/2`);
    const data = Buffer.from(reply.body.payload!.data, 'base64');
    assert.equal(data.toString('utf8'), 'sëcond');
    assert.equal(reply.body.payload!.dataCrc32c, String(crc32c(data)));
  });

  it('reads versions by number, by alias and by project number', async () => {
    fake.addVersion('api-key', 'one');
    fake.addVersion('api-key', 'two');
    fake.setAlias('api-key', 'blue', '1');
    for (const [name, expected] of [
      ['projects/portcullis-test/secrets/api-key/versions/1', 'one'],
      ['projects/portcullis-test/secrets/api-key/versions/blue', 'one'],
      [`projects/${fake.projectNumber}/secrets/api-key/versions/2`, 'two'],
    ] as const) {
      const reply = await access(fake, name, { token });
      assert.equal(Buffer.from(reply.body.payload!.data, 'base64').toString(), expected, name);
    }
  });

  it('keeps regional secrets apart from global ones', async () => {
    fake.addVersion('shared-name', 'global');
    fake.addVersion('shared-name', 'regional', 'europe-west1');
    const regional = await access(fake, 'projects/portcullis-test/locations/europe-west1/secrets/shared-name/versions/latest', { token });
    assert.equal(Buffer.from(regional.body.payload!.data, 'base64').toString(), 'regional');
    assert.equal(regional.body.name, `projects/${fake.projectNumber}/locations/europe-west1/secrets/shared-name/versions/1`);
    const elsewhere = await access(fake, 'projects/portcullis-test/locations/us-east1/secrets/shared-name/versions/latest', { token });
    assert.equal(elsewhere.status, 404);
  });

  it('accepts the tokens its acceptsToken hook vouches for', async () => {
    fake.addVersion('via-metadata', 'x');
    assert.equal((await access(fake, 'projects/portcullis-test/secrets/via-metadata/versions/latest', { token: 'ya29.from-metadata' })).status, 200);
  });

  describe('refuses with 401 UNAUTHENTICATED', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const cases: ReadonlyArray<readonly [string, () => string | null, RegExp]> = [
      ['no Authorization header', () => null, /no Bearer/],
      ['an unknown opaque token', () => 'ya29.unknown', /unknown access token/],
      ['a JWT of a key it does not know', () => jwt(stranger), /kid/],
      ['a JWT whose signature is by another key', () => jwt(key, { signWith: stranger.privateKeyPem }), /signature/],
      ['a JWT with alg HS256', () => jwt(key, { header: { alg: 'HS256' } }), /alg/],
      ['a JWT whose iss is another account', () => jwt(key, { claims: { iss: stranger.clientEmail } }), /iss/],
      ['a JWT whose sub is another account', () => jwt(key, { claims: { sub: stranger.clientEmail } }), /sub/],
      ['a JWT without the cloud-platform scope', () => jwt(key, { claims: { scope: 'https://www.googleapis.com/auth/devstorage.read_only' } }), /scope/],
      ['an expired JWT', () => jwt(key, { claims: { iat: now() - 7200, exp: now() - 3600 } }), /iat\/exp/],
      ['a JWT that lives longer than an hour', () => jwt(key, { claims: { exp: now() + 7200 } }), /iat\/exp/],
      ['a JWT issued in the future', () => jwt(key, { claims: { iat: now() + 600, exp: now() + 1200 } }), /iat\/exp/],
    ];
    for (const [what, bearer, why] of cases) {
      it(what, async () => {
        fake.addVersion('guarded', 'x');
        const reply = await access(fake, 'projects/portcullis-test/secrets/guarded/versions/latest', { token: bearer() });
        assert.equal(reply.status, 401);
        assert.deepEqual([reply.body.error?.code, reply.body.error?.status], [401, 'UNAUTHENTICATED']);
        assert.match(fake.requests.at(-1)?.refusal ?? '', why);
      });
    }
  });

  it('refuses with 400 a request whose x-goog-request-params is missing or names another resource', async () => {
    fake.addVersion('routed', 'x');
    const name = 'projects/portcullis-test/secrets/routed/versions/latest';
    for (const params of [null, `name=${encodeURIComponent('projects/portcullis-test/secrets/other/versions/latest')}`, 'parent=x']) {
      const reply = await access(fake, name, { token, params });
      assert.equal(reply.status, 400, String(params));
      assert.equal(reply.body.error?.status, 'INVALID_ARGUMENT');
    }
  });

  it('answers 404 for a missing secret or version, 403 for another project or a denied secret, 400 FAILED_PRECONDITION for a disabled or destroyed version', async () => {
    fake.addVersion('states', 'v1');
    fake.addVersion('states', 'v2');
    fake.addVersion('states', 'v3');
    fake.setVersionState('states', '1', 'DISABLED');
    fake.setVersionState('states', '2', 'DESTROYED');
    fake.addVersion('forbidden', 'x');
    fake.deny('forbidden');
    const cases: ReadonlyArray<readonly [string, number, string, RegExp]> = [
      ['projects/portcullis-test/secrets/nothing-here/versions/latest', 404, 'NOT_FOUND', /not found or has no versions/],
      ['projects/portcullis-test/secrets/states/versions/9', 404, 'NOT_FOUND', /Secret Version .* not found/],
      ['projects/portcullis-test/secrets/states/versions/no-such-alias', 404, 'NOT_FOUND', /not found/],
      ['projects/portcullis-test/secrets/states/versions/1', 400, 'FAILED_PRECONDITION', /DISABLED state/],
      ['projects/portcullis-test/secrets/states/versions/2', 400, 'FAILED_PRECONDITION', /DESTROYED state/],
      ['projects/someone-else/secrets/states/versions/3', 403, 'PERMISSION_DENIED', /or it may not exist/],
      ['projects/portcullis-test/secrets/forbidden/versions/latest', 403, 'PERMISSION_DENIED', /secretmanager\.versions\.access/],
    ];
    for (const [name, code, status, message] of cases) {
      const reply = await access(fake, name, { token });
      assert.equal(reply.status, code, name);
      assert.deepEqual([reply.body.error?.code, reply.body.error?.status], [code, status], name);
      assert.match(reply.body.error?.message ?? '', message, name);
    }
    assert.equal((await access(fake, 'projects/portcullis-test/secrets/states/versions/latest', { token })).status, 200);
  });

  it('answers 404 to a method or path Secret Manager does not have, and says why', async () => {
    const name = 'projects/portcullis-test/secrets/states/versions/latest';
    for (const init of [{ method: 'POST' }, { path: `/v1/${name}` }, { path: `/v1beta1/${name}:access` }]) {
      const reply = await access(fake, name, { token, ...init });
      assert.equal(reply.status, 404);
      assert.match(fake.requests.at(-1)?.refusal ?? '', /no such method/);
    }
  });

  it('scenario switches: a corrupt checksum, failures for a number of requests, an oversized answer', async () => {
    fake.addVersion('switches', 'value');
    const name = 'projects/portcullis-test/secrets/switches/versions/latest';
    fake.corrupt(true);
    const corrupt = await access(fake, name, { token });
    fake.corrupt(false);
    assert.notEqual(corrupt.body.payload?.dataCrc32c, String(crc32c(Buffer.from('value'))));

    fake.failWith({ code: 503, status: 'UNAVAILABLE' }, 2);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await access(fake, name, { token })).status);
    assert.deepEqual(statuses, [503, 503, 200]);

    fake.failWith({ code: 502, status: 'UNAVAILABLE', html: true }, 1);
    const html = await rawAccess(fake, name, token);
    assert.deepEqual([html.status, html.contentType], [502, 'text/html; charset=UTF-8']);
    assert.match(html.text, /^<!DOCTYPE html>/);

    for (const status of [200, 503]) {
      fake.oversize(status);
      const reply = await access(fake, name, { token });
      fake.oversize(null);
      assert.equal(reply.status, status);
      assert.ok(reply.bytes > 2 * 1024 * 1024, `${reply.bytes} bytes`);
    }
  });

  it('hangs while asked to, and counts the hung requests whose connection is still open', async () => {
    fake.addVersion('slow', 'x');
    fake.hang(true);
    const pending = access(fake, 'projects/portcullis-test/secrets/slow/versions/latest', { token });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(fake.hanging, 1);
    fake.hang(false);
    await assert.rejects(pending);
    assert.equal(fake.hanging, 0);
  });
});
