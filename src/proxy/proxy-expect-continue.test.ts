/**
 * `Expect: 100-continue` only after routing and the access phase accepted the request, through a
 * real listener with raw sockets: a refused request gets its final answer (no `100` before it),
 * with `Connection: close`, and the body is never read nor forwarded; an accepted one gets the
 * `100`, then its body reaches the upstream.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createEntityFactory } from './testing/entities.js';
import { echoRequest, startProxy, startUpstream, type Echo, type TestProxy, type Upstream } from './testing/harness.js';
import { finalResponseArrived, parseResponses, RawConnection } from './testing/raw-http.js';
import { authPlugin, slowAuthPlugin } from './testing/plugins.js';
import { BUILTIN_PLUGINS } from '../plugins/registry.js';

const make = createEntityFactory();
const LIMIT = 1000;

describe('proxy server: Expect: 100-continue after the access phase, over raw sockets', () => {
  let upstream: Upstream;
  let proxy: TestProxy;
  let upstreamRequests = 0;

  before(async () => {
    upstream = await startUpstream((req, res) => {
      upstreamRequests++;
      echoRequest(req, res);
    });
    const svc = make.service({ port: upstream.port, path: '/up' });
    const on = (name: string, paths: string[]) => make.route({ name, paths, service: { id: svc.id } });
    const routes = [on('auth', ['/auth']), on('slow', ['/slow']), on('open', ['/open', '~/rx']), on('term', ['/term'])];
    proxy = await startProxy(
      {
        services: [svc],
        routes,
        consumers: [],
        plugins: [
          make.plugin({ name: 'auth', route: { id: routes[0]!.id } }),
          make.plugin({ name: 'slow-auth', route: { id: routes[1]!.id } }),
          make.plugin({ name: 'request-termination', route: { id: routes[3]!.id }, config: { status_code: 403, message: 'closed' } }),
        ],
      },
      { max_request_body_size: LIMIT },
      [...BUILTIN_PLUGINS, authPlugin, slowAuthPlugin],
    );
  });
  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  const head = (path: string, extra = '', length = 5) =>
    `POST ${path} HTTP/1.1\r\nHost: gw.test\r\nExpect: 100-continue\r\nContent-Length: ${length}\r\n${extra}\r\n`;

  const refusals: [string, string, number, string][] = [
    ['no credential (sync access phase)', head('/auth'), 401, 'PC_AUTH_KEY_INVALID'],
    ['no credential (async access phase)', head('/slow'), 401, 'PC_AUTH_KEY_INVALID'],
    ['a request-termination plugin', head('/term', 'X-Consumer: alice\r\n'), 403, 'PC_PROXY_REQUEST_TERMINATED'],
    ['a Content-Length over the limit', head('/open', '', LIMIT + 1), 413, 'PC_BODY_TOO_LARGE'],
    ['no route', head('/nothing'), 404, 'PC_PROXY_NO_ROUTE'],
    ['a refused path', head('/rx..'), 400, 'PC_PROXY_PATH_REFUSED'],
    ['two Host headers', head('/open', 'Host: other.test\r\n'), 400, 'PC_BAD_REQUEST'],
  ];
  for (const [what, request, status, code] of refusals) {
    it(`answers ${what} with ${status} before any 100, closes, and never reads the body`, async () => {
      const before = upstreamRequests;
      const conn = await RawConnection.open(proxy.port);
      try {
        conn.write(request);
        const received = await conn.waitFor(finalResponseArrived);
        assert.match(received, new RegExp(`^HTTP/1\\.1 ${status} `), 'the first thing the client sees is the final answer');
        assert.doesNotMatch(received, /HTTP\/1\.1 100/);
        const [res] = parseResponses(received);
        assert.equal(res!.headers['connection'], 'close');
        assert.ok(res!.headers['x-request-id']);
        assert.equal((JSON.parse(res!.body) as { code: string }).code, code);
        assert.equal(await conn.waitForClose(), true, 'the proxy closes the connection instead of reading the body');
        assert.equal(upstreamRequests, before, 'the upstream saw nothing');
      } finally {
        conn.destroy();
      }
    });
  }

  const accepted: [string, string][] = [
    ['a valid credential (sync access phase)', '/auth'],
    ['a valid credential (async access phase)', '/slow'],
    ['a route without plugins', '/open'],
  ];
  for (const [what, path] of accepted) {
    it(`sends 100 Continue for ${what}, then forwards the body and keeps the connection`, async () => {
      const conn = await RawConnection.open(proxy.port);
      try {
        conn.write(head(path, 'X-Consumer: alice\r\n'));
        const interim = await conn.waitFor((r) => r.includes('\r\n\r\n'));
        assert.equal(interim, 'HTTP/1.1 100 Continue\r\n\r\n', 'only the 100 before the body is sent');
        conn.write('hello');
        const received = await conn.waitFor((r) => parseResponses(r)[1]?.complete === true);
        const [, res] = parseResponses(received);
        assert.equal(res!.status, 200);
        const echo = JSON.parse(res!.body) as Echo;
        assert.equal(echo.body, 'hello');
        assert.equal(echo.headers['expect'], undefined, 'Expect is hop-by-hop: the upstream gets the whole body at once');
        assert.notEqual(res!.headers['connection'], 'close');
        conn.write(`GET ${path} HTTP/1.1\r\nHost: gw.test\r\nX-Consumer: alice\r\nConnection: close\r\n\r\n`);
        assert.equal(await conn.waitForClose(), true);
        assert.equal(parseResponses(conn.received)[2]?.status, 200, 'the connection served the next request');
      } finally {
        conn.destroy();
      }
    });
  }

  it('sends 100 Continue for an accepted chunked body, and still enforces the limit on it', async () => {
    const conn = await RawConnection.open(proxy.port);
    try {
      conn.write('POST /auth HTTP/1.1\r\nHost: gw.test\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\nX-Consumer: alice\r\n\r\n');
      assert.equal(await conn.waitFor((r) => r.includes('\r\n\r\n')), 'HTTP/1.1 100 Continue\r\n\r\n');
      conn.write(`${(LIMIT + 10).toString(16)}\r\n${'x'.repeat(LIMIT + 10)}\r\n0\r\n\r\n`);
      const received = await conn.waitFor((r) => parseResponses(r)[1]?.complete === true);
      assert.equal(parseResponses(received)[1]!.status, 413);
    } finally {
      conn.destroy();
    }
  });
});
