/**
 * HTTP/2 hardening of the proxy, tried with frames written by hand on an h2c connection: the
 * advertised limits, refused streams over `http2_max_concurrent_streams`, the rapid-reset flood
 * (CVE-2023-44487) closed with GOAWAY ENHANCE_YOUR_CALM after a bounded number of upstream calls,
 * SETTINGS and CONTINUATION floods (CVE-2024-27983) closed with bounded memory; after each attack
 * another client is still served.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, constants } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createEntityFactory } from '../testing/entities.js';
import { startProxy, startUpstream, type TestProxy, type Upstream } from '../testing/harness.js';
import { until } from '../../../test/support/until.js';
import { connectRawH2, FLAG, frame, FRAME, getRequest, headerBlock, type RawH2 } from './testing/raw-h2.js';
import { h2request } from './testing/h2-request.js';

const make = createEntityFactory();
const STREAMS = 4;
const BURST = 20;
const MAX_HEADER_SIZE = 8192;

describe('HTTP/2 hardening on the h2c listener (raw frames)', () => {
  let upstream: Upstream;
  let proxy: TestProxy;
  let port: number;
  let upstreamCalls = 0;
  /** Answers of `/slow` requests held until a test releases them. */
  const held: (() => void)[] = [];
  const raws: RawH2[] = [];

  const raw = async (options?: { read?: boolean }) => {
    const r = await connectRawH2(port, options);
    raws.push(r);
    return r;
  };

  /** A normal client on a fresh connection is still served. */
  const othersServed = async () => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on('error', () => undefined);
    try {
      const res = await h2request(session, { ':path': '/fast' });
      assert.equal(res.status, 200);
    } finally {
      session.destroy();
    }
  };

  before(async () => {
    upstream = await startUpstream((req, res) => {
      upstreamCalls++;
      if (req.url?.startsWith('/slow')) held.push(() => res.end('late'));
      else res.end('ok');
    });
    const service = make.service({ name: 'up', port: upstream.port });
    proxy = await startProxy(
      { services: [service], routes: [make.route({ name: 'all', paths: ['/'], strip_path: false, service: { id: service.id } })], consumers: [], plugins: [] },
      {
        proxy_listen_h2c: '127.0.0.1:0',
        http2_max_concurrent_streams: STREAMS,
        http2_stream_reset_burst: BURST,
        http2_stream_reset_rate: 5,
        max_header_size: MAX_HEADER_SIZE,
      },
    );
    port = (proxy.proxy.h2cServer!.address() as AddressInfo).port;
  });

  after(async () => {
    for (const r of raws) r.destroy();
    for (const release of held.splice(0)) release();
    await proxy.close();
    await upstream.close();
  });

  it('advertises its limits in its first SETTINGS: concurrent streams, header list size, no push', async () => {
    const r = await raw();
    await until('server SETTINGS', () => r.frames.some((f) => f.type === FRAME.SETTINGS && (f.flags & FLAG.ACK) === 0));
    const settings = r.frames.find((f) => f.type === FRAME.SETTINGS && (f.flags & FLAG.ACK) === 0)!;
    const values = new Map<number, number>();
    for (let i = 0; i + 6 <= settings.payload.length; i += 6) values.set(settings.payload.readUInt16BE(i), settings.payload.readUInt32BE(i + 2));
    assert.equal(values.get(3), STREAMS, 'SETTINGS_MAX_CONCURRENT_STREAMS');
    assert.equal(values.get(6), MAX_HEADER_SIZE, 'SETTINGS_MAX_HEADER_LIST_SIZE');
    assert.equal(values.get(2), 0, 'SETTINGS_ENABLE_PUSH');
  });

  it('refuses streams over http2_max_concurrent_streams with RST_STREAM REFUSED_STREAM and answers the others', async () => {
    const r = await raw();
    const ids = [1, 3, 5, 7, 9, 11];
    for (const id of ids) r.write(frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, id, getRequest('h.test', `/slow/${id}`)));
    await until('two streams refused', () => r.frames.filter((f) => f.type === FRAME.RST_STREAM).length >= 2);
    const refused = r.frames.filter((f) => f.type === FRAME.RST_STREAM);
    assert.deepEqual(
      refused.map((f) => [f.stream, f.payload.readUInt32BE(0)]),
      [
        [9, constants.NGHTTP2_REFUSED_STREAM],
        [11, constants.NGHTTP2_REFUSED_STREAM],
      ],
    );
    await until('four upstream calls held', () => held.length >= STREAMS);
    for (const release of held.splice(0)) release();
    await until('four answers', () => new Set(r.frames.filter((f) => f.type === FRAME.HEADERS).map((f) => f.stream)).size === STREAMS);
    assert.equal(r.goawayCode(), null, 'the connection stays open');
  });

  for (const [label, stream] of [
    ['HEADERS then RST_STREAM CANCEL at once', (id: number) => Buffer.concat([headersFrame(id, '/fast'), rst(id, constants.NGHTTP2_CANCEL)])],
    ['HEADERS then RST_STREAM NO_ERROR', (id: number) => Buffer.concat([headersFrame(id, '/fast'), rst(id, constants.NGHTTP2_NO_ERROR)])],
    ['requests to a slow upstream, each reset once sent', (id: number) => Buffer.concat([headersFrame(id, '/slow/r'), rst(id, constants.NGHTTP2_CANCEL)])],
  ] as const) {
    it(`closes a rapid-reset flood (${label}) with GOAWAY ENHANCE_YOUR_CALM after a bounded number of upstream calls`, async () => {
      const callsBefore = upstreamCalls;
      const r = await raw();
      const sent = 2000;
      for (let i = 0; i < sent && !r.isClosed(); i++) r.write(stream(1 + 2 * i));
      await until('GOAWAY', () => r.goawayCode() !== null || r.isClosed());
      await r.closed;
      assert.equal(r.goawayCode(), constants.NGHTTP2_ENHANCE_YOUR_CALM);
      const streamsOpened = upstreamCalls - callsBefore;
      assert.ok(streamsOpened <= BURST + 10, `upstream saw ${streamsOpened} requests for ${sent} sent streams`);
      for (const release of held.splice(0)) release();
      await othersServed();
    });
  }

  it('keeps a connection whose few cancellations stay within the burst', async () => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on('error', () => undefined);
    try {
      for (let i = 0; i < BURST / 2; i++) session.request({ ':path': '/fast' }).close(constants.NGHTTP2_CANCEL);
      const res = await h2request(session, { ':path': '/fast' });
      assert.equal(res.status, 200);
      assert.equal(session.destroyed, false);
    } finally {
      session.destroy();
    }
  });

  for (const count of [17, 40, 1000]) {
    it(`answers a SETTINGS frame with ${count} entries (over the 16 allowed) with GOAWAY ENHANCE_YOUR_CALM`, async () => {
      const r = await raw();
      const entries = Buffer.alloc(6 * count);
      for (let i = 0; i < count; i++) entries.writeUInt16BE(0x10 + (i % 0xff00), i * 6);
      r.write(frame(FRAME.SETTINGS, 0, 0, entries));
      await until('GOAWAY', () => r.goawayCode() !== null);
      assert.equal(r.goawayCode(), constants.NGHTTP2_ENHANCE_YOUR_CALM);
      await othersServed();
    });
  }

  for (const [label, read] of [
    ['while reading the ACKs', true],
    ['without reading the ACKs', false],
  ] as const) {
    it(`closes a SETTINGS flood ${label} (nghttp2's flood detection) with bounded memory`, async () => {
      const before = process.memoryUsage().rss;
      const r = await raw({ read });
      const one = frame(FRAME.SETTINGS, 0, 0, Buffer.from([0, 4, 0, 1, 0, 0]));
      const batch = Buffer.concat(Array.from({ length: 1000 }, () => one));
      // A server that stops reading stops the flood too: the writes then wait, up to a deadline.
      const stalled = new Promise((resolve) => setTimeout(resolve, 3000).unref());
      for (let i = 0; i < 100 && !r.isClosed(); i++) {
        if (
          !r.write(batch) &&
          (await Promise.race([new Promise((resolve) => r.socket.once('drain', () => resolve('drained'))), r.closed, stalled])) !== 'drained'
        )
          break;
      }
      // A client that reads nothing sees the close only once it reads again.
      if (!read) r.socket.resume();
      await until('connection closed', () => r.isClosed(), 10_000);
      if (read) assert.notEqual(r.goawayCode(), null, 'a GOAWAY was sent');
      assert.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024, 'RSS grew by less than 64 MiB');
      await othersServed();
    });
  }

  for (const [label, payload] of [
    ['empty CONTINUATION frames', Buffer.alloc(0)],
    ['CONTINUATION frames each adding a header field', headerBlock([['x-flood', 'a'.repeat(100)]])],
  ] as const) {
    it(`closes a CONTINUATION flood (${label}) with bounded memory`, async () => {
      const before = process.memoryUsage().rss;
      const r = await raw();
      r.write(frame(FRAME.HEADERS, FLAG.END_STREAM, 1, getRequest('h.test', '/fast')));
      const one = frame(FRAME.CONTINUATION, 0, 1, payload);
      const batch = Buffer.concat(Array.from({ length: 1000 }, () => one));
      for (let i = 0; i < 100 && !r.isClosed(); i++) {
        if (!r.write(batch)) await Promise.race([new Promise((resolve) => r.socket.once('drain', resolve)), r.closed]);
      }
      await until('connection closed', () => r.isClosed(), 10_000);
      assert.notEqual(r.goawayCode(), null, 'a GOAWAY was sent');
      assert.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024, 'RSS grew by less than 64 MiB');
      await othersServed();
    });
  }
});

function headersFrame(id: number, path: string): Buffer {
  return frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, id, getRequest('h.test', path));
}

function rst(id: number, code: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code);
  return frame(FRAME.RST_STREAM, 0, id, payload);
}
