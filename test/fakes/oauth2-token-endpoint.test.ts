/** The token endpoint fake follows RFC 6749 where the gateway's client could go wrong. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTokenEndpoint, type TokenEndpoint } from './oauth2-token-endpoint.js';
import { LOCALHOST_TLS } from '../support/tls-fixtures.js';

const ID = 'client:one';
const SECRET = 'p@ss+word/=';
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const formEncode = (s: string) => new URLSearchParams({ v: s }).toString().slice(2);
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString('base64')}`;

async function post(fake: TokenEndpoint, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(fake.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

describe('oauth2 token endpoint fake', () => {
  let fake: TokenEndpoint;
  before(async () => {
    fake = await startTokenEndpoint({ clientId: ID, clientSecret: SECRET, allowedScopes: ['read', 'write'] });
  });
  after(() => fake.close());

  it('issues a Bearer token to a client authenticated by Basic with form-encoded id and secret, without caching', async () => {
    const res = await post(fake, form({ grant_type: 'client_credentials', scope: 'read write' }), { authorization: basic(ID, SECRET) });
    assert.equal(res.status, 200);
    assert.equal(res.body['token_type'], 'Bearer');
    assert.equal(res.body['expires_in'], 3600);
    assert.equal(res.body['scope'], 'read write');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.ok(fake.isValid(`Bearer ${String(res.body['access_token'])}`));
    assert.equal(fake.requests.at(-1)!.clientAuth, 'basic');
  });

  it('issues a token to a client authenticated in the body, and never records the secret', async () => {
    const res = await post(fake, form({ grant_type: 'client_credentials', client_id: ID, client_secret: SECRET }));
    assert.equal(res.status, 200);
    const recorded = fake.requests.at(-1)!;
    assert.equal(recorded.clientAuth, 'post');
    assert.equal(recorded.form['client_secret'], undefined);
  });

  it('refuses each malformed or unauthenticated request with its RFC 6749 error', async () => {
    const cases: [string, string, Record<string, string>, number, string][] = [
      ['both methods', form({ grant_type: 'client_credentials', client_secret: SECRET }), { authorization: basic(ID, SECRET) }, 400, 'invalid_request'],
      ['wrong secret by Basic', form({ grant_type: 'client_credentials' }), { authorization: basic(ID, 'nope') }, 401, 'invalid_client'],
      [
        'unencoded Basic (not form-encoded)',
        form({ grant_type: 'client_credentials' }),
        { authorization: `Basic ${Buffer.from(`${ID}:${SECRET}`).toString('base64')}` },
        401,
        'invalid_client',
      ],
      ['wrong secret in body', form({ grant_type: 'client_credentials', client_id: ID, client_secret: 'nope' }), {}, 401, 'invalid_client'],
      ['no client', form({ grant_type: 'client_credentials' }), {}, 401, 'invalid_client'],
      ['other grant', form({ grant_type: 'password' }), { authorization: basic(ID, SECRET) }, 400, 'unsupported_grant_type'],
      ['unknown scope', form({ grant_type: 'client_credentials', scope: 'admin' }), { authorization: basic(ID, SECRET) }, 400, 'invalid_scope'],
      [
        'JSON body',
        JSON.stringify({ grant_type: 'client_credentials' }),
        { 'content-type': 'application/json', authorization: basic(ID, SECRET) },
        400,
        'invalid_request',
      ],
    ];
    for (const [name, body, headers, status, error] of cases) {
      const res = await post(fake, body, headers);
      assert.equal(res.status, status, name);
      assert.equal(res.body['error'], error, name);
    }
    const challenged = await post(fake, form({ grant_type: 'client_credentials' }), { authorization: basic(ID, 'nope') });
    assert.equal(challenged.headers.get('www-authenticate'), 'Basic realm="token-endpoint"');
  });

  it('follows its scenario switches: canned answers, token type, no expires_in, revocation, a new secret', async () => {
    fake.failNext(1, { status: 503, body: 'down', contentType: 'text/plain' });
    const down = await fetch(fake.tokenUrl, { method: 'POST' });
    assert.equal(down.status, 503);
    assert.equal(await down.text(), 'down');

    fake.setTokenType('mac');
    fake.setExpiresIn(null);
    const odd = await post(fake, form({ grant_type: 'client_credentials' }), { authorization: basic(ID, SECRET) });
    assert.equal(odd.body['token_type'], 'mac');
    assert.equal('expires_in' in odd.body, false);
    fake.setTokenType('Bearer');
    fake.setExpiresIn(3600);

    fake.revokeAll();
    assert.equal(fake.isValid(`Bearer ${String(odd.body['access_token'])}`), false);

    fake.setClientSecret('rotated');
    assert.equal((await post(fake, form({ grant_type: 'client_credentials' }), { authorization: basic(ID, SECRET) })).status, 401);
    assert.equal((await post(fake, form({ grant_type: 'client_credentials' }), { authorization: basic(ID, 'rotated') })).status, 200);
    fake.setClientSecret(SECRET);
  });

  it('treats an expired token as invalid', async () => {
    fake.setExpiresIn(0);
    const res = await post(fake, form({ grant_type: 'client_credentials' }), { authorization: basic(ID, SECRET) });
    assert.equal(fake.isValid(`Bearer ${String(res.body['access_token'])}`), false);
    fake.setExpiresIn(3600);
  });

  it('serves HTTPS with the test CA’s localhost certificate', async () => {
    const tls = await startTokenEndpoint({ clientId: ID, clientSecret: SECRET, tls: LOCALHOST_TLS });
    try {
      assert.match(tls.tokenUrl, /^https:/);
      const res = await post(tls, form({ grant_type: 'client_credentials' }), { authorization: basic(ID, SECRET) });
      assert.equal(res.status, 200);
    } finally {
      await tls.close();
    }
  });
});
