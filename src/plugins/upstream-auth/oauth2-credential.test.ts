import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { send } from '../../proxy/testing/harness.js';
import type { RequestContext } from '../plugin.js';
import { startAuthProxy, type AuthProxy, type Received } from './testing/auth-proxy.js';
import { createOAuth2Credential } from './oauth2-credential.js';
import { startTokenEndpoint, type TokenEndpoint } from '../../../test/fakes/oauth2-token-endpoint.js';

const CLIENT_ID = 'gateway';
const CLIENT_SECRET = 'client-secret-value-9f2c';

describe('upstream-auth type oauth2_client_credentials', () => {
  let idp: TokenEndpoint;
  let proxy: AuthProxy;
  /** The upstream accepts only tokens the token endpoint issued and still honours. */
  const checksToken = (r: Received) => (idp.isValid(r.headers.authorization) ? { status: 200, body: 'ok' } : { status: 401, body: 'bad token' });
  const config = (overrides: Record<string, unknown> = {}) => ({
    type: 'oauth2_client_credentials',
    token_url: idp.tokenUrl,
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    ...overrides,
  });

  before(async () => {
    idp = await startTokenEndpoint({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, allowedScopes: ['orders'] });
  });
  after(() => idp.close());
  afterEach(async () => {
    await proxy.close();
    idp.setLatency(0);
  });

  it('fetches a token with the configured client authentication and sends it instead of the client’s Authorization', async () => {
    for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
      proxy = await startAuthProxy(config({ token_auth_method: method, scopes: ['orders'], audience: 'orders-api' }), checksToken);
      const res = await send(proxy.port, '/orders', { headers: { authorization: 'Bearer client-own-token' } });
      assert.equal(res.status, 200, method);
      assert.equal(proxy.received.at(-1)!.headers.authorization, `Bearer ${idp.issued.at(-1)}`);
      const asked = idp.requests.at(-1)!;
      assert.equal(asked.clientAuth, method === 'client_secret_basic' ? 'basic' : 'post');
      assert.equal(asked.form['scope'], 'orders');
      assert.equal(asked.form['audience'], 'orders-api');
      await proxy.close();
    }
    proxy = await startAuthProxy(config(), checksToken);
  });

  it('shares one token request among 50 concurrent requests, and reuses the token afterwards', async () => {
    proxy = await startAuthProxy(config(), checksToken);
    idp.setLatency(50);
    const before = idp.requests.length;
    const answers = await Promise.all(Array.from({ length: 50 }, () => send(proxy.port, '/x')));
    assert.ok(answers.every((a) => a.status === 200));
    await send(proxy.port, '/y');
    assert.equal(idp.requests.length - before, 1);
    assert.equal(new Set(proxy.received.map((r) => r.headers.authorization)).size, 1);
  });

  it('fetches a new token once the cached one is close to expiry', async () => {
    const clock = { t: Date.now() };
    proxy = await startAuthProxy(config({ token_expiry_margin: 5 }), checksToken, { now: () => clock.t });
    idp.setExpiresIn(60);
    try {
      await send(proxy.port, '/x');
      const first = proxy.received.at(-1)!.headers.authorization;
      clock.t += 56_000;
      await send(proxy.port, '/x');
      assert.notEqual(proxy.received.at(-1)!.headers.authorization, first);
    } finally {
      idp.setExpiresIn(3600);
    }
  });

  it('answers 502 PC_PROXY_UPSTREAM_AUTH_FAILED when no token can be had, logs why without any secret, and tries again on the next request', async () => {
    proxy = await startAuthProxy(config(), checksToken);
    const failures: [string, () => void, string][] = [
      ['invalid_client', () => idp.setClientSecret('rotated-elsewhere'), '"reason":"refused","status":401,"error":"invalid_client"'],
      ['server error', () => idp.failNext(1, { status: 503, body: { error: 'temporarily_unavailable' } }), '"reason":"unavailable","status":503'],
      ['garbage', () => idp.failNext(1, { status: 200, body: 'not json' }), '"reason":"malformed"'],
    ];
    for (const [name, arrange, logged] of failures) {
      arrange();
      const res = await send(proxy.port, '/x', { headers: { authorization: 'Bearer client-own-token' } });
      assert.equal(res.status, 502, name);
      assert.deepEqual(res.json(), { code: 'PC_PROXY_UPSTREAM_AUTH_FAILED', message: 'The credentials for the upstream service could not be obtained' });
      assert.ok(res.headers['x-request-id']);
      idp.setClientSecret(CLIENT_SECRET);
      const line = proxy.logs.findLast((l) => l.includes('could not obtain an OAuth2 token'));
      assert.ok(line?.includes(logged), `${name}: ${line}`);
      assert.ok(line?.includes(`"token_url":"${idp.tokenUrl}"`));
    }
    assert.equal(proxy.received.length, 0, 'the upstream never saw a request without credentials');
    assert.equal((await send(proxy.port, '/x')).status, 200, 'a failure is not remembered');
    assert.ok(!proxy.logs.join('\n').includes(CLIENT_SECRET));
  });

  it('answers 502 after token_timeout when the token endpoint hangs', async () => {
    proxy = await startAuthProxy(config({ token_timeout: 200 }), checksToken);
    idp.setLatency(2000);
    const started = performance.now();
    const res = await send(proxy.port, '/x');
    assert.equal(res.status, 502);
    assert.ok(performance.now() - started < 1500);
    assert.ok(proxy.logs.some((l) => l.includes('"reason":"timeout"')));
  });

  it('still obtains a token for a request of an instance already closed (its state was replaced)', async () => {
    proxy = await startAuthProxy(config(), checksToken);
    const credential = createOAuth2Credential(
      {
        tokenUrl: idp.tokenUrl,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        scopes: [],
        audience: undefined,
        authMethod: 'client_secret_basic',
        timeoutMs: 2000,
        marginMs: 0,
      },
      { logger: pino({ level: 'silent' }), now: Date.now },
    );
    credential.close!();
    const ctx = { upstreamHeaders: {}, shared: new Map() } as unknown as RequestContext;
    const outcome = await credential.apply(ctx, { method: 'GET', target: '/', body: null, attempt: 1 });
    assert.equal(outcome.kind, 'continue');
    assert.ok(idp.isValid(ctx.upstreamHeaders['authorization']));
  });
});
