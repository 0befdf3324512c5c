import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildUpstreamHeaders, connectionTokens, filterResponseHeaders, forwardedElement, pickRequestId } from './headers.js';
import { SPOOFED_HEADER_NAMES } from './testing/spoofed-header-names.js';

const facts = {
  peerIp: '10.0.0.7',
  trustedPeer: false,
  clientIp: '10.0.0.7',
  requestId: 'req-1',
  requestHost: 'api.example.com:8000',
  port: '8000',
  upstreamHost: 'upstream.internal:9000',
  proto: 'http' as const,
};

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

  it('replaces every forwarding header of a client that is not a trusted proxy with what this listener saw', () => {
    const out = buildUpstreamHeaders(
      {
        host: 'api.example.com:8000',
        'x-forwarded-for': '1.2.3.4',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'evil',
        'x-forwarded-port': '1',
        forwarded: 'for=1.2.3.4',
        'x-real-ip': '1.2.3.4',
      },
      facts,
    );
    assert.equal(out['x-forwarded-for'], '10.0.0.7');
    assert.equal(out['x-forwarded-proto'], 'http');
    assert.equal(out['x-forwarded-host'], 'api.example.com');
    assert.equal(out['x-forwarded-port'], '8000');
    assert.equal(out['forwarded'], 'for=10.0.0.7;host="api.example.com:8000";proto=http');
    assert.equal(out['x-real-ip'], '10.0.0.7');
    assert.equal(out['x-request-id'], 'req-1');
    assert.equal(out['host'], 'upstream.internal:9000');
  });

  it("keeps and extends a trusted proxy's forwarding headers, and names the client it forwarded in X-Real-IP", () => {
    const trusted = { ...facts, trustedPeer: true, clientIp: '203.0.113.9' };
    const out = buildUpstreamHeaders(
      {
        'x-forwarded-for': '203.0.113.9',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'shop.example.com',
        'x-forwarded-port': '443',
        forwarded: 'for=203.0.113.9;proto=https',
        'x-real-ip': '6.6.6.6',
        'x-client-ip': '203.0.113.9',
        x_real_ip: '6.6.6.6',
      },
      trusted,
    );
    assert.equal(out['x-forwarded-for'], '203.0.113.9, 10.0.0.7');
    assert.equal(out['forwarded'], 'for=203.0.113.9;proto=https, for=10.0.0.7;host="api.example.com:8000";proto=http');
    assert.equal(out['x-forwarded-proto'], 'https');
    assert.equal(out['x-forwarded-host'], 'shop.example.com');
    assert.equal(out['x-forwarded-port'], '443');
    assert.equal(out['x-real-ip'], '203.0.113.9');
    assert.equal(out['x-client-ip'], '203.0.113.9');
    assert.equal(out['x_real_ip'], undefined, 'underscore spellings never pass, even from a trusted proxy');
    const bare = buildUpstreamHeaders({}, trusted);
    assert.equal(bare['x-forwarded-for'], '10.0.0.7');
    assert.equal(bare['x-forwarded-proto'], 'http');
    assert.equal(bare['x-forwarded-port'], '8000');
  });

  it('says https on the TLS listener, unless a trusted proxy said otherwise', () => {
    const overTls = { ...facts, proto: 'https' as const, port: '8443' };
    const spoofed = { 'x-forwarded-proto': 'http', 'x-forwarded-port': '80', forwarded: 'for=1.2.3.4;proto=http' };
    const direct = buildUpstreamHeaders(spoofed, overTls);
    assert.equal(direct['x-forwarded-proto'], 'https');
    assert.equal(direct['x-forwarded-port'], '8443');
    assert.equal(direct['forwarded'], 'for=10.0.0.7;host="api.example.com:8000";proto=https');
    const trusted = { ...overTls, trustedPeer: true };
    const kept = buildUpstreamHeaders(spoofed, trusted);
    assert.equal(kept['x-forwarded-proto'], 'http', "a trusted proxy's own value is kept");
    assert.equal(kept['x-forwarded-port'], '80');
    assert.equal(kept['forwarded'], 'for=1.2.3.4;proto=http, for=10.0.0.7;host="api.example.com:8000";proto=https');
    const bare = buildUpstreamHeaders({}, trusted);
    assert.equal(bare['x-forwarded-proto'], 'https');
    assert.equal(bare['x-forwarded-port'], '8443');
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
      facts,
    );
    for (const name of ['x-consumer-id', 'x-consumer-username', 'x-consumer-custom-id', 'x-credential-identifier', 'x-anonymous-consumer'])
      assert.equal(out[name], undefined, name);
    assert.equal(out['accept'], '*/*');
  });
});

describe('spoofed gateway and client-address headers', () => {
  it('drops each spelling a client sends, with `_` read as `-`, and keeps other underscore headers', () => {
    for (const name of SPOOFED_HEADER_NAMES) {
      const incoming = { [name.toLowerCase()]: 'spoofed', x_custom_header: 'kept' };
      const out = buildUpstreamHeaders(incoming, facts);
      assert.equal(out[name.toLowerCase()] === 'spoofed', false, name);
      assert.ok(!Object.values(out).includes('spoofed'), name);
      assert.equal(out['x_custom_header'], 'kept');
    }
  });

  it('keeps the client-address headers of a trusted proxy but never its consumer headers', () => {
    const trusted = { ...facts, trustedPeer: true };
    const out = buildUpstreamHeaders({ 'x-client-ip': '1.1.1.1', 'true-client-ip': '1.1.1.1', 'x-consumer-username': 'mallory' }, trusted);
    assert.equal(out['x-client-ip'], '1.1.1.1');
    assert.equal(out['true-client-ip'], '1.1.1.1');
    assert.equal(out['x-consumer-username'], undefined);
  });
});

describe('forwardedElement', () => {
  it('quotes IPv6 addresses and the host, and says unknown without a peer address (RFC 7239)', () => {
    assert.equal(forwardedElement('192.0.2.43', 'example.com', 'http'), 'for=192.0.2.43;host="example.com";proto=http');
    assert.equal(forwardedElement('2001:db8::17', '[::1]:8000', 'http'), 'for="[2001:db8::17]";host="[::1]:8000";proto=http');
    assert.equal(forwardedElement('', '', 'http'), 'for=unknown;proto=http');
    assert.equal(forwardedElement('10.0.0.1', 'a"b\\c', 'http'), 'for=10.0.0.1;host="a\\"b\\\\c";proto=http');
  });

  it("carries the listener's scheme", () => {
    assert.equal(forwardedElement('192.0.2.43', 'example.com', 'https'), 'for=192.0.2.43;host="example.com";proto=https');
    assert.equal(forwardedElement('', '', 'https'), 'for=unknown;proto=https');
  });
});
