/**
 * gRPC through a running node (in process, real loopback), with `@grpc/grpc-js` as client and as
 * upstream (testing/grpc-echo.ts): unary, server-, client- and bidi-streaming calls over h2c and
 * over TLS to cleartext and TLS upstreams; key-auth with the key in metadata (`x-api-key`,
 * `authorization: Bearer`) and refusals as gRPC statuses with nothing reaching the upstream; the
 * upstream's statuses, messages and trailing metadata relayed; an upstream that is down, large
 * messages, cancellation, and calls that reach no gRPC route.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect as http2Connect, createServer as createHttp2Server, type ClientHttp2Session, type Http2Server, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { startTestNode, type TestNode } from '../../../test/support/running-node.js';
import { createTestCa, type TestCa } from '../../../test/support/certificates.js';
import { until } from '../../../test/support/until.js';
import { echoClient, metadataOf, readAll, startEchoServer, unary, type EchoClient, type EchoServer } from './testing/grpc-echo.js';
import { freePort } from '../../../test/support/free-port.js';
import { HTTP2_UPSTREAM_BUFFER } from '../upstream-exchange.js';

const ECHO = '/portcullis.test.Echo';

describe('gRPC through the gateway', () => {
  let t: TestNode;
  let ca: TestCa;
  let plain: EchoServer;
  let secure: EchoServer;
  let h2cPort: number;
  let key: string;
  /** A key of the TLS upstream's service (keys of a service are valid for it alone). */
  let keyTls: string;
  /** An HTTP/2 upstream that answers what the echo server cannot (`x-answer` picks it). */
  let odd: Http2Server;
  /** How many bytes each `flood` answer of `odd` had sent when its stream closed. */
  const floods: { sent: number }[] = [];
  const FLOOD_BYTES = 48 * 1024 * 1024;
  /** Sends FLOOD_BYTES as fast as the gateway takes them, then OK in the trailers. */
  const flood = (res: Http2ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/grpc' });
    const chunk = Buffer.alloc(64 * 1024, 1);
    let sent = 0;
    res.stream.once('close', () => floods.push({ sent }));
    const pump = () => {
      while (sent < FLOOD_BYTES && !res.stream.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (sent >= FLOOD_BYTES) {
        res.addTrailers({ 'grpc-status': '0' });
        res.end();
      }
    };
    pump();
  };
  const clients: EchoClient[] = [];

  /** A client of the gateway's h2c listener, calling as `authority` (which selects the route). */
  const viaH2c = (authority: string) => {
    const client = echoClient(`127.0.0.1:${h2cPort}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': authority });
    clients.push(client);
    return client;
  };
  /** A client of the gateway's TLS listener, trusting the test CA, with `authority` as SNI and :authority. */
  const viaTls = (authority: string) => {
    const port = t.node.proxyTlsAddress!.port;
    const client = echoClient(`127.0.0.1:${port}`, grpc.credentials.createSsl(Buffer.from(ca.cert)), {
      'grpc.ssl_target_name_override': authority,
      'grpc.default_authority': authority,
    });
    clients.push(client);
    return client;
  };
  const withKey = (extra: Record<string, string> = {}) => metadataOf({ 'x-api-key': key, ...extra });
  /** A raw gRPC call to Unary on the h2c listener, sent whole, whose answer the client holds unread (paused). */
  const heldCall = (session: ClientHttp2Session, authority: string, body?: Buffer, headers: Record<string, string> = {}) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': `${ECHO}/Unary`,
      ':authority': authority,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
    });
    stream.pause();
    stream.end(body);
    const trailers = new Promise<Record<string, unknown>>((resolve) => stream.once('trailers', resolve));
    return { stream, trailers };
  };
  /** Opens a bidi call, cancels it once the first reply came back; resolves with the status the client saw. */
  const cancelAfterFirstReply = async (client: EchoClient) => {
    const bidi = client.Bidi(metadataOf());
    const status = readAll(bidi);
    await new Promise<void>((resolve) => {
      bidi.once('data', () => resolve());
      bidi.write({ message: 'first' });
    });
    bidi.cancel();
    return (await status).code;
  };

  before(async () => {
    ca = await createTestCa({ name: 'grpc test ca' });
    plain = await startEchoServer();
    const upstreamCert = await ca.issue({ names: ['localhost', '127.0.0.1'] });
    secure = await startEchoServer(upstreamCert);
    odd = createHttp2Server((req, res) => {
      req.resume();
      const answer = req.headers['x-answer'];
      if (answer === 'http-503') return void res.writeHead(503, { 'content-type': 'text/plain' }).end('down for maintenance');
      if (answer === 'flood') return flood(res);
      // A status no gRPC code has, or not a number: a hostile upstream's attempt at new label values.
      res.writeHead(200, { 'content-type': 'application/grpc' });
      res.addTrailers({ 'grpc-status': answer === 'status-99' ? '99' : 'not-a-number' });
      res.end();
    });
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    h2cPort = await freePort();
    t = await startTestNode('sqlite', { config: { proxy_listen_h2c: `127.0.0.1:${h2cPort}` } });
    const ok = async (method: string, path: string, body: unknown) => {
      const res = await t.call(method, path, body);
      assert.ok(res.status === 201 || res.status === 200, `${method} ${path}: ${res.status} ${res.text}`);
      return res.body;
    };
    const gatewayCert = await ca.issue({ names: ['grpc.test', 'secure.test'] });
    await ok('POST', '/certificates', { cert: gatewayCert.cert, key: gatewayCert.key, snis: ['grpc.test', 'secure.test'] });
    const trusted = await ok('POST', '/ca_certificates', { cert: ca.cert });
    await ok('POST', '/services', { name: 'echo', url: `grpc://127.0.0.1:${plain.port}` });
    await ok('POST', '/services', { name: 'echo-tls', url: `grpcs://127.0.0.1:${secure.port}`, ca_certificates: [trusted.id] });
    await ok('POST', '/services', { name: 'down', url: `grpc://127.0.0.1:${await freePort()}`, retries: 0 });
    await ok('POST', '/services', { name: 'http-echo', url: `http://127.0.0.1:${plain.port}` });
    const route = (service: string, name: string, hosts: string[], protocols = ['grpc', 'grpcs']) =>
      ok('POST', `/services/${service}/routes`, { name, hosts, paths: [ECHO], strip_path: false, protocols });
    await route('echo', 'keyed', ['keyed.test', 'grpc.test']);
    await route('echo', 'bearer', ['bearer.test']);
    await route('echo', 'open', ['open.test']);
    await route('echo-tls', 'tls-upstream', ['tls.test', 'secure.test'], ['grpc', 'grpcs']);
    await route('echo', 'tls-only', ['strict.test'], ['grpcs']);
    await route('down', 'down', ['down.test']);
    await route('http-echo', 'http-route', ['http.test'], ['http', 'https']);
    await ok('POST', '/services', { name: 'odd', url: `grpc://127.0.0.1:${(odd.address() as AddressInfo).port}` });
    await route('odd', 'odd', ['odd.test']);
    await ok('POST', '/consumers', { username: 'alice' });
    await ok('POST', '/routes/keyed/plugins', { name: 'key-auth' });
    await ok('POST', '/routes/tls-upstream/plugins', { name: 'key-auth' });
    await ok('POST', '/routes/bearer/plugins', { name: 'key-auth', config: { key_names: ['authorization'], value_prefix: 'Bearer ' } });
    key = (await ok('POST', '/services/echo/api-keys', { name: 'grpc', consumer: 'alice' })).api_key;
    keyTls = (await ok('POST', '/services/echo-tls/api-keys', { name: 'grpcs', consumer: 'alice' })).api_key;
  });

  after(async () => {
    for (const client of clients) client.close();
    await t.close();
    await plain.close();
    await secure.close();
    await new Promise((resolve) => odd.close(resolve));
  });

  it('proxies a unary call with the key in metadata: the key never reaches the upstream, the consumer does, the trailers come back', async () => {
    const result = await unary(viaH2c('keyed.test'), { message: 'hello' }, withKey({ 'x-trace': 'abc' }));
    assert.equal(result.code, grpc.status.OK, result.details);
    assert.equal(result.reply?.message, 'hello');
    const seen = result.reply!.metadata;
    assert.equal(seen['x-api-key'], undefined, 'hide_credentials');
    assert.equal(seen['x-consumer-username'], 'alice');
    assert.equal(seen['x-trace'], 'abc');
    assert.equal(result.trailers['x-echo-trailer'], 'done');
  });

  it('answers a call without a valid key UNAUTHENTICATED, with nothing reaching the upstream', async () => {
    const variants: [string, Record<string, string>][] = [
      ['keyed.test', {}],
      ['keyed.test', { 'x-api-key': 'pcg_not-a-real-key' }],
      ['keyed.test', { apikey: 'garbage' }],
      ['keyed.test', { authorization: `Bearer ${'x'.repeat(40)}` }],
      ['bearer.test', {}],
      ['bearer.test', { authorization: 'Bearer pcg_wrong' }],
      // The right key, but not where this route reads it (authorization with the Bearer prefix).
      ['bearer.test', { authorization: 'Basic abc' }],
    ];
    const before = plain.calls.length;
    for (const [authority, metadata] of variants) {
      const result = await unary(viaH2c(authority), { message: 'refused' }, metadataOf(metadata));
      assert.equal(result.code, grpc.status.UNAUTHENTICATED, `${authority} ${JSON.stringify(metadata)}: ${result.details}`);
      assert.equal(result.details, 'Unauthorized');
    }
    assert.equal(plain.calls.length, before, 'no refused call reached the upstream');
  });

  it('accepts the key as authorization: Bearer when key-auth reads it there', async () => {
    const result = await unary(viaH2c('bearer.test'), { message: 'bearer' }, metadataOf({ authorization: `Bearer ${key}` }));
    assert.equal(result.code, grpc.status.OK, result.details);
    assert.equal(result.reply!.metadata['authorization'], undefined, 'hide_credentials');
    assert.equal(result.reply!.metadata['x-consumer-username'], 'alice');
  });

  it('relays server streaming, client streaming and bidi calls whole', async () => {
    const client = viaH2c('keyed.test');
    const served = await readAll(client.ServerStream({ message: 'tick', count: 5 }, withKey()));
    assert.equal(served.code, grpc.status.OK, served.details);
    assert.deepEqual(
      served.replies.map((r) => r.message),
      ['tick 0', 'tick 1', 'tick 2', 'tick 3', 'tick 4'],
    );
    assert.equal(served.trailers['x-echo-trailer'], 'done');

    const gathered = await new Promise<string>((resolve, reject) => {
      const call = client.ClientStream(withKey(), (err, reply) => (err ? reject(err) : resolve(reply!.message)));
      for (const part of ['a', 'b', 'c', 'd']) call.write({ message: part });
      call.end();
    });
    assert.equal(gathered, 'a,b,c,d');

    // Ping-pong: each message is sent only once the previous one came back, so both directions are open at once.
    const bidi = client.Bidi(withKey());
    const done = readAll(bidi);
    for (const word of ['one', 'two', 'three']) {
      const echoed = await new Promise<string>((resolve) => {
        bidi.once('data', (reply: { message: string }) => resolve(reply.message));
        bidi.write({ message: word });
      });
      assert.equal(echoed, word);
    }
    bidi.end();
    const status = await done;
    assert.equal(status.code, grpc.status.OK, status.details);
  });

  it("relays the upstream's status, message and trailing metadata, trailers-only or after messages", async () => {
    const client = viaH2c('open.test');
    const unaryResult = await unary(client, { fail: 'no such thing: widget 7 (100%)' });
    assert.equal(unaryResult.code, grpc.status.NOT_FOUND);
    assert.equal(unaryResult.details, 'no such thing: widget 7 (100%)');
    assert.equal(unaryResult.trailers['x-echo-trailer'], 'done');
    const streamed = await readAll(client.ServerStream({ message: 'part', count: 2, fail: 'ran out' }, metadataOf()));
    assert.deepEqual(
      streamed.replies.map((r) => r.message),
      ['part 0', 'part 1'],
    );
    assert.equal(streamed.code, grpc.status.NOT_FOUND);
    assert.equal(streamed.details, 'ran out');
  });

  it('answers UNAVAILABLE when the upstream is down', async () => {
    const result = await unary(viaH2c('down.test'), { message: 'anyone?' });
    assert.equal(result.code, grpc.status.UNAVAILABLE);
    assert.equal(result.details, 'The upstream service could not be reached');
  });

  it('answers calls that reach no gRPC route UNIMPLEMENTED, and a grpcs-only route in cleartext FAILED_PRECONDITION', async () => {
    const before = plain.calls.length;
    for (const authority of ['nowhere.test', 'http.test']) {
      const result = await unary(viaH2c(authority), { message: 'lost' });
      assert.equal(result.code, grpc.status.UNIMPLEMENTED, authority);
      assert.equal(result.details, 'No route matched this request');
    }
    const strict = await unary(viaH2c('strict.test'), { message: 'cleartext' });
    assert.equal(strict.code, grpc.status.FAILED_PRECONDITION);
    assert.equal(plain.calls.length, before);
    // An ordinary HTTP request to a gRPC route: as if no route matched, in JSON.
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: t.node.proxyAddress.port, path: `${ECHO}/Unary`, headers: { host: 'open.test' } }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(res.status, 404);
    assert.equal((JSON.parse(res.body) as { code: string }).code, 'PC_PROXY_NO_ROUTE');
  });

  it('carries large messages both ways', async () => {
    const payload = Buffer.alloc(3 * 1024 * 1024, 7);
    payload[12345] = 1;
    const result = await unary(viaH2c('open.test'), { message: 'big', payload });
    assert.equal(result.code, grpc.status.OK, result.details);
    assert.ok(payload.equals(result.reply!.payload));
  });

  for (const bytes of [60_000, 200_000, 1_000_000]) {
    it(`relays a large answer (${bytes} bytes) whole to a client that reads it late (the upstream finished, trailers included, meanwhile)`, async () => {
      // A raw HTTP/2 client that holds its response unread: the gateway's writes then back up, and
      // the upstream's answer and trailers arrive while the client reads nothing. Undici's HTTP/2
      // client loses what it holds for a paused stream when the trailers come, so the gateway must
      // never pause an HTTP/2 upstream: this answer came back "OK" with no message when it did.
      const payload = Buffer.alloc(bytes, 3);
      const size = (n: number) => {
        const bytes = [];
        for (; n > 127; n >>>= 7) bytes.push((n & 127) | 128);
        return Buffer.from([...bytes, n]);
      };
      // EchoRequest { message: "late" (field 1), payload (field 2) }, as one length-prefixed gRPC message.
      const message = Buffer.concat([Buffer.from([0x0a, 4]), Buffer.from('late'), Buffer.from([0x12]), size(payload.length), payload]);
      const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), message]);
      frame.writeUInt32BE(message.length, 1);
      const session = http2Connect(`http://127.0.0.1:${h2cPort}`);
      try {
        const before = plain.calls.length;
        const { stream, trailers } = heldCall(session, 'open.test', frame);
        await until('the upstream got the call', () => plain.calls.length > before);
        // Time for the upstream to send its whole answer and trailers while this client reads nothing.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.resume();
        await new Promise((resolve) => stream.once('end', resolve));
        const body = Buffer.concat(chunks);
        assert.equal((await trailers)['grpc-status'], '0');
        assert.ok(body.length >= 5 && body.readUInt32BE(1) === body.length - 5, `one whole message: ${body.length} bytes received`);
        assert.ok(body.length > payload.length, `the payload came back: ${body.length} bytes`);
      } finally {
        session.destroy();
      }
    });
  }

  it(`cuts a call whose client reads less than its HTTP/2 upstream sends, once ${HTTP2_UPSTREAM_BUFFER / 1024 / 1024} MiB wait for it`, async () => {
    // An HTTP/2 upstream is never paused (see the test above), so what a slow client has not read
    // is held by the gateway, up to HTTP2_UPSTREAM_BUFFER; past it the call is cut with an error
    // status, never silently shortened, and the upstream's stream is closed before its end.
    const session = http2Connect(`http://127.0.0.1:${h2cPort}`);
    try {
      const { stream, trailers } = heldCall(session, 'odd.test', undefined, { 'x-answer': 'flood' });
      const before = floods.length;
      await until('the upstream stream ended', () => floods.length > before, 20_000);
      const upstream = floods.at(-1)!;
      assert.ok(upstream.sent < FLOOD_BYTES, `the upstream was cut before the end (${upstream.sent} of ${FLOOD_BYTES} bytes sent)`);
      assert.ok(upstream.sent > HTTP2_UPSTREAM_BUFFER, `only past the bound (${upstream.sent} bytes sent)`);
      let received = 0;
      stream.on('data', (chunk: Buffer) => (received += chunk.length));
      stream.resume();
      await new Promise((resolve) => stream.once('close', resolve));
      assert.ok(received < upstream.sent, `the client got less than was sent (${received} of ${upstream.sent})`);
      assert.equal((await trailers)['grpc-status'], String(grpc.status.UNAVAILABLE));
    } finally {
      session.destroy();
    }
  });

  it('passes a cancelled call on to the upstream', async () => {
    const cancelledBefore = secure.cancelled() + plain.cancelled();
    assert.equal(await cancelAfterFirstReply(viaH2c('open.test')), grpc.status.CANCELLED);
    await until('the upstream saw the cancellation', () => secure.cancelled() + plain.cancelled() > cancelledBefore);
  });

  it('proxies over TLS on both sides (grpcs listener, grpcs upstream verified against its CA), with the key checked', async () => {
    const client = viaTls('secure.test');
    const before = secure.calls.length;
    for (const metadata of [{}, { 'x-api-key': key }] as Record<string, string>[]) {
      const refused = await unary(client, { message: 'refused' }, metadataOf(metadata));
      assert.equal(refused.code, grpc.status.UNAUTHENTICATED, JSON.stringify(metadata));
    }
    assert.equal(secure.calls.length, before);
    const result = await unary(client, { message: 'tls' }, metadataOf({ 'x-api-key': keyTls }));
    assert.equal(result.code, grpc.status.OK, result.details);
    assert.equal(result.reply!.message, 'tls');
    assert.equal(secure.calls.length, before + 1);
    const streamed = await readAll(client.ServerStream({ message: 's', count: 3 }, metadataOf({ 'x-api-key': keyTls })));
    assert.equal(streamed.replies.length, 3);
    assert.equal(streamed.code, grpc.status.OK);
    // A cleartext upstream behind the TLS listener.
    const mixed = await unary(viaTls('grpc.test'), { message: 'mixed' }, withKey());
    assert.equal(mixed.code, grpc.status.OK, mixed.details);
  });

  it('counts every call in portcullis_grpc_calls_total by the gRPC status its client was given', async () => {
    const counts = async () => {
      const found = new Map<string, number>();
      for (const line of (await t.call('GET', '/metrics')).text.split('\n')) {
        const m = /^portcullis_grpc_calls_total\{route="([^"]*)",service="([^"]*)",grpc_code="([^"]*)"\} (\d+)$/.exec(line);
        if (m !== null) found.set(`${m[1]} ${m[2]} ${m[3]}`, Number(m[4]));
        // The HTTP count of the cancelled call: 499 (client gone), not the 200 its headers had.
        if (line.startsWith('portcullis_http_requests_total{route="open",service="echo",status="499"} ')) found.set('http 499', Number(line.split(' ')[1]));
      }
      return found;
    };
    const before = await counts();
    const calls: [EchoClient, Parameters<typeof unary>[1], grpc.Metadata, number][] = [
      [viaH2c('keyed.test'), { message: 'ok' }, withKey(), grpc.status.OK],
      [viaH2c('keyed.test'), { message: 'ok' }, withKey(), grpc.status.OK],
      [viaH2c('keyed.test'), { message: 'no key' }, metadataOf(), grpc.status.UNAUTHENTICATED],
      [viaH2c('open.test'), { fail: 'missing' }, metadataOf(), grpc.status.NOT_FOUND],
      [viaH2c('down.test'), { message: 'down' }, metadataOf(), grpc.status.UNAVAILABLE],
      [viaH2c('nowhere.test'), { message: 'lost' }, metadataOf(), grpc.status.UNIMPLEMENTED],
      [viaH2c('strict.test'), { message: 'cleartext' }, metadataOf(), grpc.status.FAILED_PRECONDITION],
      [viaH2c('odd.test'), { message: '503' }, metadataOf({ 'x-answer': 'http-503' }), grpc.status.UNAVAILABLE],
      // Both relayed as received (grpc-js hands on 99, and NaN for the other); counted as UNKNOWN.
      [viaH2c('odd.test'), { message: '99' }, metadataOf({ 'x-answer': 'status-99' }), 99],
      [viaH2c('odd.test'), { message: 'nan' }, metadataOf({ 'x-answer': 'status-nan' }), Number.NaN],
    ];
    for (const [client, request, metadata, expected] of calls) {
      const result = await unary(client, request, metadata);
      assert.equal(result.code, expected, `${JSON.stringify(request)}: ${result.details}`);
    }
    // A client that cancels while the upstream is still answering.
    assert.equal(await cancelAfterFirstReply(viaH2c('open.test')), grpc.status.CANCELLED);

    const expected: Record<string, number> = {
      'keyed echo OK': 2,
      'keyed echo UNAUTHENTICATED': 1,
      'open echo NOT_FOUND': 1,
      'open echo CANCELLED': 1,
      'down down UNAVAILABLE': 1,
      '  UNIMPLEMENTED': 1,
      'tls-only echo FAILED_PRECONDITION': 1,
      'odd odd UNAVAILABLE': 1,
      'odd odd UNKNOWN': 2,
      'http 499': 1,
    };
    await until('every call is counted once its response closed', async () => {
      const after = await counts();
      const delta = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
      return Object.entries(expected).every(([k, n]) => delta(k) === n);
    });
    const after = await counts();
    const changed = [...after.keys()].filter((k) => after.get(k) !== (before.get(k) ?? 0)).sort();
    assert.deepEqual(changed, Object.keys(expected).sort(), 'no other series moved, and no label value came from the upstream');
  });
});
