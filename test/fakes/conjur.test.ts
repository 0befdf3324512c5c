/**
 * The Conjur fake answers as Conjur's API documentation and controllers say, so the `conjur`
 * backend tested against it meets Conjur's real shapes, statuses and encodings.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startConjurFake, type ConjurFake } from './conjur.js';
import { LOCALHOST_TLS } from '../support/tls-fixtures.js';

const KEY = '1wgv7h2pw1vta2a7dnzk370ger03nnakkq33sex2a1jmbbnz3h8cJ';
let clock = Date.parse('2026-12-01T10:00:00.250Z');

async function call(fake: ConjurFake, method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${fake.url}${path}`, { method, headers: init.headers ?? {}, ...(init.body === undefined ? {} : { body: init.body }) });
  return { status: res.status, type: res.headers.get('content-type'), encoding: res.headers.get('content-encoding'), text: await res.text() };
}

const authenticate = (fake: ConjurFake, login = 'host%2Fapps%2Fgateway', body = KEY, headers: Record<string, string> = {}) =>
  call(fake, 'POST', `/authn/${fake.account}/${login}/authenticate`, { body, headers: { 'content-type': 'text/plain', ...headers } });

async function tokenHeader(fake: ConjurFake): Promise<string> {
  const answer = await authenticate(fake);
  assert.equal(answer.status, 200);
  return `Token token="${Buffer.from(answer.text).toString('base64')}"`;
}

const claimsOf = (tokenJson: string) => JSON.parse(Buffer.from(JSON.parse(tokenJson).payload, 'base64').toString('utf8'));

describe('Conjur fake', () => {
  let fake: ConjurFake;
  before(async () => {
    fake = await startConjurFake({ now: () => clock, tokenLifeSeconds: 300 });
    fake.addRole('host/apps/gateway', KEY);
    fake.addRole('admin', 'admin-key');
  });
  after(() => fake.close());

  describe('authenticate', () => {
    it('exchanges the API key for a v5 token: JSON {protected, payload, signature}, payload base64 of {sub, iat, exp}', async () => {
      const answer = await authenticate(fake);
      assert.equal(answer.status, 200);
      assert.equal(answer.type, 'application/json');
      const token = JSON.parse(answer.text);
      assert.deepEqual(Object.keys(token).sort(), ['payload', 'protected', 'signature']);
      assert.equal(JSON.parse(Buffer.from(token.protected, 'base64').toString('utf8')).alg, 'conjur.org/slosilo/v2');
      assert.deepEqual(claimsOf(answer.text), { sub: 'host/apps/gateway', iat: Math.floor(clock / 1000), exp: Math.floor(clock / 1000) + 300 });
    });

    it('leaves exp out when the token life is null (Conjur then means 8 minutes)', async () => {
      fake.setTokenLife(null);
      try {
        const claims = claimsOf((await authenticate(fake)).text);
        assert.deepEqual(Object.keys(claims).sort(), ['iat', 'sub']);
      } finally {
        fake.setTokenLife(300);
      }
    });

    it('decodes the login once, as one segment: %2F and %2f alike', async () => {
      for (const login of ['host%2Fapps%2Fgateway', 'host%2fapps%2fgateway']) assert.equal((await authenticate(fake, login)).status, 200, login);
    });

    it('answers base64 with Content-Encoding: base64 when asked with Accept-Encoding: base64', async () => {
      const answer = await authenticate(fake, undefined, undefined, { 'accept-encoding': 'base64' });
      assert.equal(answer.status, 200);
      assert.equal(answer.encoding, 'base64');
      assert.equal(claimsOf(Buffer.from(answer.text, 'base64').toString('utf8')).sub, 'host/apps/gateway');
    });

    it('refuses with 401 and an empty body: a wrong key, an unknown or unprefixed login, another account, a GET', async () => {
      const cases: [string, () => ReturnType<typeof call>][] = [
        ['wrong key', () => authenticate(fake, undefined, `${KEY}x`)],
        ['empty key', () => authenticate(fake, undefined, '')],
        ["another role's key", () => authenticate(fake, undefined, 'admin-key')],
        ['login without host/', () => authenticate(fake, 'apps%2Fgateway')],
        ['unknown login', () => authenticate(fake, 'host%2Fnobody')],
        ['another account', () => call(fake, 'POST', '/authn/otherAccount/host%2Fapps%2Fgateway/authenticate', { body: KEY })],
      ];
      for (const [name, attempt] of cases) {
        const answer = await attempt();
        assert.equal(answer.status, 401, name);
        assert.equal(answer.text, '', name);
      }
      assert.equal((await call(fake, 'GET', `/authn/${fake.account}/admin/authenticate`)).status, 405);
    });

    it('does not route a login whose / is not encoded (it is one segment)', async () => {
      assert.equal((await authenticate(fake, 'host/apps/gateway')).status, 404);
    });
  });

  describe('secrets', () => {
    it('serves the raw value as application/octet-stream, the id decoded once (%2F, %2f or a bare /)', async () => {
      fake.addSecret('prod/db/pass', 'pa55 wörd');
      const token = await tokenHeader(fake);
      for (const id of ['prod%2Fdb%2Fpass', 'prod%2fdb%2fpass', 'prod/db/pass']) {
        const answer = await call(fake, 'GET', `/secrets/${fake.account}/variable/${id}`, { headers: { authorization: token } });
        assert.equal(answer.status, 200, id);
        assert.equal(answer.type, 'application/octet-stream');
        assert.equal(answer.text, 'pa55 wörd');
      }
      // Decoded once only: %252F names a variable whose id holds the three characters "%2F".
      const twice = await call(fake, 'GET', `/secrets/${fake.account}/variable/prod%252Fdb%252Fpass`, { headers: { authorization: token } });
      assert.equal(twice.status, 404);
    });

    it('keeps the last 20 versions: ?version=N reads one, older ones and unknown ones are 404', async () => {
      for (let i = 1; i <= 22; i++) assert.equal(fake.addSecret('rotating', `v${i}`), i);
      const token = await tokenHeader(fake);
      const read = (query: string) => call(fake, 'GET', `/secrets/${fake.account}/variable/rotating${query}`, { headers: { authorization: token } });
      for (const [query, status, text] of [
        ['', 200, 'v22'],
        ['?version=22', 200, 'v22'],
        ['?version=3', 200, 'v3'],
        ['?version=2', 404, null],
        ['?version=1', 404, null],
        ['?version=23', 404, null],
        ['?version=0', 404, null],
        ['?version=abc', 422, null],
      ] as const) {
        const answer = await read(query);
        assert.equal(answer.status, status, query);
        if (text !== null) assert.equal(answer.text, text, query);
      }
    });

    it("answers 404 with Conjur's not_found body for a missing, empty or invisible variable, and 403 without execute", async () => {
      fake.declareVariable('declared/only');
      fake.addSecret('hidden', 'h');
      fake.addSecret('read-only', 'r');
      fake.permit('host/apps/gateway', 'hidden', 'none');
      fake.permit('host/apps/gateway', 'read-only', 'read');
      const token = await tokenHeader(fake);
      for (const id of ['missing', 'declared%2Fonly', 'hidden']) {
        const answer = await call(fake, 'GET', `/secrets/${fake.account}/variable/${id}`, { headers: { authorization: token } });
        assert.equal(answer.status, 404, id);
        const body = JSON.parse(answer.text);
        assert.equal(body.error.code, 'not_found');
        assert.equal(body.error.target, 'variable');
        assert.deepEqual(body.error.details, { code: 'not_found', target: 'id', message: `${fake.account}:variable:${decodeURIComponent(id)}` });
      }
      const forbidden = await call(fake, 'GET', `/secrets/${fake.account}/variable/read-only`, { headers: { authorization: token } });
      assert.equal(forbidden.status, 403);
      assert.equal(JSON.parse(forbidden.text).error.code, 'forbidden');
      // Another role keeps its default execute privilege.
      const admin = await authenticate(fake, 'admin', 'admin-key');
      const asAdmin = await call(fake, 'GET', `/secrets/${fake.account}/variable/hidden`, {
        headers: { authorization: `Token token="${Buffer.from(admin.text).toString('base64')}"` },
      });
      assert.equal(asAdmin.text, 'h');
    });

    it('answers 401 with an empty body unless Authorization is exactly Token token="<base64 of a live token it signed>"', async () => {
      fake.addSecret('guarded', 'g');
      const good = await tokenHeader(fake);
      const base64 = /token="(.+)"/.exec(good)![1]!;
      const token = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
      const tampered = Buffer.from(JSON.stringify({ ...token, payload: Buffer.from(JSON.stringify({ sub: 'admin', iat: 0 })).toString('base64') })).toString(
        'base64',
      );
      for (const [name, authorization] of [
        ['none', undefined],
        ['no quotes', `Token token=${base64}`],
        ['bearer', `Bearer ${base64}`],
        ['raw JSON', `Token token="${Buffer.from(base64, 'base64').toString('utf8')}"`],
        ['lower-case scheme', `token token="${base64}"`],
        ['tampered payload', `Token token="${tampered}"`],
      ] as const) {
        const answer = await call(fake, 'GET', `/secrets/${fake.account}/variable/guarded`, { headers: authorization ? { authorization } : {} });
        assert.equal(answer.status, 401, name);
        assert.equal(answer.text, '', name);
      }
      assert.equal((await call(fake, 'GET', `/secrets/${fake.account}/variable/guarded`, { headers: { authorization: good } })).status, 200);
    });

    it('refuses a token from its exp on (or 8 minutes after iat without exp), and every token after a signing key rotation', async () => {
      fake.addSecret('timed', 't');
      const read = (authorization: string) => call(fake, 'GET', `/secrets/${fake.account}/variable/timed`, { headers: { authorization } });
      const start = clock;
      try {
        const withExp = await tokenHeader(fake);
        fake.setTokenLife(null);
        const withoutExp = await tokenHeader(fake);
        fake.setTokenLife(300);
        clock = Math.floor(start / 1000) * 1000 + 299_999;
        assert.equal((await read(withExp)).status, 200);
        clock += 1;
        assert.equal((await read(withExp)).status, 401);
        assert.equal((await read(withoutExp)).status, 200);
        clock = Math.floor(start / 1000) * 1000 + 480_000;
        assert.equal((await read(withoutExp)).status, 401);
        const fresh = await tokenHeader(fake);
        fake.rotateSigningKey();
        assert.equal((await read(fresh)).status, 401);
        assert.equal((await read(await tokenHeader(fake))).status, 200);
      } finally {
        clock = start;
      }
    });
  });

  describe('scenarios', () => {
    it('failWith answers a route with a status until cleared; garbage tokens are 200 JSON that is no token', async () => {
      fake.failWith('authenticate', 503);
      assert.equal((await authenticate(fake)).status, 503);
      fake.failWith('authenticate', null);
      const token = await tokenHeader(fake);
      fake.failWith('secrets', 500);
      assert.equal((await call(fake, 'GET', `/secrets/${fake.account}/variable/timed`, { headers: { authorization: token } })).status, 500);
      fake.failWith('secrets', null);
      fake.setTokenShape('garbage');
      const garbage = await authenticate(fake);
      fake.setTokenShape('valid');
      assert.equal(garbage.status, 200);
      assert.equal(JSON.parse(garbage.text).payload, undefined);
    });

    it('hang holds requests until released, and logs every request with its raw path and status', async () => {
      fake.hang(true);
      const pending = authenticate(fake);
      let settled = false;
      void pending.then(() => (settled = true));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(settled, false);
      fake.hang(false);
      assert.equal((await pending).status, 200);
      const last = fake.requests.at(-1)!;
      assert.equal(last.path, `/authn/${fake.account}/host%2Fapps%2Fgateway/authenticate`);
      assert.equal(last.method, 'POST');
      assert.equal(last.status, 200);
    });

    it('serves HTTPS with the test leaf', async () => {
      const tls = await startConjurFake({ tls: LOCALHOST_TLS });
      try {
        tls.addRole('admin', 'k');
        assert.match(tls.url, /^https:\/\/127\.0\.0\.1:\d+$/);
        assert.equal((await call(tls, 'POST', `/authn/${tls.account}/admin/authenticate`, { body: 'k' })).status, 200);
      } finally {
        await tls.close();
      }
    });
  });
});
