/**
 * The gcp backend without `service_account_key` on GCE/GKE/Cloud Run: application default
 * credentials from the metadata server (its fake, over HTTP), whose tokens Secret Manager's fake
 * accepts. google-auth-library and gcp-metadata find the server through process.env
 * (GCE_METADATA_HOST), so this file, its own process under node's test runner, sets that and clears
 * every other inherited GOOGLE_* / gcloud variable; HOME has no gcloud login.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../observability/logger.js';
import { startGcpMetadataFake, type GcpMetadataFake } from '../../../../test/fakes/gcp-metadata.js';
import { startGcpSecretManagerFake, type GcpSecretManagerFake } from '../../../../test/fakes/gcp-secret-manager.js';
import { gcpBackend } from './index.js';
import { PROJECT, readFailure, signal } from './testing/gcp-test-setup.js';

const home = mkdtempSync(join(tmpdir(), 'portcullis-gcp-metadata-'));
for (const name of Object.keys(process.env)) if (/^(GOOGLE_|GCE_METADATA|CLOUDSDK_|GCLOUD_|METADATA_SERVER)/.test(name)) delete process.env[name];
process.env['HOME'] = home;

const TOKEN_PATH = '/computeMetadata/v1/instance/service-accounts/default/token';

describe('gcp backend with application default credentials from the metadata server', () => {
  let metadata: GcpMetadataFake;
  let secretManager: GcpSecretManagerFake;
  const backend = (timeout = 5000) =>
    gcpBackend.create({ project_id: PROJECT, api_endpoint: secretManager.endpoint }, { logger: createLogger({ level: 'silent' }), env: {}, timeout });
  const tokenRequests = () => metadata.requests.filter((r) => r.path.startsWith(TOKEN_PATH)).length;
  /** Every token issued and every Bearer sent: none may appear in an error. */
  const tokens = () => [...metadata.issued, ...secretManager.requests.map((r) => String(r.headers.authorization ?? '').replace(/^Bearer /, ''))];

  before(async () => {
    metadata = await startGcpMetadataFake({ projectId: PROJECT });
    secretManager = await startGcpSecretManagerFake({ projectId: PROJECT, acceptsToken: (t) => metadata.isValidToken(t) });
    process.env['GCE_METADATA_HOST'] = metadata.host;
    secretManager.addVersion('on-gce', 'from the metadata server');
  });
  after(async () => {
    await Promise.all([metadata.close(), secretManager.close()]);
    rmSync(home, { recursive: true, force: true });
  });

  it('reads with the token the metadata server issued for the cloud-platform scope, asking with Metadata-Flavor: Google', async () => {
    const b = backend();
    assert.equal((await b.read('on-gce', null, {}, signal())).value, 'from the metadata server');
    await b.close?.();
    const tokenRequest = metadata.requests.find((r) => r.path.startsWith(TOKEN_PATH));
    assert.ok(tokenRequest, 'no token was asked for');
    assert.equal(tokenRequest.headers['metadata-flavor'], 'Google');
    assert.equal(new URL(tokenRequest.path, 'http://x').searchParams.get('scopes'), 'https://www.googleapis.com/auth/cloud-platform');
    assert.equal(secretManager.requests.at(-1)?.headers.authorization, `Bearer ${metadata.issued.at(-1)}`);
  });

  it('keeps using its token while it is valid', async () => {
    const b = backend();
    await b.read('on-gce', null, {}, signal());
    const asked = tokenRequests();
    await b.read('on-gce', null, {}, signal());
    await b.read('on-gce', null, {}, signal());
    assert.equal(tokenRequests(), asked);
    await b.close?.();
  });

  it('a token Secret Manager refuses (revoked) is obtained afresh once, and the read succeeds', async () => {
    const b = backend();
    await b.read('on-gce', null, {}, signal());
    const asked = tokenRequests();
    const sent = secretManager.requests.length;
    metadata.revokeAll();
    assert.equal((await b.read('on-gce', null, {}, signal())).value, 'from the metadata server');
    assert.equal(tokenRequests(), asked + 1, 'one new token');
    assert.equal(secretManager.requests.length, sent + 2, 'the refused request and its one retry');
    await b.close?.();
  });

  it('a metadata server that refuses tokens is unauthorized, one that fails them unavailable, without a Secret Manager request', async () => {
    for (const [status, kind] of [
      [403, 'unauthorized'],
      [404, 'unauthorized'],
      [500, 'unavailable'],
    ] as const) {
      metadata.failTokens(status);
      const sent = secretManager.requests.length;
      const b = backend();
      try {
        const err = await readFailure(b.read('on-gce', null, {}, signal()));
        assert.equal(err.kind, kind, `${status}: ${err.message}`);
        assert.match(err.message, new RegExp(`answered HTTP ${status}`));
        assert.equal(secretManager.requests.length, sent);
        for (const t of tokens()) assert.ok(!err.message.includes(t));
      } finally {
        metadata.failTokens(null);
        await b.close?.();
      }
    }
  });

  it('a metadata server that hangs: the read ends when its signal aborts, as unavailable', async () => {
    const b = backend();
    metadata.hang(true);
    try {
      const started = Date.now();
      const err = await readFailure(b.read('on-gce', null, {}, AbortSignal.timeout(300)));
      assert.equal(err.kind, 'unavailable');
      assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
    } finally {
      metadata.hang(false);
      await b.close?.();
    }
  });
});
