import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BodyLimitStream, BodyTooLargeError, isBodyTooLarge } from './body-limit.js';
import { createEntityFactory } from './testing/entities.js';
import { send, startProxy, startUpstream, type TestProxy, type Upstream } from './testing/harness.js';

describe('BodyLimitStream', () => {
  it('passes bodies up to the limit and fails with BodyTooLargeError past it', async () => {
    const sink: Buffer[] = [];
    await pipeline(Readable.from([Buffer.alloc(6), Buffer.alloc(4)]), new BodyLimitStream(10), async function* (source) {
      for await (const c of source) sink.push(c as Buffer);
    });
    assert.equal(Buffer.concat(sink).length, 10);
    await assert.rejects(
      pipeline(Readable.from([Buffer.alloc(6), Buffer.alloc(5)]), new BodyLimitStream(10), async function* (source) {
        for await (const c of source) void c;
      }),
      (err) => isBodyTooLarge(err) && err instanceof BodyTooLargeError,
    );
  });
});

describe('proxy server: request body limit', () => {
  const make = createEntityFactory();
  let upstream: Upstream;
  let proxy: TestProxy;
  let upstreamBodies = 0;

  before(async () => {
    upstream = await startUpstream((req, res) => {
      upstreamBodies++;
      let size = 0;
      req.on('data', (c: Buffer) => (size += c.length));
      req.on('end', () => res.end(String(size)));
    });
    const svc = make.service({ port: upstream.port });
    proxy = await startProxy(
      { services: [svc], routes: [make.route({ paths: ['/'], service: { id: svc.id } })], consumers: [], plugins: [] },
      { max_request_body_size: 1024 },
    );
  });

  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('answers 413 PC_BODY_TOO_LARGE to a Content-Length over the limit without contacting the upstream', async () => {
    const res = await send(proxy.port, '/', { method: 'POST', body: Buffer.alloc(1025) });
    assert.equal(res.status, 413);
    assert.deepEqual(res.json(), { code: 'PC_BODY_TOO_LARGE', message: 'The request body is too large' });
    assert.equal(res.headers['connection'], 'close');
    assert.equal(upstreamBodies, 0);
  });

  it('forwards a body of exactly the limit', async () => {
    const res = await send(proxy.port, '/', { method: 'POST', body: Buffer.alloc(1024) });
    assert.equal(res.status, 200);
    assert.equal(res.text, '1024');
  });

  it('forwards a chunked body under the limit', async () => {
    const res = await chunked(proxy.port, [Buffer.alloc(500), Buffer.alloc(500)]);
    assert.equal(res.status, 200);
    assert.equal(res.text, '1000');
  });

  it('answers 413 once a chunked body passes the limit', async () => {
    const res = await chunked(proxy.port, [Buffer.alloc(800), Buffer.alloc(800), Buffer.alloc(800)]);
    assert.equal(res.status, 413);
    assert.equal(JSON.parse(res.text).code, 'PC_BODY_TOO_LARGE');
  });
});

/** Sends `parts` as a chunked body, one write per part, and reads the answer. */
async function chunked(port: number, parts: Buffer[]): Promise<{ status: number; text: string }> {
  const req = request({ host: '127.0.0.1', port, path: '/', method: 'POST', headers: { 'transfer-encoding': 'chunked' } });
  req.on('error', () => {}); // the proxy may close while the last parts are still being written
  const response = once(req, 'response') as Promise<[IncomingMessage]>;
  for (const part of parts) {
    req.write(part);
    await new Promise((r) => setTimeout(r, 10));
  }
  req.end();
  const [res] = await response;
  let text = '';
  for await (const c of res) text += String(c);
  return { status: res.statusCode ?? 0, text };
}
