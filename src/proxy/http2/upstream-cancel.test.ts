/**
 * How a call the gateway cancels ends at an HTTP/2 upstream: RST_STREAM CANCEL and no END_STREAM
 * before it, whatever cancelled it (the client left, the read timeout) and however far its request
 * got. The upstream pool's real undici connection to a real `node:http2` upstream, with a TCP relay
 * between them that logs the frames the gateway sends.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import type { Service } from '../../entities/services.js';
import { createEntityFactory } from '../testing/entities.js';
import { createUpstreamPool, type UpstreamPool, type UpstreamTarget } from '../upstream-pool.js';
import { FLAG, FRAME, takeFrames, type Frame } from './testing/raw-h2.js';

const { NGHTTP2_CANCEL } = http2.constants;
const CHUNK = Buffer.alloc(64 * 1024, 7);

/** What the upstream saw of one call. */
interface UpstreamCall {
  received: number;
  /**
   * The request's readable side ended: at END_STREAM, but Node's server also ends it when a reset
   * closes a stream that is being read, so the frame log, not this, tells whether END_STREAM came.
   */
  ended: boolean;
  /** The RST_STREAM code the stream closed with, once closed. */
  rstCode: number | null;
}

/** A TCP relay to `port` that parses the frames going there (the gateway's) and counts connections. */
async function startFrameLog(port: number): Promise<{ port: number; frames: Frame[]; connections: () => number; freeze: () => void; close: () => void }> {
  const frames: Frame[] = [];
  const sockets = new Set<Socket>();
  const clients = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((client) => {
    connections++;
    clients.add(client);
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    upstream.pipe(client);
    client.pipe(upstream);
    let buffered: Buffer = Buffer.alloc(0);
    let preface = 24; // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    client.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const skip = Math.min(preface, buffered.length);
      buffered = buffered.subarray(skip);
      preface -= skip;
      buffered = takeFrames(buffered, frames);
    });
    for (const socket of [client, upstream]) socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    frames,
    connections: () => connections,
    /** Stops reading what the gateway sends: its socket fills, and its writes stay pending. */
    freeze: () => {
      for (const client of clients) {
        client.unpipe();
        client.pause();
        client.removeAllListeners('data');
      }
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/** One call through `target`, its body given as chunks (as the exchange gives it to an HTTP/2 upstream). */
function call(target: UpstreamTarget, path: string, body: AsyncIterable<Buffer>) {
  let controller: Dispatcher.DispatchController | null = null;
  let status = 0;
  const settled = new Promise<Error | null>((resolve) => {
    target.dispatcher.dispatch(
      {
        path,
        method: 'POST',
        headers: { 'content-type': 'application/grpc' },
        body: body as never,
        headersTimeout: target.readTimeout,
        bodyTimeout: target.readTimeout,
      },
      {
        onRequestStart: (c) => void (controller = c),
        onResponseStart: (_c, statusCode) => void (status = statusCode),
        onResponseData: () => {},
        onResponseEnd: () => resolve(null),
        onResponseError: (_c, err) => resolve(err),
      },
    );
  });
  return { settled, abort: () => controller!.abort(new Error('client closed the connection')), status: () => status };
}

/** Sends `chunks` chunks, then waits until `until` resolves, then ends (never, by default). */
async function* chunks(count: number, until: Promise<unknown> = new Promise(() => {})): AsyncGenerator<Buffer> {
  for (let i = 0; i < count; i++) yield CHUNK;
  await until;
}

describe('HTTP/2 upstream calls cancelled by the gateway', () => {
  const make = createEntityFactory();
  let upstream: http2.Http2Server;
  let log: Awaited<ReturnType<typeof startFrameLog>>;
  let pool: UpstreamPool;
  const calls = new Map<string, UpstreamCall>();

  before(async () => {
    upstream = http2.createServer();
    upstream.on('stream', (stream, headers) => {
      const path = String(headers[':path']);
      const seen: UpstreamCall = { received: 0, ended: false, rstCode: null };
      calls.set(path, seen);
      stream.on('error', () => {});
      stream.on('end', () => (seen.ended = true));
      stream.on('close', () => (seen.rstCode = stream.rstCode));
      if (path === '/ok') {
        stream.on('end', () => stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { endStream: true }));
      }
      // Reads slowly, and never answers anything else: only a reset ends those calls.
      stream.on('data', (chunk: Buffer) => {
        seen.received += chunk.length;
        stream.pause();
        setTimeout(() => stream.resume(), 10);
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    log = await startFrameLog((upstream.address() as AddressInfo).port);
    pool = createUpstreamPool({ connectTimeout: 2000, readTimeout: 5000, keepAliveTimeout: 30_000, poolSize: 1 });
  });
  after(async () => {
    await pool.destroy();
    log.close();
    upstream.close();
  });

  const service = (fields: Partial<Service> = {}) => make.service({ protocol: 'grpc', host: '127.0.0.1', port: log.port, ...fields });

  /** The frames the gateway sent on the stream that carried `path` (one connection: the n-th call is the n-th HEADERS frame). */
  function streamOf(path: string): Frame[] {
    const headers = log.frames.filter((f) => f.type === FRAME.HEADERS)[[...calls.keys()].indexOf(path)];
    assert.ok(headers, `no HEADERS frame for ${path}`);
    return log.frames.filter((f) => f.stream === headers.stream);
  }

  async function closedAtUpstream(path: string): Promise<UpstreamCall> {
    for (let i = 0; i < 250 && calls.get(path)?.rstCode == null; i++) await delay(20);
    const seen = calls.get(path);
    assert.ok(seen && seen.rstCode !== null, `the upstream's stream for ${path} never closed`);
    return seen;
  }

  function assertCancelled(frames: readonly Frame[], path: string): void {
    const ends = frames.filter((f) => (f.type === FRAME.DATA || f.type === FRAME.HEADERS) && (f.flags & FLAG.END_STREAM) !== 0);
    assert.deepEqual(ends, [], `${path}: the request must not be ended before the reset`);
    const resets = frames.filter((f) => f.type === FRAME.RST_STREAM).map((f) => f.payload.readUInt32BE(0));
    assert.deepEqual(resets, [NGHTTP2_CANCEL], `${path}: one RST_STREAM CANCEL`);
  }

  it('resets a call cancelled while its body is still being sent: RST_STREAM CANCEL, never END_STREAM', async () => {
    const target = pool.targetFor(service());
    const sent = call(target, '/mid-body', chunks(48)); // 3 MiB, far more than the upstream reads at once
    for (let i = 0; i < 250 && (calls.get('/mid-body')?.received ?? 0) < 256 * 1024; i++) await delay(20);
    sent.abort();
    assert.match(String((await sent.settled)?.message), /client closed/);
    const seen = await closedAtUpstream('/mid-body');
    assert.equal(seen.rstCode, NGHTTP2_CANCEL);
    assert.ok(seen.received < 48 * CHUNK.length, `the upstream got the whole body (${seen.received} bytes)`);
    assertCancelled(streamOf('/mid-body'), '/mid-body');
  });

  it('resets a call whose read timeout passes while its body is still being sent', async () => {
    const target = pool.targetFor(service({ read_timeout: 300 }));
    const sent = call(target, '/timeout', chunks(2));
    const err = await sent.settled;
    assert.match(String((err as { code?: string } | null)?.code), /UND_ERR_HEADERS_TIMEOUT/);
    const seen = await closedAtUpstream('/timeout');
    assert.equal(seen.rstCode, NGHTTP2_CANCEL);
    assertCancelled(streamOf('/timeout'), '/timeout');
  });

  it('cancels a call sent whole and waiting for its answer with RST_STREAM CANCEL, not NO_ERROR', async () => {
    const target = pool.targetFor(service());
    let finish!: () => void;
    const sent = call(target, '/whole', chunks(1, new Promise<void>((resolve) => (finish = resolve))));
    for (let i = 0; i < 250 && (calls.get('/whole')?.received ?? 0) < CHUNK.length; i++) await delay(20);
    finish();
    for (let i = 0; i < 250 && !calls.get('/whole')?.ended; i++) await delay(20);
    assert.equal(calls.get('/whole')?.ended, true, 'the whole request reached the upstream');
    sent.abort();
    await sent.settled;
    const seen = await closedAtUpstream('/whole');
    assert.equal(seen.rstCode, NGHTTP2_CANCEL);
    const resets = streamOf('/whole').filter((f) => f.type === FRAME.RST_STREAM);
    assert.deepEqual(
      resets.map((f) => f.payload.readUInt32BE(0)),
      [NGHTTP2_CANCEL],
    );
  });

  it('keeps the connection: a later call on it is answered', async () => {
    const target = pool.targetFor(service());
    const sent = call(target, '/ok', chunks(1, Promise.resolve()));
    assert.equal(await sent.settled, null);
    assert.equal(sent.status(), 200);
    assert.equal(log.connections(), 1, 'every call went over one connection');
  });

  it('ends a cancelled call at once even when its upstream connection reads nothing more (its body is let go)', async () => {
    const target = pool.targetFor(service());
    // As the exchange sends a client's body to an HTTP/2 upstream: its chunks, the stream destroyed when the client leaves.
    const client = new PassThrough();
    let released = false;
    async function* chunksOf(body: Readable): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of body) yield chunk as Buffer;
      } finally {
        released = true;
      }
    }
    const sent = call(target, '/frozen', chunksOf(client));
    for (let i = 0; i < 250 && !calls.has('/frozen'); i++) await delay(20);
    log.freeze();
    // Far more than the socket buffers and the stream's window hold: the pool's writes stay pending.
    for (let i = 0; i < 128; i++) client.write(CHUNK);
    await delay(300);
    sent.abort();
    client.destroy();
    await sent.settled;
    for (let i = 0; i < 50 && !released; i++) await delay(20);
    assert.equal(released, true, "undici still holds the cancelled call's body a second later");
  });
});
