import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildUpstreamHeaders, connectionTokens, filterResponseHeaders, pickRequestId } from './headers.js';

const facts = { clientIp: '10.0.0.7', requestId: 'req-1', requestHost: 'api.example.com:8000', port: '8000', upstreamHost: 'upstream.internal:9000' };

describe('buildUpstreamHeaders', () => {
  it('drops hop-by-hop headers and every header the Connection header names', () => {
    const out = buildUpstreamHeaders(
      {
        connection: 'keep-alive, X-Secret-Hop',
        'keep-alive': 'timeout=5',
        'proxy-connection': 'keep-alive',
        te: 'trailers',
        trailer: 'x-checksum',
        'transfer-encoding': 'chunked',
        upgrade: 'h2c',
        'proxy-authorization': 'Basic abc',
        expect: '100-continue',
        'x-secret-hop': 'dropped',
        accept: 'application/json',
      },
      facts,
    );
    for (const name of [
      'connection',
      'keep-alive',
      'proxy-connection',
      'te',
      'trailer',
      'transfer-encoding',
      'upgrade',
      'proxy-authorization',
      'expect',
      'x-secret-hop',
    ]) {
      assert.equal(out[name], undefined, name);
    }
    assert.equal(out['accept'], 'application/json');
  });

  it('appends the client address to X-Forwarded-For and overwrites the other X-Forwarded headers', () => {
    const out = buildUpstreamHeaders(
      { host: 'api.example.com:8000', 'x-forwarded-for': '1.2.3.4', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil', 'x-forwarded-port': '1' },
      facts,
    );
    assert.equal(out['x-forwarded-for'], '1.2.3.4, 10.0.0.7');
    assert.equal(out['x-forwarded-proto'], 'http');
    assert.equal(out['x-forwarded-host'], 'api.example.com');
    assert.equal(out['x-forwarded-port'], '8000');
    assert.equal(out['x-request-id'], 'req-1');
    assert.equal(out['host'], 'upstream.internal:9000');
  });

  it('does not change the incoming headers', () => {
    const incoming = { connection: 'close', host: 'a' };
    buildUpstreamHeaders(incoming, facts);
    assert.deepEqual(incoming, { connection: 'close', host: 'a' });
  });
});

describe('filterResponseHeaders', () => {
  it('drops hop-by-hop and Connection-listed headers and keeps repeated Set-Cookie values', () => {
    const out = filterResponseHeaders({
      connection: 'x-internal',
      'x-internal': '1',
      'transfer-encoding': 'chunked',
      'keep-alive': 'timeout=5',
      'set-cookie': ['a=1', 'b=2'],
      'content-type': 'text/plain',
    });
    assert.deepEqual(out, { 'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/plain' });
  });
});

describe('connectionTokens', () => {
  it('allocates nothing for the usual keep-alive and close values', () => {
    assert.equal(connectionTokens(undefined), null);
    assert.equal(connectionTokens('keep-alive'), null);
    assert.equal(connectionTokens('close'), null);
    assert.deepEqual(connectionTokens('Keep-Alive, X-A ,x-b'), ['x-a', 'x-b']);
  });
});

describe('pickRequestId', () => {
  it("keeps a client's plausible request id", () => {
    assert.equal(pickRequestId('trace-0af7651916cd43dd8448eb211c80319c'), 'trace-0af7651916cd43dd8448eb211c80319c');
  });

  it('replaces a missing, repeated, oversized or strange id with a fresh UUID', () => {
    for (const bad of [undefined, ['a', 'b'], 'x'.repeat(129), 'has space', 'new\nline', '']) {
      assert.match(pickRequestId(bad), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });
});

describe('identity headers', () => {
  it('drops client-sent consumer headers on every route, so upstreams can trust them', () => {
    const out = buildUpstreamHeaders(
      {
        'x-consumer-id': 'spoofed',
        'x-consumer-username': 'mallory',
        'x-consumer-custom-id': 'c',
        'x-credential-identifier': 'k',
        'x-anonymous-consumer': 'true',
        accept: '*/*',
      },
      { clientIp: '10.0.0.1', requestId: 'r', requestHost: 'h', port: '8000', upstreamHost: 'u' },
    );
    for (const name of ['x-consumer-id', 'x-consumer-username', 'x-consumer-custom-id', 'x-credential-identifier', 'x-anonymous-consumer'])
      assert.equal(out[name], undefined, name);
    assert.equal(out['accept'], '*/*');
  });
});
