/**
 * Framing and path hardening through the real CLI, with raw sockets and the real key-auth plugin
 * over a real store: paths that would leave the routed tree, ambiguous requests, regex routes that
 * cannot be made slow, and `Expect: 100-continue` answered only after authentication.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { admin, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { startEchoUpstream, type Echo, type EchoUpstream } from './support/upstream.js';
import { finalResponseArrived, parseResponses, rawExchange, RawConnection, type RawResponse } from '../../src/proxy/testing/raw-http.js';

const LIMIT = 4096;

describe('framing and paths through the real CLI', () => {
  let node: CliNode;
  let upstream: EchoUpstream;
  let port: number;
  let key: string;
  let upstreamRequests = 0;

  before(async () => {
    upstream = await startEchoUpstream();
    upstream.server.on('request', () => upstreamRequests++);
    node = await startCliNode(writeConfig({ max_request_body_size: LIMIT }));
    port = Number(new URL(node.proxyUrl).port);
    const created = async (path: string, body: unknown) => assert.equal((await admin(node, 'POST', path, body)).status, 201, `${path} ${JSON.stringify(body)}`);
    await created('/services', { name: 'public', url: `${upstream.url}/pub` });
    await created('/services', { name: 'private', url: `${upstream.url}/private` });
    await created('/services/public/routes', { name: 'files', paths: ['/files'] });
    await created('/services/public/routes', { name: 'open-rx', paths: ['~/open'] });
    await created('/services/public/routes', { name: 'evil', paths: ['~/evil/(a+)+$'] });
    await created('/services/private/routes', { name: 'private', paths: ['/private'] });
    await created('/services/private/routes', { name: 'body-key', paths: ['/body-key'] });
    await created('/services/private/routes', { name: 'closed', paths: ['/closed'] });
    await created('/routes/private/plugins', { name: 'key-auth' });
    await created('/routes/body-key/plugins', { name: 'key-auth', config: { key_in_body: true, key_in_header: false, key_names: ['apikey'] } });
    await created('/routes/closed/plugins', { name: 'request-termination', config: { status_code: 403, message: 'closed' } });
    await created('/consumers', { username: 'alice' });
    const generated = await admin(node, 'POST', '/services/private/api-keys', { name: 'k', consumer: 'alice' });
    assert.equal(generated.status, 201);
    key = generated.body.api_key;
  });
  after(async () => {
    await node.stop();
    await upstream.close();
  });

  const get = async (target: string, extra = ''): Promise<RawResponse> => {
    const [res] = parseResponses(await rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: gw.test\r\n${extra}Connection: close\r\n\r\n`));
    assert.ok(res, target);
    return res;
  };
  const codeOf = (res: RawResponse) => (JSON.parse(res.body) as { code: string }).code;

  describe('path confinement', () => {
    it('serves the open route inside its service path', async () => {
      const res = await get('/files/a%2Fb');
      assert.equal(res.status, 200);
      assert.equal((JSON.parse(res.body) as Echo).url, '/pub/a%2Fb');
    });

    const escapes: [string, number, string][] = [
      ['/files../private/x', 404, 'PC_PROXY_NO_ROUTE'],
      ['/files%2e%2e/private/x', 404, 'PC_PROXY_NO_ROUTE'],
      ['/files.%2e/private/x', 404, 'PC_PROXY_NO_ROUTE'],
      ['/files/..%2fprivate/x', 400, 'PC_PROXY_PATH_REFUSED'],
      ['/files/%2e%2e%5cprivate/x', 400, 'PC_PROXY_PATH_REFUSED'],
      ['/files/%c0%ae%c0%ae/private/x', 400, 'PC_PROXY_PATH_REFUSED'],
      ['/files\\..\\private\\x', 400, 'PC_PROXY_PATH_REFUSED'],
      ['/open../private/x', 400, 'PC_PROXY_PATH_REFUSED'],
      ['/open%2e%2e/private/x', 400, 'PC_PROXY_PATH_REFUSED'],
      ['/open..;/private/x', 400, 'PC_PROXY_PATH_REFUSED'],
    ];
    for (const [target, status, code] of escapes) {
      it(`never lets ${target} reach the key-protected path through the open route (${status})`, async () => {
        const before = upstreamRequests;
        const res = await get(target);
        assert.equal(res.status, status);
        assert.equal(codeOf(res), code);
        assert.ok(res.headers['x-request-id']);
        assert.equal(upstreamRequests, before);
      });
    }
  });

  describe('ambiguous requests', () => {
    const cases: [string, string][] = [
      ['two Host headers', 'GET /files HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n'],
      ['no Host on HTTP/1.1', 'GET /files HTTP/1.1\r\n\r\n'],
      ['an HTTP/2.0 request line', 'GET /files HTTP/2.0\r\nHost: a.test\r\n\r\n'],
      ['an HTTP/1.2 request line', 'GET /files HTTP/1.2\r\nHost: a.test\r\n\r\n'],
      ['a Host unlike the absolute-form authority', 'GET http://a.test/files HTTP/1.1\r\nHost: b.test\r\n\r\n'],
    ];
    for (const [what, request] of cases) {
      it(`refuses ${what} with 400 PC_BAD_REQUEST in JSON with an X-Request-Id`, async () => {
        const [res] = parseResponses(await rawExchange(port, request));
        assert.equal(res?.status, 400);
        assert.equal(codeOf(res!), 'PC_BAD_REQUEST');
        assert.ok(res!.headers['x-request-id']);
      });
    }
  });

  describe('regex routes', () => {
    it('refuses a pattern RE2 cannot run at write time, naming paths.<i>', async () => {
      const res = await admin(node, 'POST', '/services/public/routes', { name: 'lookahead', paths: ['/fine', '~/(?=x)x'] });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'PC_VALIDATION_FAILED');
      assert.equal(res.body.fields[0].path, 'paths.1');
      assert.match(res.body.fields[0].message, /RE2/);
    });

    it('answers a crafted path against (a+)+$ at once', async () => {
      const started = performance.now();
      const res = await get(`/evil/${'a'.repeat(24)}!`);
      assert.equal(res.status, 404);
      assert.ok(performance.now() - started < 1000, 'V8 would backtrack for minutes');
    });
  });

  describe('Expect: 100-continue after authentication', () => {
    const post = (path: string, extra: string, length: number) =>
      `POST ${path} HTTP/1.1\r\nHost: gw.test\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${extra}\r\n`;

    const refusals: [string, string, number][] = [
      ['no key', post('/private', '', 2), 401],
      ['a wrong key', post('/private', `X-Api-Key: pcg_${'0'.repeat(72)}\r\n`, 2), 401],
      ['a body over the limit', post('/private', `X-Api-Key: ${'KEY'}\r\n`, LIMIT + 1), 413],
      ['no route', post('/nowhere', '', 2), 404],
      ['request-termination', post('/closed', '', 2), 403],
    ];
    for (const [what, template, status] of refusals) {
      it(`answers ${what} with ${status} and no 100 first, then closes without reading the body`, async () => {
        const before = upstreamRequests;
        const conn = await RawConnection.open(port);
        try {
          conn.write(template.replace('KEY', key));
          const received = await conn.waitFor(finalResponseArrived);
          assert.match(received, new RegExp(`^HTTP/1\\.1 ${status} `));
          assert.equal(parseResponses(received)[0]!.headers['connection'], 'close');
          assert.equal(await conn.waitForClose(), true);
          assert.equal(upstreamRequests, before);
        } finally {
          conn.destroy();
        }
      });
    }

    it('sends 100 for a valid key, then forwards the body to the upstream', async () => {
      const conn = await RawConnection.open(port);
      try {
        conn.write(post('/private', `X-Api-Key: ${key}\r\n`, 7));
        assert.equal(await conn.waitFor((r) => r.includes('\r\n\r\n')), 'HTTP/1.1 100 Continue\r\n\r\n');
        conn.write('{"a":1}');
        const received = await conn.waitFor((r) => parseResponses(r)[1]?.complete === true);
        const echo = JSON.parse(parseResponses(received)[1]!.body) as Echo;
        assert.equal(echo.url, '/private');
        assert.equal(echo.body, '{"a":1}');
        assert.equal(echo.headers['x-consumer-username'], 'alice');
      } finally {
        conn.destroy();
      }
    });

    it('sends 100 before reading a body that carries the key (key_in_body), then authenticates from it', async () => {
      for (const [value, status] of [
        [key, 200],
        [`pcg_${'0'.repeat(72)}`, 401],
      ] as const) {
        const body = JSON.stringify({ apikey: value, n: 1 });
        const conn = await RawConnection.open(port);
        try {
          conn.write(post('/body-key', '', Buffer.byteLength(body)));
          assert.equal(await conn.waitFor((r) => r.includes('\r\n\r\n')), 'HTTP/1.1 100 Continue\r\n\r\n');
          conn.write(body);
          const received = await conn.waitFor((r) => parseResponses(r)[1]?.complete === true);
          assert.equal(parseResponses(received)[1]!.status, status);
        } finally {
          conn.destroy();
        }
      }
    });
  });
});
