import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { createEntityFactory } from './testing/entities.js';
import { send, startProxy, startUpstream, type TestProxy, type Upstream } from './testing/harness.js';

const make = createEntityFactory();
const MB = 1024 * 1024;

/** Starts a proxy with one catch-all route to `port`. */
function proxyTo(port: number, overrides: Parameters<typeof startProxy>[1] = {}, service: Parameters<typeof make.service>[0] = {}) {
  const svc = make.service({ port, ...service });
  return startProxy({ services: [svc], routes: [make.route({ name: 'all', paths: ['/'], service: { id: svc.id } })], consumers: [], plugins: [] }, overrides);
}

describe('upstream exchange: streaming', () => {
  let upstream: Upstream;
  let proxy: TestProxy;
  let releaseResponse: () => void = () => {};

  before(async () => {
    upstream = await startUpstream((req, res) => {
      if (req.url === '/echo') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        req.pipe(res);
      } else if (req.url === '/first-byte') {
        // Sends a first chunk and holds the rest until the test has seen that chunk.
        res.writeHead(200);
        res.write('first;');
        releaseResponse = () => res.end('rest');
      } else if (req.url === '/upload') {
        // Answers as soon as the first body chunk arrives, before the client finished sending.
        req.once('data', (chunk: Buffer) => res.end(`got:${chunk.toString()}`));
      }
    });
    proxy = await proxyTo(upstream.port, { max_request_body_size: 64 * MB });
  });

  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('passes a 20 MB body through to an echoing upstream and back, byte for byte', async () => {
    const chunk = Buffer.alloc(MB, 7).fill(Date.now() % 251, 0, 1000);
    const sent = createHash('sha256');
    const received = createHash('sha256');
    let receivedBytes = 0;
    const req = request({ host: '127.0.0.1', port: proxy.port, path: '/echo', method: 'POST' });
    // The echo answers while the upload is still running: read concurrently, or both sides stall.
    const reading = (once(req, 'response') as Promise<[IncomingMessage]>).then(async ([res]) => {
      for await (const part of res) {
        received.update(part as Buffer);
        receivedBytes += (part as Buffer).length;
      }
      return res;
    });
    for (let i = 0; i < 20; i++) {
      sent.update(chunk);
      if (!req.write(chunk)) await once(req, 'drain');
    }
    req.end();
    const res = await reading;
    assert.equal(res.statusCode, 200);
    assert.equal(receivedBytes, 20 * MB);
    assert.equal(received.digest('hex'), sent.digest('hex'));
  });

  it('relays response bytes as they arrive, before the upstream finished', async () => {
    const req = request({ host: '127.0.0.1', port: proxy.port, path: '/first-byte' });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    const [first] = (await once(res, 'data')) as [Buffer];
    assert.equal(first.toString(), 'first;');
    releaseResponse();
    let rest = '';
    for await (const part of res) rest += String(part);
    assert.equal(rest, 'rest');
  });

  it('relays request bytes as they arrive, before the client finished sending', async () => {
    const req = request({ host: '127.0.0.1', port: proxy.port, path: '/upload', method: 'POST', headers: { 'transfer-encoding': 'chunked' } });
    req.write('part-1');
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    let text = '';
    for await (const part of res) text += String(part);
    req.destroy();
    assert.equal(text, 'got:part-1');
  });
});

