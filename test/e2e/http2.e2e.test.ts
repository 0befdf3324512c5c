/**
 * HTTP/2 through the real CLI (`bin/portcullis.js start`) with Node's `http2` client: h2 over
 * TLS by ALPN, h2c with prior knowledge on `proxy_listen_h2c`, HTTP/1.1 still served on the TLS
 * listener, key-auth applied exactly as over HTTP/1.1 (lower-case HTTP/2 header names), the
 * stream limit, and a rapid-reset flood closed with GOAWAY while the node keeps serving others
 * with bounded memory.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { admin, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { startEchoUpstream, type Echo, type EchoUpstream } from './support/upstream.js';
import { h2request } from '../../src/proxy/http2/testing/h2-request.js';
import { connectRawH2, FLAG, frame, FRAME, getRequest } from '../../src/proxy/http2/testing/raw-h2.js';
import { until } from '../support/until.js';
import { freePort } from '../support/free-port.js';

/** A free loopback port for `proxy_listen_h2c` (the node logs it, but a fixed one keeps this simple). */

describe('HTTP/2 through the real CLI', () => {
  let upstream: EchoUpstream;
  let node: CliNode;
  let h2cPort: number;
  let tlsPort: number;
  let key: string;
  const sessions: ClientHttp2Session[] = [];

  const open = (kind: 'h2' | 'h2c'): ClientHttp2Session => {
    const session = kind === 'h2' ? connect(`https://127.0.0.1:${tlsPort}`, { rejectUnauthorized: false }) : connect(`http://127.0.0.1:${h2cPort}`);
    session.on('error', () => undefined);
    sessions.push(session);
    return session;
  };

  // A refill of 1/s: on a loaded machine the node may take cancelled streams in no faster than the default rate refills.
  before(async () => {
    upstream = await startEchoUpstream({ delayMs: 0 });
    h2cPort = await freePort();
    node = await startCliNode(
      writeConfig({ proxy_listen_h2c: `127.0.0.1:${h2cPort}`, http2_max_concurrent_streams: 8, http2_stream_reset_burst: 50, http2_stream_reset_rate: 1 }),
    );
    tlsPort = Number(node.proxyTls!.slice(node.proxyTls!.lastIndexOf(':') + 1));
    await admin(node, 'POST', '/services', { name: 'orders', url: upstream.url });
    await admin(node, 'POST', '/services/orders/routes', { name: 'orders', paths: ['/orders'] });
    await admin(node, 'POST', '/services/orders/routes', { name: 'open', paths: ['/open'] });
    await admin(node, 'POST', '/consumers', { username: 'alice' });
    assert.equal((await admin(node, 'POST', '/routes/orders/plugins', { name: 'key-auth' })).status, 201);
    const generated = await admin(node, 'POST', '/services/orders/api-keys', { name: 'h2', consumer: 'alice' });
    assert.equal(generated.status, 201);
    key = generated.body.api_key;
  });

  after(async () => {
    for (const s of sessions) s.destroy();
    await node.stop();
    await upstream.close();
  });

  for (const kind of ['h2', 'h2c'] as const) {
    it(`${kind}: key-auth refuses a request without a key or with a wrong one, in the JSON error format`, async () => {
      for (const headers of [{}, { 'x-api-key': 'pcg_' + '0'.repeat(72) }, { apikey: 'nope' }]) {
        const res = await h2request(open(kind), { ':path': '/orders/1', ...headers });
        assert.equal(res.status, 401, JSON.stringify(headers));
        assert.match(String(res.headers['content-type']), /^application\/json/);
        assert.ok(!res.text.includes('pcg_'), 'no key material in the answer');
      }
    });

    it(`${kind}: forwards a request with a valid key (x-api-key or apikey) with identity headers, the key hidden upstream`, async () => {
      for (const name of ['x-api-key', 'apikey']) {
        const res = await h2request(open(kind), { ':method': 'POST', ':path': '/orders/1', [name]: key }, 'order body');
        assert.equal(res.status, 200, name);
        const echo = JSON.parse(res.text) as Echo;
        assert.equal(echo.body, 'order body');
        assert.equal(echo.headers['x-consumer-username'], 'alice');
        assert.equal(echo.headers[name], undefined, 'hide_credentials keeps the key from the upstream');
      }
    });
  }

  it('the TLS listener still serves HTTP/1.1 to a client that offers only http/1.1', async () => {
    // `ALPNProtocols` reaches tls.connect; the https types do not list it.
    const options = { host: '127.0.0.1', port: tlsPort, path: '/open/x', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] };
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(options, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 200);
  });

  it('h2c: advertises http2_max_concurrent_streams and answers 30 concurrent requests on one connection', async () => {
    const session = open('h2c');
    await new Promise<void>((resolve) => session.once('remoteSettings', () => resolve()));
    assert.equal(session.remoteSettings.maxConcurrentStreams, 8);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => h2request(session, { ':path': `/open/${i}` })));
    assert.deepEqual(
      answers.map((a) => a.status),
      answers.map(() => 200),
    );
  });

  it('h2c: a rapid-reset flood is closed (GOAWAY ENHANCE_YOUR_CALM); the node keeps serving others and its memory stays bounded', async () => {
    const rssBefore = await nodeRss(node);
    const r = await connectRawH2(h2cPort);
    const rst = Buffer.alloc(4);
    rst.writeUInt32BE(constants.NGHTTP2_CANCEL);
    for (let i = 0; i < 5000 && !r.isClosed(); i++) {
      const id = 1 + 2 * i;
      r.write(
        Buffer.concat([frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, id, getRequest('h.test', '/open/flood')), frame(FRAME.RST_STREAM, 0, id, rst)]),
      );
    }
    // The node cuts the socket right after its GOAWAY; with the flood still unread, the kernel may
    // reset the connection and the client lose the GOAWAY: the node's log says why it closed it.
    await until('connection closed', () => r.isClosed(), 20_000);
    if (r.goawayCode() !== null) assert.equal(r.goawayCode(), constants.NGHTTP2_ENHANCE_YOUR_CALM);
    await until('the closing logged', () => node.logs.some((line) => line.includes('rapid reset')));
    const res = await h2request(open('h2c'), { ':path': '/open/after' });
    assert.equal(res.status, 200);
    const rssAfter = await nodeRss(node);
    assert.ok(rssAfter - rssBefore < 64 * 1024 * 1024, `node RSS grew by ${(rssAfter - rssBefore) >> 20} MiB`);
    assert.ok(
      node.logs.some((line) => line.includes('rapid reset')),
      'the closing is logged',
    );
  });
});

/** The node process's resident memory, from /proc (Linux), in bytes. */
async function nodeRss(node: CliNode): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${node.process.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}
