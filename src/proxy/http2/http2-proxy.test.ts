/**
 * HTTP/2 on the proxy, in process over loopback with Node's `http2` client: h2 over TLS by ALPN
 * and h2c with prior knowledge reach the same handler as HTTP/1.1 (routing, plugins, error
 * format, body streaming to an HTTP/1.1 upstream), and what HTTP/2 requests must not carry
 * (pseudo-headers, a Host naming another authority) never reaches the upstream.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createEntityFactory } from '../testing/entities.js';
import { echoRequest, startUpstream, type Echo, type Upstream } from '../testing/harness.js';
import { startTlsProxy, type TestTlsProxy } from '../testing/tls-harness.js';
import { createSelfSignedTestCertificate } from '../../../test/support/certificates.js';
import { h2request } from './testing/h2-request.js';

const make = createEntityFactory();

describe('HTTP/2 on the proxy: one handler for h2 over TLS, h2c and HTTP/1.1', () => {
  let upstream: Upstream;
  /** Starts an answer (200, chunked), then drops its connection (`/cut/drop`) or stalls (`/cut/stall`). */
  let cutting: Upstream;
  let proxy: TestTlsProxy;
  let h2cPort: number;
  const sessions: ClientHttp2Session[] = [];

  const open = (kind: 'tls' | 'h2c'): ClientHttp2Session => {
    const session =
      kind === 'tls'
        ? connect(`https://127.0.0.1:${proxy.tlsPort}`, { rejectUnauthorized: false, servername: 'default.test' })
        : connect(`http://127.0.0.1:${h2cPort}`);
    session.on('error', () => undefined);
    sessions.push(session);
    return session;
  };

  before(async () => {
    const defaults = await createSelfSignedTestCertificate({ names: ['default.test'] });
    upstream = await startUpstream(echoRequest);
    cutting = await startUpstream((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      if (req.url === '/cut/drop') setTimeout(() => res.destroy(), 20);
    });
    const service = make.service({ name: 'echo', port: upstream.port });
    const cut = make.service({ name: 'cut', port: cutting.port, read_timeout: 300 });
    const closed = make.route({ name: 'closed', paths: ['/closed'], service: { id: service.id } });
    proxy = await startTlsProxy(
      {
        services: [service, cut],
        routes: [
          make.route({ name: 'echo', paths: ['/echo'], strip_path: false, service: { id: service.id } }),
          closed,
          make.route({ name: 'secure-only', paths: ['/secure'], protocols: ['https'], service: { id: service.id } }),
          make.route({ name: 'cut', paths: ['/cut'], strip_path: false, service: { id: cut.id } }),
        ],
        consumers: [],
        plugins: [make.plugin({ name: 'request-termination', route: { id: closed.id }, config: { status_code: 503, message: 'closed for now' } })],
      },
      defaults,
      { proxy_listen_h2c: '127.0.0.1:0' },
    );
    h2cPort = (proxy.proxy.h2cServer!.address() as AddressInfo).port;
  });

  after(async () => {
    for (const s of sessions) s.destroy();
    await proxy.close();
    await upstream.close();
    await cutting.close();
  });

  for (const kind of ['tls', 'h2c'] as const) {
    const proto = kind === 'tls' ? 'https' : 'http';

    it(`${kind}: forwards a GET as HTTP/1.1 with Host from :authority, no pseudo-header, X-Forwarded-Proto ${proto}`, async () => {
      const res = await h2request(open(kind), { ':path': '/echo/a?b=1', 'x-custom': 'kept' });
      assert.equal(res.status, 200);
      const echo = JSON.parse(res.text) as Echo;
      assert.equal(echo.method, 'GET');
      assert.equal(echo.url, '/echo/a?b=1');
      assert.equal(echo.headers['x-custom'], 'kept');
      assert.equal(echo.headers['x-forwarded-proto'], proto);
      // Node's client names the TLS server name as :authority, the address for h2c.
      assert.equal(echo.headers['x-forwarded-host'], kind === 'tls' ? 'default.test' : '127.0.0.1');
      assert.ok(!Object.keys(echo.headers).some((name) => name.startsWith(':')), 'no pseudo-header upstream');
      assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    });

    for (const [label, headers, body] of [
      ['with content-length', { 'content-length': '11' }, 'hello world'],
      ['without content-length (END_STREAM frames the body)', {}, 'streamed body'],
      ['empty, ended by an empty DATA frame', {}, ''],
    ] as const) {
      it(`${kind}: streams a POST body ${label} to the upstream`, async () => {
        const res = await h2request(open(kind), { ':method': 'POST', ':path': '/echo/post', ...headers }, body);
        assert.equal(res.status, 200);
        const echo = JSON.parse(res.text) as Echo;
        assert.equal(echo.method, 'POST');
        assert.equal(echo.body, body);
      });
    }

    for (const [label, path, status, code] of [
      ['no route', '/nowhere', 404, 'PC_PROXY_NO_ROUTE'],
      ['a plugin answer (request-termination)', '/closed', 503, undefined],
    ] as const) {
      it(`${kind}: answers ${label} in the same JSON error format as HTTP/1.1`, async () => {
        const res = await h2request(open(kind), { ':path': path });
        assert.equal(res.status, status);
        assert.match(String(res.headers['content-type']), /^application\/json/);
        if (code !== undefined) assert.equal((JSON.parse(res.text) as { code: string }).code, code);
        assert.ok(res.headers['x-request-id']);
      });
    }

    for (const [label, headers] of [
      ['a Host naming another authority', { ':authority': '127.0.0.1', host: 'other.test' }],
      ['CONNECT', { ':method': 'CONNECT', ':authority': 'example.test:443' }],
    ] as const) {
      it(`${kind}: refuses ${label} without reaching the upstream`, async () => {
        const isConnect = ':method' in headers;
        const res = await h2request(open(kind), isConnect ? headers : { ':path': '/echo/x', ...headers });
        assert.equal(res.status, isConnect ? 405 : 400);
        assert.equal((JSON.parse(res.text) as { code: string }).code, isConnect ? 'PC_METHOD_NOT_ALLOWED' : 'PC_BAD_REQUEST');
      });
    }

    for (const [label, path] of [
      ['drops its connection', '/cut/drop'],
      ['stalls past its read timeout', '/cut/stall'],
    ] as const) {
      // A stream reset with NO_ERROR (what destroying it without an error sends) ends like a whole
      // answer for clients such as Node's: the part would pass for the whole.
      it(`${kind}: resets the stream with INTERNAL_ERROR when the upstream ${label} mid-answer`, async () => {
        const stream = open(kind).request({ ':path': path });
        const events: string[] = [];
        let status = 0;
        let body = '';
        stream.on('response', (headers) => (status = Number(headers[':status'])));
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => (body += chunk));
        stream.on('end', () => events.push('end'));
        stream.on('error', () => events.push('error'));
        await new Promise((resolve) => stream.once('close', resolve));
        assert.equal(status, 200);
        assert.equal(body, 'partial');
        assert.deepEqual(events, ['error'], 'the client must not see the answer end');
        assert.equal(stream.rstCode, constants.NGHTTP2_INTERNAL_ERROR);
      });
    }

    it(`${kind}: takes the Host field as the authority when :authority is absent`, async () => {
      const res = await h2request(open(kind), { ':path': '/echo/h', host: 'named.test' });
      assert.equal(res.status, 200);
      assert.equal((JSON.parse(res.text) as Echo).headers['x-forwarded-host'], 'named.test');
    });

    it(`${kind}: sends 100 Continue only once the request is accepted`, async () => {
      const session = open(kind);
      const stream = session.request({ ':method': 'POST', ':path': '/echo/continue', expect: '100-continue' }, { endStream: false });
      const continued = new Promise<void>((resolve) => stream.once('continue', resolve));
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      const ended = new Promise<void>((resolve, reject) => (stream.once('end', resolve), stream.once('error', reject)));
      await continued;
      stream.end('after continue');
      await ended;
      assert.equal((JSON.parse(Buffer.concat(chunks).toString('utf8')) as Echo).body, 'after continue');
    });
  }

  it('h2c: a route limited to https answers 426 without the connection-specific Upgrade field HTTP/2 forbids', async () => {
    const res = await h2request(open('h2c'), { ':path': '/secure/x' });
    assert.equal(res.status, 426);
    assert.equal((JSON.parse(res.text) as { code: string }).code, 'PC_PROXY_HTTPS_REQUIRED');
    assert.equal(res.headers['upgrade'], undefined);
  });

  it('tls: many concurrent streams on one connection each get their own answer', async () => {
    const session = open('tls');
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => h2request(session, { ':path': `/echo/n${i}` })));
    answers.forEach((res, i) => assert.equal((JSON.parse(res.text) as Echo).url, `/echo/n${i}`));
  });
});
