/**
 * Ambiguous and malformed requests through a real listener, with raw sockets: whether Node's
 * parser refuses them (the `clientError` path) or hands them to the handler, the answer is the
 * gateway's JSON error with an X-Request-Id, and the upstream never sees the request.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createEntityFactory } from './testing/entities.js';
import { echoRequest, startProxy, startUpstream, type TestProxy, type Upstream } from './testing/harness.js';
import { parseResponses, rawExchange } from './testing/raw-http.js';

const make = createEntityFactory();

describe('proxy server: ambiguous requests over raw sockets', () => {
  let upstream: Upstream;
  let proxy: TestProxy;
  let upstreamRequests = 0;

  before(async () => {
    upstream = await startUpstream((req, res) => {
      upstreamRequests++;
      echoRequest(req, res);
    });
    const svc = make.service({ port: upstream.port });
    proxy = await startProxy({ services: [svc], routes: [make.route({ paths: ['/api'], service: { id: svc.id } })], consumers: [], plugins: [] });
  });
  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  const refused: [string, string, number, string][] = [
    ['two Host headers', 'GET /api HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n', 400, 'PC_BAD_REQUEST'],
    ['two Host headers spelled differently', 'GET /api HTTP/1.1\r\nHost: a.test\r\nhOST: a.test\r\n\r\n', 400, 'PC_BAD_REQUEST'],
    ['two Host headers on HTTP/1.0', 'GET /api HTTP/1.0\r\nHost: a.test\r\nHost: b.test\r\n\r\n', 400, 'PC_BAD_REQUEST'],
    ['a Host unlike the absolute-form authority', 'GET http://a.test/api HTTP/1.1\r\nHost: b.test\r\n\r\n', 400, 'PC_BAD_REQUEST'],
    ['a Host unlike the absolute-form port', 'GET http://a.test:8080/api HTTP/1.1\r\nHost: a.test\r\n\r\n', 400, 'PC_BAD_REQUEST'],
    ['no Host on HTTP/1.1', 'GET /api HTTP/1.1\r\n\r\n', 400, 'PC_BAD_REQUEST'],
    ['an absolute form without Host on HTTP/1.1', 'GET http://a.test/api HTTP/1.1\r\n\r\n', 400, 'PC_BAD_REQUEST'],
    ['an HTTP/0.9 request line', 'GET /api\r\n\r\n', 400, 'PC_BAD_REQUEST'],
    ['an HTTP/0.9 version', 'GET /api HTTP/0.9\r\nHost: a.test\r\n\r\n', 400, 'PC_BAD_REQUEST'],
    ['an HTTP/2.0 request line', 'GET /api HTTP/2.0\r\nHost: a.test\r\n\r\n', 400, 'PC_BAD_REQUEST'],
    ['an HTTP/1.2 request line (parser)', 'GET /api HTTP/1.2\r\nHost: a.test\r\n\r\n', 400, 'PC_BAD_REQUEST'],
    ['an HTTP/3.0 request line (parser)', 'GET /api HTTP/3.0\r\nHost: a.test\r\n\r\n', 400, 'PC_BAD_REQUEST'],
    ['the HTTP/2 connection preface (parser)', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400, 'PC_BAD_REQUEST'],
    ['a lower-case protocol name (parser)', 'GET /api http/1.1\r\nHost: a.test\r\n\r\n', 400, 'PC_BAD_REQUEST'],
    ['a raw non-ASCII byte in the target (parser)', 'GET /api/\xc0\xae HTTP/1.1\r\nHost: a.test\r\n\r\n', 400, 'PC_BAD_REQUEST'],
    [
      'Content-Length with Transfer-Encoding (parser)',
      'POST /api HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
      'PC_BAD_REQUEST',
    ],
    ['an obsolete folded header (parser)', 'GET /api HTTP/1.1\r\nHost: a.test\r\nX-A: 1\r\n 2\r\n\r\n', 400, 'PC_BAD_REQUEST'],
    ['a space before the colon (parser)', 'GET /api HTTP/1.1\r\nHost : a.test\r\n\r\n', 400, 'PC_BAD_REQUEST'],
    ['an unknown method (parser)', 'FOO /api HTTP/1.1\r\nHost: a.test\r\n\r\n', 400, 'PC_BAD_REQUEST'],
    ['an Expect other than 100-continue', 'GET /api HTTP/1.1\r\nHost: a.test\r\nExpect: 200-ok\r\n\r\n', 417, 'PC_EXPECTATION_FAILED'],
    ['CONNECT', 'CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n', 405, 'PC_METHOD_NOT_ALLOWED'],
    ['headers over max_header_size (parser)', `GET /api HTTP/1.1\r\nHost: a.test\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`, 431, 'PC_HEADERS_TOO_LARGE'],
  ];
  for (const [what, request, status, code] of refused) {
    it(`refuses ${what} with ${status} ${code} in JSON, with X-Request-Id, and closes`, async () => {
      const before = upstreamRequests;
      const raw = await rawExchange(proxy.port, Buffer.from(request, 'latin1'));
      const responses = parseResponses(raw);
      assert.equal(responses.length, 1, raw);
      const [res] = responses;
      assert.equal(res!.status, status, raw);
      assert.equal(res!.headers['content-type'], 'application/json');
      assert.match(res!.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
      assert.equal(res!.headers['connection'], 'close');
      assert.equal((JSON.parse(res!.body) as { code: string }).code, code);
      assert.equal(upstreamRequests, before, 'the upstream saw nothing');
    });
  }

  const accepted: [string, string][] = [
    ['one Host header', 'GET /api HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n'],
    ['an absolute form whose authority equals the Host, case aside', 'GET http://A.test/api HTTP/1.1\r\nHost: a.TEST\r\nConnection: close\r\n\r\n'],
    ['HTTP/1.0 without Host', 'GET /api HTTP/1.0\r\n\r\n'],
    ['an empty Host on HTTP/1.1', 'GET /api HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n'],
  ];
  for (const [what, request] of accepted) {
    it(`forwards ${what}`, async () => {
      const [res] = parseResponses(await rawExchange(proxy.port, request));
      assert.equal(res?.status, 200);
    });
  }
});
