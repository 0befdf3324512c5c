/** The metadata-server fake's own checks: the header rules both ways, the token answers and their validity. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startGcpMetadataFake, type GcpMetadataFake } from './gcp-metadata.js';

const TOKEN = '/computeMetadata/v1/instance/service-accounts/default/token?scopes=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcloud-platform';

describe('GCP metadata server fake', () => {
  let fake: GcpMetadataFake;
  before(async () => {
    fake = await startGcpMetadataFake({ projectId: 'portcullis-test' });
  });
  after(() => fake.close());

  const get = (path: string, headers: Record<string, string> = { 'Metadata-Flavor': 'Google' }) => fetch(`http://${fake.host}${path}`, { headers });

  it('refuses with 403 a request without Metadata-Flavor: Google, or with X-Forwarded-For', async () => {
    const cases: ReadonlyArray<Record<string, string>> = [
      {},
      { 'Metadata-Flavor': 'google-ish' },
      { 'Metadata-Flavor': 'Google', 'X-Forwarded-For': '10.0.0.1' },
    ];
    for (const headers of cases) {
      const res = await get('/computeMetadata/v1/project/project-id', headers);
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.equal(res.headers.get('metadata-flavor'), 'Google');
    }
  });

  it('answers the probe and the text values with Metadata-Flavor: Google', async () => {
    for (const [path, expected] of [
      ['/computeMetadata/v1/instance', /service-accounts\//],
      ['/computeMetadata/v1/project/project-id', /^portcullis-test$/],
      ['/computeMetadata/v1/universe/universe-domain', /^googleapis\.com$/],
    ] as const) {
      const res = await get(path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('metadata-flavor'), 'Google');
      assert.match(await res.text(), expected);
    }
    assert.equal((await get('/computeMetadata/v1/instance/nothing')).status, 404);
  });

  it('issues Bearer tokens that are valid until revoked', async () => {
    const res = await get(TOKEN);
    const body = (await res.json()) as { access_token: string; expires_in: number; token_type: string };
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(body.token_type, 'Bearer');
    assert.ok(body.expires_in > 3000 && body.expires_in <= 3600);
    assert.equal(fake.isValidToken(body.access_token), true);
    assert.equal(fake.isValidToken(`${body.access_token}x`), false);
    assert.equal(fake.isValidToken('ya29.never-issued'), false);
    fake.revokeAll();
    assert.equal(fake.isValidToken(body.access_token), false);
    assert.deepEqual(fake.issued, [body.access_token]);
  });

  it('issues tokens that expire after their lifetime', async () => {
    const shortLived = await startGcpMetadataFake({ tokenLifetime: 0 });
    try {
      const res = await fetch(`http://${shortLived.host}${TOKEN}`, { headers: { 'Metadata-Flavor': 'Google' } });
      const { access_token } = (await res.json()) as { access_token: string };
      assert.equal(shortLived.isValidToken(access_token), false);
    } finally {
      await shortLived.close();
    }
  });

  it('fails token requests with a chosen status, and hangs while asked to', async () => {
    fake.failTokens(503);
    assert.equal((await get(TOKEN)).status, 503);
    fake.failTokens(null);
    assert.equal((await get(TOKEN)).status, 200);
    fake.hang(true);
    const outcome = await Promise.race([
      get(TOKEN).then(
        () => 'answered',
        () => 'failed',
      ),
      sleep(150).then(() => 'hung'),
    ]);
    fake.hang(false);
    assert.equal(outcome, 'hung');
  });
});