/** A loopback port nothing listens on (it was free a moment ago): connections are refused. */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe('upstream exchange: failures', () => {
  it('answers 502 PC_PROXY_UPSTREAM_UNAVAILABLE when the upstream refuses connections', async () => {
    const port = await refusedPort();
    const proxy = await proxyTo(port, {}, { retries: 0 });
    try {
      const res = await send(proxy.port, '/x');
      assert.equal(res.status, 502);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.ok(res.headers['x-request-id']);
      assert.deepEqual(res.json(), { code: 'PC_PROXY_UPSTREAM_UNAVAILABLE', message: 'The upstream service could not be reached' });
      assert.match(await proxy.metrics.registry.metrics(), /portcullis_upstream_errors_total\{route="all",service="[^"]+",kind="connect"\} 1\n/);
    } finally {
      await proxy.close();
    }
  });

  it('retries a request without a body `retries` times when the upstream refuses the connection, then answers 502', async () => {
    const port = await refusedPort();
    const proxy = await proxyTo(port, {}, { retries: 3 });
    try {
      assert.equal((await send(proxy.port, '/x')).status, 502);
      let text = await proxy.metrics.registry.metrics();
      assert.match(text, /portcullis_upstream_errors_total\{route="all",service="[^"]+",kind="connect"\} 1\n/, 'one failed client request');
      assert.match(text, /portcullis_upstream_retries_total\{route="all",service="[^"]+"\} 3\n/, 'after three retries');
      assert.equal((await send(proxy.port, '/x', { method: 'POST', body: 'payload' })).status, 502);
      text = await proxy.metrics.registry.metrics();
      assert.match(text, /portcullis_upstream_errors_total\{route="all",service="[^"]+",kind="connect"\} 2\n/);
      assert.match(text, /portcullis_upstream_retries_total\{route="all",service="[^"]+"\} 3\n/, 'a request with a body is not retried');
    } finally {
      await proxy.close();
    }
  });

  it('reaches an upstream that starts listening while the request is retried', async () => {
    const port = await refusedPort();
    const proxy = await proxyTo(port, {}, { retries: 1000 });
    let upstream: Upstream | undefined;
    try {
      const pending = send(proxy.port, '/late');
      await new Promise((r) => setTimeout(r, 30));
      const late = createServer((_req, res) => res.end('late but there'));
      await new Promise<void>((r) => late.listen(port, '127.0.0.1', r));
      upstream = { server: late, port, close: () => new Promise<void>((r) => late.close(() => r())) };
      const res = await pending;
      assert.equal(res.status, 200);
      assert.equal(res.text, 'late but there');
    } finally {
      await proxy.close();
      await upstream?.close();
    }
  });

  it('answers 504 PC_PROXY_UPSTREAM_TIMEOUT within the read timeout when the upstream never answers', async () => {
    const upstream = await startUpstream(() => {});
    const proxy = await proxyTo(upstream.port, { upstream_read_timeout: 300 });
    try {
      const started = performance.now();
      const res = await send(proxy.port, '/hang');
      const elapsed = performance.now() - started;
      assert.equal(res.status, 504);
      assert.deepEqual(res.json(), { code: 'PC_PROXY_UPSTREAM_TIMEOUT', message: 'The upstream service did not answer in time' });
      // undici's timers have a resolution of about half a second.
      assert.ok(elapsed >= 250 && elapsed < 2500, `answered after ${Math.round(elapsed)} ms`);
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });

  it("uses a service's own read_timeout over the node's", async () => {
    const upstream = await startUpstream(() => {});
    const proxy = await proxyTo(upstream.port, { upstream_read_timeout: 60_000 }, { read_timeout: 200 });
    try {
      const started = performance.now();
      assert.equal((await send(proxy.port, '/hang')).status, 504);
      assert.ok(performance.now() - started < 2500);
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });

  it('answers 502 PC_PROXY_UPSTREAM_ERROR when the upstream sends an invalid response', async () => {
    const garbage = createServer();
    garbage.on('connection', (socket) => socket.once('data', () => socket.end('NOT HTTP AT ALL\r\n\r\n')));
    await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r));
    const proxy = await proxyTo((garbage.address() as AddressInfo).port);
    try {
      const res = await send(proxy.port, '/x');
      assert.equal(res.status, 502);
      assert.equal(res.json()['code'], 'PC_PROXY_UPSTREAM_ERROR');
    } finally {
      await proxy.close();
      await new Promise((r) => garbage.close(r));
    }
  });

  it('cuts the client connection when the upstream fails after the response started', async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => res.destroy(), 20);
    });
    const proxy = await proxyTo(upstream.port);
    try {
      await assert.rejects(send(proxy.port, '/x'), /aborted|ECONNRESET|socket hang up/);
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });

  it('aborts the upstream request when the client goes away', async () => {
    let upstreamSawClose!: () => void;
    const closedUpstream = new Promise<void>((r) => (upstreamSawClose = r));
    const upstream = await startUpstream((_req, res) => res.on('close', upstreamSawClose));
    const proxy = await proxyTo(upstream.port);
    try {
      const req = request({ host: '127.0.0.1', port: proxy.port, path: '/x' });
      req.on('error', () => {});
      req.end();
      await new Promise((r) => setTimeout(r, 100));
      req.destroy();
      await closedUpstream;
      await new Promise((r) => setTimeout(r, 20));
      assert.match(await proxy.metrics.registry.metrics(), /portcullis_http_requests_total\{route="all",service="[^"]+",status="499"\} 1/);
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });
});
