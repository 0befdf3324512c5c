import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createEntityFactory } from './testing/entities.js';
import { echoRequest, send, startProxy, startUpstream, type Echo, type TestProxy, type Upstream } from './testing/harness.js';
import { rawExchange } from './testing/raw-http.js';

const make = createEntityFactory();

describe('proxy server: routing and headers', () => {
  let upstream: Upstream;
  let proxy: TestProxy;
  const service = () => make.service({ name: 'echo', port: upstream.port, path: '/base' });

  before(async () => {
    upstream = await startUpstream((req, res) => {
      if (req.url?.endsWith('/hop')) {
        res.writeHead(200, { connection: 'x-private', 'x-private': 'secret', 'keep-alive': 'timeout=5', 'x-kept': 'yes' });
        return res.end('ok');
      }
      echoRequest(req, res);
    });
    const svc = service();
    proxy = await startProxy({
      services: [svc],
      routes: [
        make.route({ name: 'api', paths: ['/api'], service: { id: svc.id } }),
        make.route({ name: 'kept', paths: ['/kept'], strip_path: false, preserve_host: true, service: { id: svc.id } }),
        make.route({ name: 'admin', paths: ['/admin'], service: { id: svc.id } }),
        make.route({ name: 'public', paths: ['/public'], service: { id: svc.id } }),
        make.route({ name: 'serviceless', paths: ['/nowhere'] }),
      ],
      consumers: [],
      plugins: [],
    });
  });

  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('forwards to the service with the matched prefix stripped and the query string kept', async () => {
    const res = await send(proxy.port, '/api/users?limit=2&x=%20', { method: 'PUT', body: 'hello', headers: { 'content-type': 'text/plain' } });
    assert.equal(res.status, 200);
    const echo = res.json<Echo>();
    assert.equal(echo.method, 'PUT');
    assert.equal(echo.url, '/base/users?limit=2&x=%20');
    assert.equal(echo.body, 'hello');
    assert.equal(echo.headers['host'], `127.0.0.1:${upstream.port}`);
  });

  it("sends the client's Host with preserve_host and keeps the path with strip_path off", async () => {
    const echo = (await send(proxy.port, '/kept/x', { headers: { host: 'shop.example.com' } })).json<Echo>();
    assert.equal(echo.url, '/base/kept/x');
    assert.equal(echo.headers['host'], 'shop.example.com');
  });

  it('sets X-Forwarded-* and X-Request-Id and answers with the same request id', async () => {
    const res = await send(proxy.port, '/api', { headers: { host: 'gw.example.com:8443', 'x-forwarded-for': '203.0.113.9' } });
    const echo = res.json<Echo>();
    assert.equal(echo.headers['x-forwarded-for'], '127.0.0.1', 'a client that is not a trusted proxy cannot add to the chain');
    assert.equal(echo.headers['x-forwarded-proto'], 'http');
    assert.equal(echo.headers['x-forwarded-host'], 'gw.example.com');
    assert.equal(echo.headers['x-forwarded-port'], String(proxy.port));
    assert.match(String(echo.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(res.headers['x-request-id'], echo.headers['x-request-id']);
  });

  it("keeps a client's valid X-Request-Id", async () => {
    const res = await send(proxy.port, '/api', { headers: { 'x-request-id': 'client-trace-42' } });
    assert.equal(res.json<Echo>().headers['x-request-id'], 'client-trace-42');
    assert.equal(res.headers['x-request-id'], 'client-trace-42');
  });

  it('strips hop-by-hop headers, and those named in Connection, in both directions', async () => {
    const echo = (
      await send(proxy.port, '/api', {
        headers: { connection: 'keep-alive, x-hop', 'x-hop': 'no', te: 'trailers', 'proxy-authorization': 'Basic eA==', 'x-end': 'yes' },
      })
    ).json<Echo>();
    assert.equal(echo.headers['x-hop'], undefined);
    assert.equal(echo.headers['te'], undefined);
    assert.equal(echo.headers['proxy-authorization'], undefined);
    assert.equal(echo.headers['x-end'], 'yes');
    const res = await send(proxy.port, '/api/hop');
    assert.equal(res.headers['x-private'], undefined);
    assert.equal(res.headers['keep-alive'], undefined);
    assert.equal(res.headers['x-kept'], 'yes');
  });

  it('answers 404 PC_PROXY_NO_ROUTE in JSON when no route matches', async () => {
    const res = await send(proxy.port, '/nothing-here');
    assert.equal(res.status, 404);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.ok(res.headers['x-request-id']);
    assert.deepEqual(res.json(), { code: 'PC_PROXY_NO_ROUTE', message: 'No route matched this request' });
  });

  it('answers 503 for a route without a service', async () => {
    const res = await send(proxy.port, '/nowhere');
    assert.equal(res.status, 503);
    assert.equal(res.json()['code'], 'PC_PROXY_NO_SERVICE');
  });

  it('routes and forwards the normalised path, so dot segments cannot escape a prefix', async () => {
    const echo = (await send(proxy.port, '/public/%2e%2e/admin/secrets')).json<Echo>();
    assert.equal(echo.url, '/base/secrets', 'matched /admin, not /public');
  });

  it('accepts an absolute-form target and routes on its authority', async () => {
    const raw = await rawExchange(proxy.port, 'GET http://gw.example.com/api/abs?q=1 HTTP/1.1\r\nHost: gw.example.com\r\nConnection: close\r\n\r\n');
    assert.match(raw, /^HTTP\/1\.1 200 /);
    assert.match(raw, /"url":"\/base\/abs\?q=1"/);
    assert.match(raw, /"x-forwarded-host":"gw.example.com"/);
  });

  it('refuses CONNECT with 405 in JSON', async () => {
    const raw = await rawExchange(proxy.port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    assert.match(raw, /^HTTP\/1\.1 405 /);
    assert.match(raw, /"code":"PC_METHOD_NOT_ALLOWED"/);
  });

  it('answers 431 in JSON when the request headers exceed max_header_size', async () => {
    const res = await send(proxy.port, '/api', { headers: { 'x-big': 'a'.repeat(20 * 1024) } });
    assert.equal(res.status, 431);
    assert.deepEqual(res.json(), { code: 'PC_HEADERS_TOO_LARGE', message: 'The request headers are too large' });
  });

  it('answers 400 in JSON to a malformed request (the strict parser stays on)', async () => {
    const raw = await rawExchange(proxy.port, 'GET /api HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    assert.match(raw, /^HTTP\/1\.1 400 /);
    assert.match(raw, /"code":"PC_BAD_REQUEST"/);
  });

  it('counts requests by route, service and status', async () => {
    await send(proxy.port, '/api');
    const text = await proxy.metrics.registry.metrics();
    assert.match(text, /portcullis_http_requests_total\{route="api",service="echo",status="200"\} \d+/);
    assert.match(text, /portcullis_http_requests_total\{route="",service="",status="404"\} \d+/);
  });
});

describe('proxy server: configuration changes and shutdown', () => {
  it('applies a new configuration to the next request without a restart', async () => {
    const upstream = await startUpstream(echoRequest);
    const svc = make.service({ port: upstream.port });
    const proxy = await startProxy({ services: [svc], routes: [], consumers: [], plugins: [] });
    try {
      assert.equal((await send(proxy.port, '/new')).status, 404);
      proxy.apply({ services: [svc], routes: [make.route({ paths: ['/new'], service: { id: svc.id } })], consumers: [], plugins: [] });
      assert.equal((await send(proxy.port, '/new')).status, 200);
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });

  it('lets an in-flight request finish when closing, then stops accepting', async () => {
    const upstream = await startUpstream((req, res) => setTimeout(() => echoRequest(req, res), 300));
    const svc = make.service({ port: upstream.port });
    const proxy = await startProxy(
      { services: [svc], routes: [make.route({ paths: ['/'], service: { id: svc.id } })], consumers: [], plugins: [] },
      { shutdown_timeout: 5000 },
    );
    try {
      const inFlight = send(proxy.port, '/slow');
      await new Promise((r) => setTimeout(r, 100));
      const closing = proxy.close();
      const res = await inFlight;
      assert.equal(res.status, 200);
      assert.equal(res.headers['connection'], 'close');
      await closing;
      await assert.rejects(send(proxy.port, '/after'), /ECONNREFUSED/);
    } finally {
      await upstream.close();
    }
  });

  it('cuts requests still running when shutdown_timeout expires', async () => {
    const upstream = await startUpstream(() => {});
    const svc = make.service({ port: upstream.port });
    const proxy = await startProxy(
      { services: [svc], routes: [make.route({ paths: ['/'], service: { id: svc.id } })], consumers: [], plugins: [] },
      { shutdown_timeout: 200 },
    );
    try {
      const inFlight = send(proxy.port, '/hang').then(
        () => 'answered',
        (err: NodeJS.ErrnoException) => err.code,
      );
      await new Promise((r) => setTimeout(r, 100));
      const started = performance.now();
      await proxy.close();
      assert.ok(performance.now() - started < 1000, 'closed soon after the 200 ms shutdown_timeout');
      assert.equal(await inFlight, 'ECONNRESET');
    } finally {
      await upstream.close();
    }
  });
});
