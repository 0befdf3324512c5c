import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Route } from '../entities/routes.js';
import type { RuntimeSnapshot } from './runtime-state.js';
import { createEntityFactory } from './testing/entities.js';
import { echoRequest, send, startUpstream, type Echo, type Upstream } from './testing/harness.js';
import { sendTls, startTlsProxy, type TestTlsProxy } from './testing/tls-harness.js';
import { parseResponses, rawExchange } from './testing/raw-http.js';
import { createSelfSignedTestCertificate } from '../../test/support/certificates.js';

const make = createEntityFactory();
/** `https_redirect_status_code` is a route field another part of issue 9 adds to the entity. */
const redirecting = (status: number) => ({ https_redirect_status_code: status }) as Partial<Route>;

describe('routes’ protocols on the two listeners', () => {
  let upstream: Upstream;
  let proxy: TestTlsProxy;
  let snapshot: RuntimeSnapshot;
  let hits = 0;

  before(async () => {
    upstream = await startUpstream((req, res) => {
      hits++;
      echoRequest(req, res);
    });
    const service = make.service({ name: 'echo', port: upstream.port });
    const to = { service: { id: service.id } };
    const guarded = make.route({ name: 'guarded', paths: ['/guarded'], protocols: ['https'], ...to });
    snapshot = {
      services: [service],
      routes: [
        make.route({ name: 'secure', paths: ['/secure'], protocols: ['https'], ...to }),
        make.route({ name: 'plain', paths: ['/plain'], protocols: ['http'], ...to }),
        make.route({ name: 'both', paths: ['/both'], ...to }),
        guarded,
        make.route({ name: 'r426', paths: ['/r426'], protocols: ['https'], ...redirecting(426), ...to }),
        ...[301, 302, 307, 308].map((status) =>
          make.route({ name: `r${status}`, paths: [`/r${status}`], protocols: ['https'], ...redirecting(status), ...to }),
        ),
      ],
      consumers: [],
      plugins: [make.plugin({ name: 'request-termination', route: { id: guarded.id }, config: { status_code: 451, message: 'Unavailable here' } })],
    };
    const defaults = await createSelfSignedTestCertificate({ names: ['default.test'] });
    proxy = await startTlsProxy(snapshot, defaults);
  });

  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  /** Runs `call` and says how many requests reached the upstream meanwhile. */
  async function upstreamHitsDuring<T>(call: () => Promise<T>): Promise<[T, number]> {
    const before = hits;
    const result = await call();
    return [result, hits - before];
  }

  describe('426 and redirects on the plain listener', () => {
    for (const path of ['/secure/x', '/r426']) {
      it(`answers ${path} (https only) with 426 PC_PROXY_HTTPS_REQUIRED, Upgrade and Connection, without reaching the upstream`, async () => {
        const [res, reached] = await upstreamHitsDuring(() => send(proxy.port, path, { headers: { host: 'shop.example.test' } }));
        assert.equal(res.status, 426);
        assert.deepEqual(res.json(), { code: 'PC_PROXY_HTTPS_REQUIRED', message: 'This route accepts only HTTPS' });
        assert.equal(res.headers['upgrade'], 'TLS/1.2, HTTP/1.1');
        assert.equal(res.headers['connection'], 'Upgrade, close', 'this client asked to close');
        assert.equal(res.headers['location'], undefined);
        assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
        assert.equal(reached, 0);
      });
    }

    it('runs no plugin for a refused request (the route’s request-termination answers only over TLS)', async () => {
      assert.equal((await send(proxy.port, '/guarded', { headers: { host: 'shop.example.test' } })).status, 426);
      assert.equal((await sendTls(proxy.tlsPort, '/guarded', { servername: 'shop.example.test', headers: { host: 'shop.example.test' } })).status, 451);
    });

    for (const status of [301, 302, 307, 308]) {
      it(`redirects with ${status} to the same host on the TLS port, path and query as sent`, async () => {
        const [res, reached] = await upstreamHitsDuring(() =>
          send(proxy.port, `/r${status}/a%2Fb/./c?y=1&z=%20`, { method: 'POST', headers: { host: 'shop.example.test:8000' }, body: 'x' }),
        );
        assert.equal(res.status, status);
        assert.equal(res.headers['location'], `https://shop.example.test:${proxy.tlsPort}/r${status}/a%2Fb/./c?y=1&z=%20`);
        assert.equal(res.text, '');
        assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
        assert.equal(reached, 0);
      });
    }

    it('redirects an absolute-form request to its authority', async () => {
      const raw = await rawExchange(proxy.port, 'GET http://shop.example.test/r308/p?q=1 HTTP/1.1\r\nHost: shop.example.test\r\nConnection: close\r\n\r\n');
      const [res] = parseResponses(raw);
      assert.equal(res!.status, 308);
      assert.equal(res!.headers['location'], `https://shop.example.test:${proxy.tlsPort}/r308/p?q=1`);
    });

    const badHosts: [string, string][] = [
      ['a Host with a path', 'evil.example/x'],
      ['a Host with userinfo', 'shop.example.test@evil.example'],
      ['a Host with a port that is not a number', 'shop.example.test:abc'],
      ['a Host with a space', 'shop example.test'],
      ['a Host with a backslash', 'evil.example\\x'],
    ];
    for (const [what, host] of badHosts) {
      it(`answers 426 without Location, never a redirect elsewhere, for ${what}`, async () => {
        const raw = await rawExchange(proxy.port, `GET /r301/x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
        const [res] = parseResponses(raw);
        assert.equal(res!.status, 426, raw);
        assert.equal(res!.headers['location'], undefined);
        assert.equal(JSON.parse(res!.body).code, 'PC_PROXY_HTTPS_REQUIRED');
      });
    }

    it('answers 426 to an HTTP/1.0 request without Host on a redirecting route, and closes as HTTP/1.0 wants', async () => {
      const [res] = parseResponses(await rawExchange(proxy.port, 'GET /r302 HTTP/1.0\r\n\r\n', 2000));
      assert.equal(res!.status, 426);
      assert.equal(res!.headers['location'], undefined);
      assert.equal(res!.headers['connection'], 'Upgrade, close');
    });

    it('keeps a keep-alive connection open after a 426, and closes one the client asked to close', async () => {
      const request = (connection: string) => `GET /secure HTTP/1.1\r\nHost: shop.example.test\r\nConnection: ${connection}\r\n\r\n`;
      // Two requests on one connection: both answered, the second closing it.
      const raw = await rawExchange(proxy.port, request('keep-alive') + request('close'), 2000);
      const responses = parseResponses(raw);
      assert.deepEqual(
        responses.map((r) => [r.status, r.headers['connection']]),
        [
          [426, 'Upgrade'],
          [426, 'Upgrade, close'],
        ],
      );
    });

    it('serves routes that take http, and counts refused requests under their route', async () => {
      assert.equal((await send(proxy.port, '/plain')).status, 200);
      assert.equal((await send(proxy.port, '/both')).status, 200);
      const counted = (await proxy.metrics.requests.get()).values.filter((v) => v.labels['route'] === 'r301' && String(v.labels['status']) === '301');
      assert.ok(counted.length === 1 && counted[0]!.value >= 1);
    });
  });

  describe('the TLS listener', () => {
    it('answers a route without https with 404 PC_PROXY_NO_ROUTE, as if no route matched', async () => {
      const [res, reached] = await upstreamHitsDuring(() => sendTls(proxy.tlsPort, '/plain/x', { servername: 'shop.example.test' }));
      assert.equal(res.status, 404);
      assert.equal(res.json()['code'], 'PC_PROXY_NO_ROUTE');
      assert.equal(reached, 0);
    });

    for (const path of ['/secure/x', '/both/x', '/r301/x']) {
      it(`serves ${path}`, async () => assert.equal((await sendTls(proxy.tlsPort, path, { servername: 'shop.example.test' })).status, 200));
    }

    it('tells the upstream https in X-Forwarded-Proto and Forwarded, and the TLS port, whatever the client sent', async () => {
      const res = await sendTls(proxy.tlsPort, '/both/x', {
        servername: 'shop.example.test',
        headers: { host: 'shop.example.test', 'x-forwarded-proto': 'http', 'x-forwarded-port': '80', forwarded: 'proto=http' },
      });
      const echo = res.json<Echo>();
      assert.equal(echo.headers['x-forwarded-proto'], 'https');
      assert.equal(echo.headers['x-forwarded-port'], String(proxy.tlsPort));
      assert.equal(echo.headers['x-forwarded-host'], 'shop.example.test');
      assert.equal(echo.headers['forwarded'], 'for=127.0.0.1;host="shop.example.test";proto=https');
      const plain = (await send(proxy.port, '/both/x', { headers: { host: 'shop.example.test' } })).json<Echo>();
      assert.equal(plain.headers['x-forwarded-proto'], 'http');
      assert.equal(plain.headers['x-forwarded-port'], String(proxy.port));
    });
  });

  describe('behind a trusted proxy that terminates TLS', () => {
    it('serves an https-only route on the plain listener when a trusted proxy says X-Forwarded-Proto: https, and only then', async () => {
      const defaults = await createSelfSignedTestCertificate({ names: ['default.test'] });
      const behind = await startTlsProxy(snapshot, defaults, { trusted_ips: ['127.0.0.1'] });
      try {
        const forwarded = await send(behind.port, '/secure/x', { headers: { host: 'shop.example.test', 'x-forwarded-proto': 'https' } });
        assert.equal(forwarded.status, 200);
        assert.equal(forwarded.json<Echo>().headers['x-forwarded-proto'], 'https');
        assert.equal((await send(behind.port, '/secure/x', { headers: { host: 'shop.example.test', 'x-forwarded-proto': 'http' } })).status, 426);
        assert.equal((await send(behind.port, '/secure/x', { headers: { host: 'shop.example.test' } })).status, 426);
      } finally {
        await behind.close();
      }
      // The same header from a client that is not trusted changes nothing.
      assert.equal((await send(proxy.port, '/secure/x', { headers: { host: 'shop.example.test', 'x-forwarded-proto': 'https' } })).status, 426);
    });
  });
});
