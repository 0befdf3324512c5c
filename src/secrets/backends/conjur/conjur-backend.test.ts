/**
 * The conjur backend against the Conjur fake (test/fakes/conjur.ts): what goes over the wire
 * (paths, encodings, the host/ login, the token header), the access token's life (renewed at 85 %,
 * never sent past its end, one authentication for many reads, one more after a 401), every status
 * Conjur answers, TLS with ca_cert, and no API key or token in errors or logs.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rootCertificates } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { createLogger } from '../../../observability/logger.js';
import { VaultBackendError, type VaultBackend, type VaultFailureKind } from '../../vault-backend.js';
import { startConjurFake, type ConjurFake } from '../../../../test/fakes/conjur.js';
import { LOCALHOST_TLS, TEST_CA_PATH, TEST_CA_PEM } from '../../../../test/support/tls-fixtures.js';
import { createConjurBackend } from './conjur-backend.js';
import type { ConjurConfig } from './conjur-config.js';
import { conjurBackend } from './index.js';

const LOGIN = 'host/apps/gateway';
const API_KEY = `3x${randomBytes(20).toString('hex')}`;
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const logs: string[] = [];
const deps = { logger: createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(line) } }), env: {}, timeout: 2000 };
const signal = () => AbortSignal.timeout(5000);

function configFor(fake: ConjurFake, overrides: Partial<ConjurConfig> = {}): ConjurConfig {
  return { endpoint_url: fake.url, auth_method: 'api_key', account: fake.account, login: LOGIN, api_key: API_KEY, ...overrides };
}

async function failure(promise: Promise<unknown>, kind: VaultFailureKind): Promise<VaultBackendError> {
  const err = await promise.then(
    () => assert.fail(`expected a ${kind} failure`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof VaultBackendError, String(err));
  assert.equal(err.kind, kind, err.message);
  return err;
}

const authentications = (fake: ConjurFake) => fake.requests.filter((r) => r.path.startsWith('/authn/')).length;
const refusedReads = (fake: ConjurFake) => fake.requests.filter((r) => r.path.startsWith('/secrets/') && r.status === 401).length;

describe('conjur backend', () => {
  let fake: ConjurFake;
  const errors: string[] = [];
  /** Every failure a test saw, kept for the final check that none carries a credential. */
  const failed = async (promise: Promise<unknown>, kind: VaultFailureKind) => {
    const err = await failure(promise, kind);
    errors.push(err.message, String(err.stack));
    return err;
  };
  before(async () => {
    fake = await startConjurFake({ tls: LOCALHOST_TLS });
    fake.addRole(LOGIN, API_KEY);
  });
  after(() => fake.close());

  describe('on the wire', () => {
    it('logs in as host/<id> with the API key as a text/plain body, the login one %2F-encoded segment', async () => {
      fake.addSecret('wire/one', 'v');
      const backend = conjurBackend.create(configFor(fake), deps);
      assert.equal((await backend.read('wire/one', null, {}, signal())).value, 'v');
      const authn = fake.requests.find((r) => r.path.startsWith('/authn/'))!;
      assert.equal(authn.method, 'POST');
      assert.equal(authn.path, `/authn/${fake.account}/host%2Fapps%2Fgateway/authenticate`);
      assert.equal(authn.headers['content-type'], 'text/plain');
      assert.equal(authn.body, API_KEY);
      await backend.close?.();
    });

    it('a login without the host/ prefix is refused as unauthorized', async () => {
      const backend = conjurBackend.create(configFor(fake, { login: 'apps/gateway' }), deps);
      const err = await failed(backend.read('wire/one', null, {}, signal()), 'unauthorized');
      assert.match(err.message, /refused the API key of login "apps\/gateway" \(401\)/);
      await backend.close?.();
    });

    it('sends each id as ONE path segment (/ @ + & = spaces and unicode percent-encoded) with Token token="<base64>"', async () => {
      const backend = conjurBackend.create(configFor(fake), deps);
      const ids: [string, string][] = [
        ['prod/db/pass', 'prod%2Fdb%2Fpass'],
        ['alice@devops/key', 'alice%40devops%2Fkey'],
        ['a+b', 'a%2Bb'],
        ['a&b=c', 'a%26b%3Dc'],
        ['team one/db pass', 'team%20one%2Fdb%20pass'],
        ['ünï/☃', '%C3%BCn%C3%AF%2F%E2%98%83'],
        ['literal%2Fpercent', 'literal%252Fpercent'],
        ['a/../b', 'a%2F..%2Fb'],
        ["q?x#y:z;!'()*", "q%3Fx%23y%3Az%3B!'()*"],
      ];
      for (const [id, encoded] of ids) {
        fake.addSecret(id, `value of ${id}`);
        assert.equal((await backend.read(id, null, {}, signal())).value, `value of ${id}`, id);
        const sent = fake.requests.at(-1)!;
        assert.equal(sent.path, `/secrets/${fake.account}/variable/${encoded}`, id);
        assert.match(String(sent.headers.authorization), /^Token token="[A-Za-z0-9+/]+={0,2}"$/);
      }
      await backend.close?.();
    });

    it('reads #<version> as ?version=N and reports it; without one, the current value and no version', async () => {
      const backend = conjurBackend.create(configFor(fake), deps);
      const v1 = fake.addSecret('versioned', 'one');
      fake.addSecret('versioned', 'two');
      assert.deepEqual(await backend.read('versioned', String(v1), {}, signal()), { value: 'one', version: '1' });
      assert.equal(fake.requests.at(-1)!.path, `/secrets/${fake.account}/variable/versioned?version=1`);
      assert.deepEqual(await backend.read('versioned', null, {}, signal()), { value: 'two' });
      await backend.close?.();
    });

    it("keeps the path of endpoint_url (Conjur Cloud's /api) and ignores trailing slashes", async () => {
      const backend = conjurBackend.create(configFor(fake, { endpoint_url: `${fake.url}/api/` }), deps);
      await failed(backend.read('wire/one', null, {}, signal()), 'unavailable');
      assert.equal(fake.requests.at(-1)!.path, `/api/authn/${fake.account}/host%2Fapps%2Fgateway/authenticate`);
      await backend.close?.();
    });
  });

  describe('statuses', () => {
    let backend: VaultBackend;
    before(() => {
      backend = conjurBackend.create(configFor(fake), deps);
      fake.addSecret('status/ok', 'ok');
      fake.declareVariable('status/empty');
      fake.addSecret('status/hidden', 'h');
      fake.permit(LOGIN, 'status/hidden', 'none');
      fake.addSecret('status/read-only', 'r');
      fake.permit(LOGIN, 'status/read-only', 'read');
    });
    after(() => backend.close?.());

    it('is not_found for a missing variable, one with no value, an invisible one, a version not kept', async () => {
      for (let i = 0; i < 21; i++) fake.addSecret('status/many', `v${i}`);
      for (const [id, version] of [
        ['status/missing', null],
        ['status/empty', null],
        ['status/hidden', null],
        ['status/many', '1'],
        ['status/ok', '999999'],
      ] as const) {
        const err = await failed(backend.read(id, version, {}, signal()), 'not_found');
        assert.ok(err.message.includes(JSON.stringify(id)), err.message);
        assert.match(err.message, /\(404\)/);
      }
    });

    it('is not_found, without asking Conjur, for an id or version that cannot be one', async () => {
      const before = fake.requests.length;
      for (const [id, version] of [
        ['', null],
        ['.', null],
        ['..', null],
        ['lone \ud800 surrogate', null],
        ['status/ok', '0'],
        ['status/ok', '-1'],
        ['status/ok', 'abc'],
        ['status/ok', '1.5'],
        ['status/ok', '1&x=2'],
      ] as const) {
        await failed(backend.read(id, version, {}, signal()), 'not_found');
      }
      assert.equal(fake.requests.length, before);
    });

    it('is unauthorized when the role lacks execute (403)', async () => {
      const err = await failed(backend.read('status/read-only', null, {}, signal()), 'unauthorized');
      assert.match(err.message, /lacks the execute privilege.*\(403\)/);
    });

    it('is unavailable for 5xx, 429, 422, 400 and redirects, naming the status', async () => {
      for (const status of [500, 502, 503, 429, 422, 400, 302, 307]) {
        fake.failWith('secrets', status);
        try {
          const err = await failed(backend.read('status/ok', null, {}, signal()), 'unavailable');
          assert.ok(err.message.includes(String(status)), err.message);
        } finally {
          fake.failWith('secrets', null);
        }
      }
    });

    it('authentication: 401/403 are unauthorized, 5xx and an answer that is no token are unavailable', async () => {
      for (const [status, kind] of [
        [401, 'unauthorized'],
        [403, 'unauthorized'],
        [500, 'unavailable'],
        [503, 'unavailable'],
        [404, 'unavailable'],
      ] as const) {
        const fresh = conjurBackend.create(configFor(fake), deps);
        fake.failWith('authenticate', status);
        try {
          await failed(fresh.read('status/ok', null, {}, signal()), kind);
        } finally {
          fake.failWith('authenticate', null);
          await fresh.close?.();
        }
      }
      const fresh = conjurBackend.create(configFor(fake), deps);
      fake.setTokenShape('garbage');
      try {
        const err = await failed(fresh.read('status/ok', null, {}, signal()), 'unavailable');
        assert.match(err.message, /not a Conjur access token/);
      } finally {
        fake.setTokenShape('valid');
        await fresh.close?.();
      }
    });

    it('returns the exact text (a BOM, NUL, CRLF kept); refuses a value over 1 MiB or not UTF-8 as unavailable', async () => {
      const exact = '\ufeffBOM\u0000nul\r\nline';
      fake.addSecret('status/exact', exact);
      assert.equal((await backend.read('status/exact', null, {}, signal())).value, exact);
      fake.addSecret('status/huge', Buffer.alloc(1024 * 1024 + 1, 'a'));
      assert.match((await failed(backend.read('status/huge', null, {}, signal()), 'unavailable')).message, /larger than 1048576 bytes/);
      fake.addSecret('status/binary', Buffer.from([0xff, 0xfe, 0x00, 0x80]));
      assert.match((await failed(backend.read('status/binary', null, {}, signal()), 'unavailable')).message, /not UTF-8/);
      // The largest value allowed still reads.
      fake.addSecret('status/max', Buffer.alloc(1024 * 1024, 'b'));
      assert.equal((await backend.read('status/max', null, {}, signal())).value.length, 1024 * 1024);
    });
  });

  describe('the access token', () => {
    it('is renewed from 85 % of its life, kept while renewing fails, and never sent once it has expired', async () => {
      let clock = T0;
      const timed = await startConjurFake({ now: () => clock, tokenLifeSeconds: 61 });
      timed.addRole(LOGIN, API_KEY);
      timed.addSecret('t', 'x');
      const backend = createConjurBackend(configFor(timed), deps, () => clock);
      try {
        const read = () => backend.read('t', null, {}, signal());
        // Usable life: 61 s − 1 s (iat is rounded down) = 60 s; renewal from 51 s.
        await read();
        assert.equal(authentications(timed), 1);
        clock = T0 + 50_900;
        await read();
        assert.equal(authentications(timed), 1, 'the token is reused before 85 % of its life');
        clock = T0 + 51_000;
        await read();
        assert.equal(authentications(timed), 2, 'the token is renewed at 85 % of its life');
        // The second token was asked for at 51 s: renewal from 102 s, end at 111 s.
        timed.failWith('authenticate', 503);
        clock = T0 + 105_000;
        logs.length = 0;
        assert.equal((await read()).value, 'x', 'a failed renewal keeps the token that is still valid');
        assert.equal(authentications(timed), 3);
        assert.ok(logs.some((l) => l.includes('renewing the access token failed')));
        clock = T0 + 111_000;
        const secretsBefore = timed.requests.filter((r) => r.path.startsWith('/secrets/')).length;
        const err = await failed(read(), 'unavailable');
        assert.match(err.message, /Conjur answered 503/);
        assert.equal(timed.requests.filter((r) => r.path.startsWith('/secrets/')).length, secretsBefore, 'an expired token is never sent');
        timed.failWith('authenticate', null);
        await read();
        assert.equal(refusedReads(timed), 0, 'no read was ever answered 401');
      } finally {
        await backend.close?.();
        await timed.close();
      }
    });

    it('without exp lives 8 minutes: renewed from 85 % of 479 s', async () => {
      let clock = T0;
      const timed = await startConjurFake({ now: () => clock, tokenLifeSeconds: null });
      timed.addRole(LOGIN, API_KEY);
      timed.addSecret('t', 'x');
      const backend = createConjurBackend(configFor(timed), deps, () => clock);
      try {
        await backend.read('t', null, {}, signal());
        clock = T0 + 407_000;
        await backend.read('t', null, {}, signal());
        assert.equal(authentications(timed), 1);
        clock = T0 + 407_200;
        await backend.read('t', null, {}, signal());
        assert.equal(authentications(timed), 2);
        assert.equal(refusedReads(timed), 0);
      } finally {
        await backend.close?.();
        await timed.close();
      }
    });

    it('with a real clock and a 2 s token: after it expires the next read authenticates first, with no 401', async () => {
      const short = await startConjurFake({ tokenLifeSeconds: 2 });
      short.addRole(LOGIN, API_KEY);
      short.addSecret('t', 'x');
      const backend = conjurBackend.create(configFor(short), deps);
      try {
        await backend.read('t', null, {}, signal());
        await new Promise((r) => setTimeout(r, 1100));
        await backend.read('t', null, {}, signal());
        assert.equal(authentications(short), 2);
        assert.equal(refusedReads(short), 0);
      } finally {
        await backend.close?.();
        await short.close();
      }
    });

    it('a read answered 401 authenticates again once and is tried once more', async () => {
      const backend = conjurBackend.create(configFor(fake), deps);
      fake.addSecret('retry/one', 'r1');
      await backend.read('retry/one', null, {}, signal());
      const mark = fake.requests.length;
      fake.rotateSigningKey();
      assert.equal((await backend.read('retry/one', null, {}, signal())).value, 'r1');
      assert.deepEqual(
        fake.requests.slice(mark).map((r) => [r.method, r.path.split('/')[1], r.status]),
        [
          ['GET', 'secrets', 401],
          ['POST', 'authn', 200],
          ['GET', 'secrets', 200],
        ],
      );
      // A Conjur that keeps refusing: two tries, two authentications, then unauthorized.
      const again = fake.requests.length;
      fake.rotateSigningKey();
      fake.failWith('secrets', 401);
      try {
        await failed(backend.read('retry/one', null, {}, signal()), 'unauthorized');
      } finally {
        fake.failWith('secrets', null);
      }
      assert.deepEqual(
        fake.requests.slice(again).map((r) => [r.method, r.status]),
        [
          ['GET', 401],
          ['POST', 200],
          ['GET', 401],
        ],
      );
      await backend.close?.();
    });

    it('20 concurrent reads share one authentication, and after a key rotation one re-authentication', async () => {
      const backend = conjurBackend.create(configFor(fake), deps);
      for (let i = 0; i < 20; i++) fake.addSecret(`burst/${i}`, `b${i}`);
      const burst = () => Promise.all(Array.from({ length: 20 }, (_, i) => backend.read(`burst/${i}`, null, {}, signal())));
      let mark = authentications(fake);
      assert.deepEqual(
        (await burst()).map((r) => r.value),
        Array.from({ length: 20 }, (_, i) => `b${i}`),
      );
      assert.equal(authentications(fake) - mark, 1);
      fake.rotateSigningKey();
      mark = authentications(fake);
      await burst();
      assert.equal(authentications(fake) - mark, 1);
      await backend.close?.();
    });

    it('a reader that gives up while the shared authentication hangs ends at once; the others get the token', async () => {
      const backend = conjurBackend.create(configFor(fake), deps);
      fake.addSecret('patient', 'p');
      fake.hang(true);
      try {
        const patient = backend.read('patient', null, {}, signal());
        const started = Date.now();
        const err = await failed(backend.read('patient', null, {}, AbortSignal.timeout(200)), 'unavailable');
        assert.ok(Date.now() - started < 1500, `the reader ended ${Date.now() - started} ms later`);
        assert.match(err.message, /cut off/);
        fake.hang(false);
        assert.equal((await patient).value, 'p');
      } finally {
        fake.hang(false);
      }
      await backend.close?.();
    });
  });

  describe('TLS and config', () => {
    it('trusts ca_cert as PEM text or a file path; a wrong CA refuses the connection as unavailable', async () => {
      fake.addSecret('tls', 'secure');
      for (const ca of [TEST_CA_PEM, TEST_CA_PATH]) {
        const backend = conjurBackend.create(configFor(fake, { ca_cert: ca }), deps);
        assert.equal((await backend.read('tls', null, {}, signal())).value, 'secure');
        await backend.close?.();
      }
      // A real public root, not the test CA: an explicit ca_cert replaces every other trust anchor.
      const wrong = conjurBackend.create(configFor(fake, { ca_cert: rootCertificates[0]! }), deps);
      const err = await failed(wrong.read('tls', null, {}, signal()), 'unavailable');
      assert.match(err.message, /TLS connection was refused \([A-Z_]+\).*ca_cert/);
      await wrong.close?.();
    });

    it('a ca_cert file that cannot be read, or an endpoint that is no URL, fails every read as unavailable saying why', async () => {
      const cases: [Partial<ConjurConfig>, RegExp][] = [
        [{ ca_cert: '/nonexistent/conjur-ca.pem' }, /\/nonexistent\/conjur-ca\.pem \(ENOENT\)/],
        [{ ca_cert: TEST_CA_PATH.replace(/test-ca\.pem$/, 'README.md') }, /does not hold a PEM/],
        [{ endpoint_url: 'https://user:pw-in-url@conjur.example.com' }, /endpoint_url is not/],
        [{ endpoint_url: 'https://' }, /endpoint_url is not/],
      ];
      for (const [overrides, says] of cases) {
        const backend = conjurBackend.create(configFor(fake, overrides), deps);
        const err = await failed(backend.read('tls', null, {}, signal()), 'unavailable');
        assert.match(err.message, says);
        assert.ok(!err.message.includes('pw-in-url'));
        await backend.close?.();
      }
    });

    it('a closed backend fails reads as unavailable', async () => {
      const backend = conjurBackend.create(configFor(fake), deps);
      await backend.read('tls', null, {}, signal());
      await backend.close?.();
      assert.match((await failed(backend.read('tls', null, {}, signal()), 'unavailable')).message, /closed/);
    });
  });

  it('no error message, stack or log line of this suite carries the API key or an access token', () => {
    const tokens = fake.requests.flatMap((r) => /token="([^"]+)"/.exec(r.headers.authorization ?? '')?.[1] ?? []);
    assert.ok(tokens.length > 10 && errors.length > 30, `${tokens.length} tokens, ${errors.length} errors`);
    // The token JSON's parts too (a signature alone would be enough to leak).
    const parts = tokens.flatMap((t) => Object.values(JSON.parse(Buffer.from(t, 'base64').toString('utf8')) as Record<string, string>));
    for (const text of [...errors, ...logs]) {
      for (const secret of [API_KEY, ...tokens, ...parts.filter((p) => p.length > 20)]) assert.ok(!text.includes(secret), `leaked in: ${text.slice(0, 200)}`);
    }
  });
});
