import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { asksForWebSocket, handshakeProblem } from './handshake-check.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

function request(headers: Record<string, string>, method = 'GET', httpVersion = '1.1'): IncomingMessage {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method, httpVersion, headers: lower } as unknown as IncomingMessage;
}

const valid = { upgrade: 'websocket', 'sec-websocket-key': KEY, 'sec-websocket-version': '13' };

describe('asksForWebSocket', () => {
  it('finds websocket in the Upgrade list, in any case, and nothing else', () => {
    for (const [value, expected] of [
      ['websocket', true],
      ['WebSocket', true],
      ['h2c, websocket', true],
      ['h2c', false],
      ['websockets', false],
      ['TLS/1.2', false],
    ] as const) {
      assert.equal(asksForWebSocket(request({ upgrade: value })), expected, value);
    }
    assert.equal(asksForWebSocket(request({})), false);
  });
});

describe('handshakeProblem', () => {
  it('accepts a valid RFC 6455 handshake', () => {
    assert.equal(handshakeProblem(request(valid)), null);
  });

  it('refuses with 400 each malformed variant, naming the reason', () => {
    const cases: [string, IncomingMessage, RegExp][] = [
      ['POST', request(valid, 'POST'), /GET/],
      ['HTTP/1.0', request(valid, 'GET', '1.0'), /HTTP\/1\.1/],
      ['a body', request({ ...valid, 'content-length': '5' }), /no body/],
      ['chunked body', request({ ...valid, 'transfer-encoding': 'chunked' }), /no body/],
      ['no key', request({ upgrade: 'websocket', 'sec-websocket-version': '13' }), /Sec-WebSocket-Key/],
      ['short key', request({ ...valid, 'sec-websocket-key': 'abc==' }), /Sec-WebSocket-Key/],
      ['key of 17 bytes', request({ ...valid, 'sec-websocket-key': Buffer.alloc(17).toString('base64') }), /Sec-WebSocket-Key/],
      ['two keys joined', request({ ...valid, 'sec-websocket-key': `${KEY}, ${KEY}` }), /Sec-WebSocket-Key/],
      ['non-canonical padding', request({ ...valid, 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZR==' }), /Sec-WebSocket-Key/],
      ['version 8', request({ ...valid, 'sec-websocket-version': '8' }), /13/],
      ['no version', request({ upgrade: 'websocket', 'sec-websocket-key': KEY }), /13/],
    ];
    for (const [name, req, message] of cases) {
      const problem = handshakeProblem(req);
      assert.ok(problem, name);
      assert.equal(problem.status, 400, name);
      assert.equal(problem.code, 'PC_BAD_REQUEST', name);
      assert.match(problem.message ?? '', message, name);
      assert.equal(problem.close, true, name);
    }
  });

  it('names the version it speaks when the client asks for another', () => {
    assert.deepEqual(handshakeProblem(request({ ...valid, 'sec-websocket-version': '7' }))?.headers, { 'sec-websocket-version': '13' });
  });
});
