import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { connect, type ConnectionOptions } from 'node:tls';
import { MAX_BUFFERED_BYTES, MAX_CLIENT_HELLO_BYTES, readClientHello } from './client-hello.js';

/** The first bytes a real Node TLS client sends with `options`. */
async function capturedHello(options: ConnectionOptions): Promise<Buffer> {
  let resolveHello: (b: Buffer) => void;
  const hello = new Promise<Buffer>((resolve) => (resolveHello = resolve));
  const server = createServer((socket) => socket.once('data', (chunk: Buffer) => (resolveHello(chunk), socket.destroy())));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, ...options });
  client.on('error', () => undefined);
  const bytes = await hello;
  client.destroy();
  server.close();
  return bytes;
}

/** A handshake message (type, 24-bit length) framed into records of at most `size` bytes. */
function frame(message: Buffer, size: number): Buffer {
  const records: Buffer[] = [];
  for (let at = 0; at < message.length; at += size) {
    const part = message.subarray(at, at + size);
    records.push(Buffer.from([22, 3, 1, part.length >> 8, part.length & 0xff]), part);
  }
  return Buffer.concat(records);
}

/** A ClientHello message with `extensions` (each `[type, data]`), or none at all. */
function helloMessage(extensions: [number, Buffer][] | null, padding = 0): Buffer {
  const parts = [Buffer.from([3, 3]), Buffer.alloc(32, 7), Buffer.from([0]), Buffer.from([0, 2, 0x13, 0x01]), Buffer.from([1, 0])];
  if (extensions !== null) {
    const body = Buffer.concat(
      [...extensions, ...(padding > 0 ? ([[21, Buffer.alloc(padding)]] as [number, Buffer][]) : [])].map(([type, data]) =>
        Buffer.concat([u16(type), u16(data.length), data]),
      ),
    );
    parts.push(u16(body.length), body);
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([1, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
}

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
/** A server_name extension body: a list of `[nameType, name]` entries. */
function serverName(entries: [number, Buffer][]): Buffer {
  const list = Buffer.concat(entries.map(([type, name]) => Buffer.concat([Buffer.from([type]), u16(name.length), name])));
  return Buffer.concat([u16(list.length), list]);
}
const sni = (name: string) => serverName([[0, Buffer.from(name, 'latin1')]]);

describe('readClientHello: real clients', () => {
  let tls13: Buffer;
  let tls12: Buffer;
  let withoutName: Buffer;

  before(async () => {
    [tls13, tls12, withoutName] = await Promise.all([
      capturedHello({ servername: 'API.Example.test', ALPNProtocols: ['h2', 'http/1.1'] }),
      capturedHello({ servername: 'shop.example.test', maxVersion: 'TLSv1.2' }),
      // Node sends no SNI when it connects to an IP address without a servername.
      capturedHello({}),
    ]);
  });

  it('reads the server name a TLS 1.3 client sends, as sent', () =>
    assert.deepEqual(readClientHello(tls13), { kind: 'hello', servername: 'API.Example.test' }));
  it('reads the server name a TLS 1.2 client sends', () => assert.deepEqual(readClientHello(tls12), { kind: 'hello', servername: 'shop.example.test' }));
  it('reports no name for a client that sends none', () => assert.deepEqual(readClientHello(withoutName), { kind: 'hello', servername: null }));

  it('waits for every prefix of a ClientHello', () => {
    for (const length of [0, 1, 4, 5, 6, 9, 50, tls13.length - 1])
      assert.deepEqual(readClientHello(tls13.subarray(0, length)), { kind: 'incomplete' }, `${length} bytes`);
  });

  it('reads a ClientHello split over many records, its header included', () => {
    const message = tls13.subarray(5);
    for (const size of [1, 2, 3, 100, 512])
      assert.deepEqual(readClientHello(frame(message, size)), { kind: 'hello', servername: 'API.Example.test' }, `records of ${size}`);
  });

  it('ignores what follows the ClientHello (early data, a ChangeCipherSpec)', () => {
    const after = Buffer.concat([tls13, Buffer.from([20, 3, 3, 0, 1, 1]), Buffer.from([23, 3, 3, 0, 3, 1, 2, 3])]);
    assert.deepEqual(readClientHello(after), { kind: 'hello', servername: 'API.Example.test' });
  });
});

describe('readClientHello: refuses what is not a ClientHello it can read', () => {
  const good = frame(helloMessage([[0, sni('a.test')]]), 16_384);
  const cases: [string, () => Buffer][] = [
    ['plain HTTP', () => Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n')],
    ['an SSLv2-style hello', () => Buffer.from([0x80, 0x2e, 0x01, 0x03, 0x01])],
    ['a first byte alone that is not a handshake record', () => Buffer.from([0x17])],
    ['a record of another major version', () => Buffer.from([22, 2, 0, 0, 4, 1, 0, 0, 0])],
    ['an empty record', () => Buffer.from([22, 3, 1, 0, 0])],
    ['a ServerHello', () => frame(Buffer.concat([Buffer.from([2]), helloMessage(null).subarray(1)]), 16_384)],
    [
      'a handshake record followed by application data',
      () => Buffer.concat([frame(helloMessage([[0, sni('a.test')]]), 1).subarray(0, 12), Buffer.from([23, 3, 3, 0, 1, 0])]),
    ],
    ['a ClientHello longer than OpenSSL accepts', () => Buffer.from([22, 3, 1, 0, 4, 1, 0, 0x40, 0x01])],
    [
      'an extension block longer than the message',
      () =>
        (() => {
          const m = helloMessage([[0, sni('a.test')]]);
          m.writeUInt16BE(0xffff, 4 + 2 + 32 + 1 + 4 + 2);
          return frame(m, 16_384);
        })(),
    ],
    [
      'an extension longer than its block',
      () =>
        (() => {
          const m = helloMessage([[0, sni('a.test')]]);
          m.writeUInt16BE(0x0fff, 4 + 2 + 32 + 1 + 4 + 2 + 2 + 2);
          return frame(m, 16_384);
        })(),
    ],
    ['a server_name of another name type', () => frame(helloMessage([[0, serverName([[1, Buffer.from('a.test')]])]]), 16_384)],
    [
      'two server names',
      () =>
        frame(
          helloMessage([
            [
              0,
              serverName([
                [0, Buffer.from('a.test')],
                [0, Buffer.from('b.test')],
              ]),
            ],
          ]),
          16_384,
        ),
    ],
    ['an empty server name', () => frame(helloMessage([[0, sni('')]]), 16_384)],
    ['a server name over 255 bytes', () => frame(helloMessage([[0, sni('a'.repeat(256))]]), 16_384)],
    ['a server_name list longer than its extension', () => frame(helloMessage([[0, Buffer.from([0, 9, 0, 0, 1, 97])]]), 16_384)],
    ['a session id past the end', () => frame(Buffer.from([1, 0, 0, 35, 3, 3, ...Buffer.alloc(32), 32]), 16_384)],
  ];
  for (const [what, bytes] of cases) {
    it(`says not_tls for ${what}`, () => assert.deepEqual(readClientHello(bytes()), { kind: 'not_tls' }));
  }

  it('stops waiting once more than it would ever need is buffered', () => {
    // A ClientHello announced at the limit, carried in 1-byte records: its headers alone overflow.
    const message = helloMessage([[0, sni('a.test')]], MAX_CLIENT_HELLO_BYTES - 100);
    const framed = frame(message, 1);
    assert.ok(framed.length > MAX_BUFFERED_BYTES);
    assert.deepEqual(readClientHello(framed.subarray(0, MAX_BUFFERED_BYTES - 1)), { kind: 'incomplete' });
    assert.deepEqual(readClientHello(framed.subarray(0, MAX_BUFFERED_BYTES)), { kind: 'not_tls' });
  });

  it('reads the largest ClientHello OpenSSL accepts, and a hello without extensions', () => {
    const largest = helloMessage([[0, sni('big.test')]], MAX_CLIENT_HELLO_BYTES - 100);
    assert.ok(largest.length - 4 <= MAX_CLIENT_HELLO_BYTES);
    assert.deepEqual(readClientHello(frame(largest, 16_384)), { kind: 'hello', servername: 'big.test' });
    assert.deepEqual(readClientHello(frame(helloMessage(null), 16_384)), { kind: 'hello', servername: null });
    assert.deepEqual(readClientHello(good), { kind: 'hello', servername: 'a.test' });
  });
});
