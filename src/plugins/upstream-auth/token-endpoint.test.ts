import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { requestToken, MAX_TOKEN_RESPONSE_BYTES, type TokenRequest } from './token-endpoint.js';
import { startTokenEndpoint, type TokenEndpoint } from '../../../test/fakes/oauth2-token-endpoint.js';
import { LOCALHOST_TLS } from '../../../test/support/tls-fixtures.js';

const ID = 'svc client';
const SECRET = 'S3cr3t+/=&%:';

describe('requestToken against an RFC 6749 token endpoint', () => {
  let fake: TokenEndpoint;
  let agent: Agent;
  const ask = (overrides: Partial<TokenRequest> = {}, timeoutMs = 2000) =>
    requestToken(
      { tokenUrl: fake.tokenUrl, clientId: ID, clientSecret: SECRET, scopes: [], audience: undefined, authMethod: 'client_secret_basic', ...overrides },
      { dispatcher: agent, timeoutMs },
    );

  before(async () => {
    fake = await startTokenEndpoint({ clientId: ID, clientSecret: SECRET, allowedScopes: ['orders:read', 'orders:write'] });
    agent = new Agent();
  });
  after(async () => {
    await agent.close();
    await fake.close();
  });

  it('authenticates with HTTP Basic over the form-encoded id and secret, and sends grant, scopes and audience in the form', async () => {
    const answer = await ask({ scopes: ['orders:read', 'orders:write'], audience: 'https://api.example' });
    assert.equal(answer.kind, 'ok');
    assert.equal(answer.kind === 'ok' && answer.accessToken, fake.issued.at(-1));
    assert.equal(answer.kind === 'ok' && answer.expiresIn, 3600);
    const sent = fake.requests.at(-1)!;
    assert.equal(sent.clientAuth, 'basic');
    assert.deepEqual(sent.form, { grant_type: 'client_credentials', scope: 'orders:read orders:write', audience: 'https://api.example' });
    assert.equal(sent.headers.accept, 'application/json');
  });

  it('authenticates with client_id and client_secret in the body for client_secret_post, without a Basic header', async () => {
    const answer = await ask({ authMethod: 'client_secret_post' });
    assert.equal(answer.kind, 'ok');
    const sent = fake.requests.at(-1)!;
    assert.equal(sent.clientAuth, 'post');
    assert.equal(sent.headers.authorization, undefined);
    assert.equal(sent.form['client_id'], ID);
  });

  it('reads expires_in given as a string, and leaves it undefined when absent or not a positive number', async () => {
    const cases: [unknown, number | undefined][] = [
      ['1800', 1800],
      [null, undefined],
      [-5, undefined],
      ['soon', undefined],
      [0, undefined],
    ];
    for (const [expiresIn, expected] of cases) {
      const body: Record<string, unknown> = { access_token: 'tok-1', token_type: 'bearer' };
      if (expiresIn !== null) body['expires_in'] = expiresIn;
      fake.failNext(1, { status: 200, body });
      const answer = await ask();
      assert.deepEqual(answer, { kind: 'ok', accessToken: 'tok-1', expiresIn: expected }, String(expiresIn));
    }
  });

  it('turns every kind of failure into a value with a reason, a status and the OAuth error code, never a secret', async () => {
    const cases: [string, () => void | Promise<void>, Partial<TokenRequest>, Record<string, unknown>][] = [
      ['wrong secret', () => {}, { clientSecret: 'wrong' }, { reason: 'refused', status: 401, error: 'invalid_client' }],
      ['unknown scope', () => {}, { scopes: ['admin'] }, { reason: 'refused', status: 400, error: 'invalid_scope' }],
      [
        'server error',
        () => fake.failNext(1, { status: 500, body: { error: 'server_error' } }),
        {},
        { reason: 'unavailable', status: 500, error: 'server_error' },
      ],
      ['an error code with a quote', () => fake.failNext(1, { status: 400, body: { error: 'bad"code' } }), {}, { reason: 'refused', status: 400 }],
      ['a redirect (not followed)', () => fake.failNext(1, { status: 302, body: '' }), {}, { reason: 'unavailable', status: 302 }],
      ['not JSON', () => fake.failNext(1, { status: 200, body: '<html>hello</html>', contentType: 'text/html' }), {}, { reason: 'malformed', status: 200 }],
      ['a JSON array', () => fake.failNext(1, { status: 200, body: '[1]' }), {}, { reason: 'malformed', status: 200 }],
      ['no access_token', () => fake.failNext(1, { status: 200, body: { token_type: 'Bearer' } }), {}, { reason: 'malformed', status: 200 }],
      [
        'a token with a space',
        () => fake.failNext(1, { status: 200, body: { access_token: 'a b', token_type: 'Bearer' } }),
        {},
        { reason: 'malformed', status: 200 },
      ],
      [
        'a token with a line break',
        () => fake.failNext(1, { status: 200, body: { access_token: 'a\r\nb', token_type: 'Bearer' } }),
        {},
        { reason: 'malformed', status: 200 },
      ],
      ['a mac token', () => fake.failNext(1, { status: 200, body: { access_token: 'abc', token_type: 'mac' } }), {}, { reason: 'malformed', status: 200 }],
      [
        'an oversized answer',
        () => fake.failNext(1, { status: 200, body: { access_token: 'x'.repeat(MAX_TOKEN_RESPONSE_BYTES), token_type: 'Bearer' } }),
        {},
        { reason: 'too_large', status: 200 },
      ],
    ];
    for (const [name, arrange, overrides, expected] of cases) {
      await arrange();
      const answer = await ask(overrides);
      assert.deepEqual(answer, { kind: 'failed', ...expected }, name);
      assert.ok(!JSON.stringify(answer).includes(SECRET), name);
    }
  });

  it('gives up after the timeout when the endpoint does not answer', async () => {
    fake.setLatency(1000);
    try {
      const started = performance.now();
      assert.deepEqual(await ask({}, 150), { kind: 'failed', reason: 'timeout' });
      assert.ok(performance.now() - started < 900);
    } finally {
      fake.setLatency(0);
    }
  });

  it('reports an endpoint that cannot be reached as unreachable', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise((r) => server.close(r));
    assert.deepEqual(await ask({ tokenUrl: `http://127.0.0.1:${port}/token` }), { kind: 'failed', reason: 'unreachable' });
  });

  it('stops reading an answer that streams past the cap without a Content-Length', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 64 && res.write(chunk)) sent++;
        if (sent < 64) res.once('drain', pump);
        else res.end();
      };
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
      assert.deepEqual(await ask({ tokenUrl: url }), { kind: 'failed', reason: 'too_large', status: 200 });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('talks to an HTTPS endpoint whose certificate the node trusts', async () => {
    const tls = await startTokenEndpoint({ clientId: ID, clientSecret: SECRET, tls: LOCALHOST_TLS });
    try {
      const answer = await requestToken(
        { tokenUrl: tls.tokenUrl, clientId: ID, clientSecret: SECRET, scopes: [], audience: undefined, authMethod: 'client_secret_basic' },
        { dispatcher: agent, timeoutMs: 2000 },
      );
      assert.equal(answer.kind, 'ok');
    } finally {
      await tls.close();
    }
  });
});
