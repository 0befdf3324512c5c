/**
 * gRPC through the real CLI (issue 13) with `@grpc/grpc-js` as client and as upstream echo
 * service: unary and streaming calls over h2c with the key in metadata; a call without a key is
 * UNAUTHENTICATED with nothing reaching the upstream; the upstream's NOT_FOUND and its message come
 * back; an upstream that is down is UNAVAILABLE; the logs never hold the key. A call cancelled while
 * its body goes to a slow upstream leaves the node responsive.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { admin, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { echoClient, metadataOf, readAll, startEchoServer, unary, type EchoClient, type EchoServer } from '../../src/proxy/grpc/testing/grpc-echo.js';
import { freePort } from '../support/free-port.js';

describe('gRPC through the real CLI', () => {
  let echo: EchoServer;
  let node: CliNode;
  let key: string;
  let client: EchoClient;
  let down: EchoClient;

  before(async () => {
    echo = await startEchoServer();
    const h2cPort = await freePort();
    node = await startCliNode(writeConfig({ proxy_listen_h2c: `127.0.0.1:${h2cPort}` }));
    const ok = async (path: string, body: unknown) => {
      const res = await admin(node, 'POST', path, body);
      assert.equal(res.status, 201, `${path}: ${JSON.stringify(res.body)}`);
      return res.body;
    };
    await ok('/services', { name: 'echo', url: `grpc://127.0.0.1:${echo.port}` });
    await ok('/services', { name: 'gone', url: `grpc://127.0.0.1:${await freePort()}`, retries: 0 });
    await ok('/services/echo/routes', {
      name: 'echo',
      hosts: ['echo.test'],
      paths: ['/portcullis.test.Echo'],
      strip_path: false,
      protocols: ['grpc', 'grpcs'],
    });
    await ok('/services/gone/routes', { name: 'gone', hosts: ['gone.test'], paths: ['/'], protocols: ['grpc'] });
    await ok('/routes/echo/plugins', { name: 'key-auth' });
    await ok('/consumers', { username: 'alice' });
    key = (await ok('/services/echo/api-keys', { name: 'grpc', consumer: 'alice' })).api_key;
    client = echoClient(`127.0.0.1:${h2cPort}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'echo.test' });
    down = echoClient(`127.0.0.1:${h2cPort}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'gone.test' });
  });

  after(async () => {
    client.close();
    down.close();
    await node.stop();
    await echo.close();
  });

  it('refuses a route mixing grpc and http at write time (400, protocols)', async () => {
    const res = await admin(node, 'POST', '/services/echo/routes', { paths: ['/mixed'], protocols: ['grpc', 'http'] });
    assert.equal(res.status, 400);
    assert.match(JSON.stringify(res.body), /protocols/);
  });

  it('answers calls without a valid key UNAUTHENTICATED, with nothing reaching the upstream', async () => {
    for (const metadata of [{}, { 'x-api-key': 'pcg_not-a-real-key' }, { authorization: 'Bearer nope' }] as Record<string, string>[]) {
      const result = await unary(client, { message: 'refused' }, metadataOf(metadata));
      assert.equal(result.code, grpc.status.UNAUTHENTICATED, JSON.stringify(metadata));
    }
    assert.equal(echo.calls.length, 0);
  });

  it('proxies unary and bidi calls with the key in metadata, which the upstream never sees', async () => {
    const result = await unary(client, { message: 'hello' }, metadataOf({ 'x-api-key': key }));
    assert.equal(result.code, grpc.status.OK, result.details);
    assert.equal(result.reply!.message, 'hello');
    assert.equal(result.reply!.metadata['x-api-key'], undefined);
    assert.equal(result.reply!.metadata['x-consumer-username'], 'alice');
    assert.equal(result.trailers['x-echo-trailer'], 'done');

    const bidi = client.Bidi(metadataOf({ 'x-api-key': key }));
    const done = readAll(bidi);
    for (const word of ['a', 'b', 'c']) bidi.write({ message: word });
    bidi.end();
    const streamed = await done;
    assert.equal(streamed.code, grpc.status.OK, streamed.details);
    assert.deepEqual(
      streamed.replies.map((r) => r.message),
      ['a', 'b', 'c'],
    );
    assert.ok(!node.logs.some((line) => line.includes(key)), 'the key is in no log line');
  });

  it("relays the upstream's NOT_FOUND with its message", async () => {
    const result = await unary(client, { fail: 'order 42 does not exist' }, metadataOf({ 'x-api-key': key }));
    assert.equal(result.code, grpc.status.NOT_FOUND);
    assert.equal(result.details, 'order 42 does not exist');
  });

  it('answers UNAVAILABLE when the upstream is down', async () => {
    const result = await unary(down, { message: 'anyone?' });
    assert.equal(result.code, grpc.status.UNAVAILABLE);
  });
});

/**
 * A client cancels a call while its request body is still going to an upstream that reads slowly
 * (a raw HTTP/2 upstream pausing after each chunk). Node's HTTP/2 client session used to be left
 * sending empty DATA frames in a loop that never returned (the node at 100 % CPU, its memory
 * growing to a crash) when the upstream's next WINDOW_UPDATE came: the node must stay responsive.
 * A body over `max_request_body_size` is answered RESOURCE_EXHAUSTED and its upstream call reset.
 * Each upstream call is reset with RST_STREAM CANCEL (src/proxy/http2/upstream-cancel.ts).
 */
describe('gRPC: request bodies to an HTTP/2 upstream, cut short', () => {
  let node: CliNode;
  let upstream: http2.Http2Server;
  let h2cPort: number;
  let received = 0;
  let aborted = 0;
  const wholeClosed: number[] = [];
  // The RST_STREAM code each upstream stream closed with: CANCEL for a call the gateway cancelled
  // (undici alone ended the request first and reset with NO_ERROR, which reads as a whole request).
  const wholeCodes: number[] = [];
  const slowCodes: number[] = [];

  before(async () => {
    upstream = http2.createServer();
    upstream.on('stream', (stream, headers) => {
      if (headers[':path'] === '/whole.Service/Upload') {
        // Reads what comes and never answers: its stream closes only once the gateway resets it.
        let got = 0;
        stream.on('data', (chunk: Buffer) => (got += chunk.length));
        stream.on('close', () => (wholeClosed.push(got), wholeCodes.push(stream.rstCode)));
        stream.on('error', () => {});
        return;
      }
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      stream.on('data', (chunk: Buffer) => {
        received += chunk.length;
        stream.pause();
        setTimeout(() => stream.resume(), 50);
      });
      // Emitted when a RST_STREAM comes while the upstream's own answer is still open: the call was reset.
      stream.on('aborted', () => aborted++);
      stream.on('close', () => slowCodes.push(stream.rstCode));
      stream.on('error', () => {});
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    h2cPort = await freePort();
    node = await startCliNode(writeConfig({ proxy_listen_h2c: `127.0.0.1:${h2cPort}`, max_request_body_size: 4 * 1024 * 1024 }));
    const port = (upstream.address() as AddressInfo).port;
    assert.equal((await admin(node, 'POST', '/services', { name: 'slow', url: `grpc://127.0.0.1:${port}` })).status, 201);
    assert.equal((await admin(node, 'POST', '/services/slow/routes', { name: 'slow', paths: ['/'], protocols: ['grpc'] })).status, 201);
  });

  after(async () => {
    // A node caught in the loop never runs its SIGTERM handler.
    const killed = setTimeout(() => void node.stop('SIGKILL'), 5000);
    await node.stop();
    clearTimeout(killed);
    upstream.close();
  });

  it('answers a body over max_request_body_size RESOURCE_EXHAUSTED, and resets the upstream call', async () => {
    const session = http2.connect(`http://127.0.0.1:${h2cPort}`);
    session.on('error', () => {});
    try {
      const req = session.request({ ':method': 'POST', ':path': '/whole.Service/Upload', 'content-type': 'application/grpc', te: 'trailers' });
      req.on('error', () => {});
      const answer = new Promise<http2.IncomingHttpHeaders>((resolve) => req.once('response', resolve));
      req.resume();
      for (let i = 0; i < 96; i++) req.write(Buffer.alloc(64 * 1024, 7)); // 6 MiB
      req.end();
      const headers = await Promise.race([answer, delay(10_000).then(() => assert.fail('no answer within 10 s'))]);
      assert.equal(headers['grpc-status'], '8');
      assert.match(String(headers['grpc-message']), /too large/);
      const deadline = Date.now() + 5000;
      while (wholeClosed.length < 1 && Date.now() < deadline) await delay(20);
      assert.equal(wholeClosed.length, 1, 'the upstream call was reset');
      assert.ok(wholeClosed[0]! <= 4 * 1024 * 1024, `the upstream got ${wholeClosed[0]} bytes, past the limit`);
      assert.deepEqual(wholeCodes, [http2.constants.NGHTTP2_CANCEL], 'reset with CANCEL');
    } finally {
      session.destroy();
    }
  });

  it('stays responsive after calls cancelled mid-upload, each reset at the upstream', async () => {
    const session = http2.connect(`http://127.0.0.1:${h2cPort}`);
    session.on('error', () => {});
    try {
      for (let call = 1; call <= 3; call++) {
        const before = received;
        const req = session.request({ ':method': 'POST', ':path': '/slow.Service/Upload', 'content-type': 'application/grpc', te: 'trailers' });
        req.on('error', () => {});
        req.resume();
        // 2 MiB queued at once: far more than the upstream reads before the cancel.
        for (let i = 0; i < 32; i++) req.write(Buffer.alloc(64 * 1024, call));
        const deadline = Date.now() + 5000;
        while (received < before + 64 * 1024 && Date.now() < deadline) await delay(20);
        assert.ok(received >= before + 64 * 1024, `call ${call}: the upstream read ${received - before} bytes`);
        req.close(http2.constants.NGHTTP2_CANCEL);
        // The upstream keeps reading what it holds, so its WINDOW_UPDATEs reach the node after the cancel.
        await delay(400);
        const ready = await fetch(`${node.adminUrl}/status/ready`, { signal: AbortSignal.timeout(3000) });
        assert.equal(ready.status, 200, `call ${call}`);
      }
      const deadline = Date.now() + 5000;
      while (aborted < 3 && Date.now() < deadline) await delay(20);
      assert.equal(aborted, 3, 'each call was reset at the upstream');
      for (let i = 0; i < 250 && slowCodes.length < 3; i++) await delay(20);
      assert.deepEqual(slowCodes, Array(3).fill(http2.constants.NGHTTP2_CANCEL), 'each reset with CANCEL');
    } finally {
      session.destroy();
    }
  });
});
