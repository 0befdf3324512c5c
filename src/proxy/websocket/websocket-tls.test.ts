import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type ClientOptions } from 'ws';
import type { RuntimeSnapshot } from '../runtime-state.js';
import type { Service } from '../../entities/services.js';
import { createEntityFactory } from '../testing/entities.js';
import { startTlsProxy, type TestTlsProxy } from '../testing/tls-harness.js';
import { createSelfSignedTestCertificate, createTestCa, type TestCa } from '../../../test/support/certificates.js';

const make = createEntityFactory();

/** Opens `url` trusting `ca`; rejects with the status of a refused handshake. */
function connect(url: string, ca: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    // The proxy's default certificate names default.test; the client connects by address.
    const ws = new WebSocket(url, { ca, servername: 'default.test' } as ClientOptions);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`status ${res.statusCode}`), { status: res.statusCode })));
  });
}

describe('wss: WebSocket over the TLS listener to a TLS upstream', () => {
  let ca: TestCa;
  let upstream: Server;
  let proxy: TestTlsProxy;
  let defaults: { cert: string; key: string };

  before(async () => {
    ca = await createTestCa({ name: 'ws upstream CA' });
    const leaf = await ca.issue({ names: ['localhost', '127.0.0.1'] });
    upstream = createServer({ cert: leaf.cert, key: leaf.key });
    new WebSocketServer({ server: upstream }).on('connection', (socket) => socket.on('message', (data, binary) => socket.send(data, { binary })));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as AddressInfo).port;
    const service = (name: string, fields: Partial<Service>) => make.service({ name, protocol: 'https', host: 'localhost', port, ...fields });
    const trusted = service('trusted', { ca_certificates: ['ca-1'] } as Partial<Service>);
    const untrusted = service('untrusted', {});
    const snapshot: RuntimeSnapshot = {
      services: [trusted, untrusted],
      routes: [
        make.route({ name: 'secure', paths: ['/secure'], protocols: ['wss'], service: { id: trusted.id } }),
        make.route({ name: 'untrusted', paths: ['/untrusted'], protocols: ['wss'], service: { id: untrusted.id } }),
      ],
      consumers: [],
      plugins: [],
      caCertificates: [{ id: 'ca-1', cert: ca.cert }],
    } as RuntimeSnapshot;
    defaults = await createSelfSignedTestCertificate({ names: ['default.test'] });
    proxy = await startTlsProxy(snapshot, defaults, { websocket_idle_timeout: 0 });
  });
  after(async () => {
    await proxy.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('echoes through a wss route to an upstream trusted by the service’s CA', async () => {
    const ws = await connect(`wss://127.0.0.1:${proxy.tlsPort}/secure`, defaults.cert);
    const echoed = await new Promise<string>((resolve) => {
      ws.once('message', (m) => resolve(m.toString()));
      ws.send('over tls both ways');
    });
    assert.equal(echoed, 'over tls both ways');
    ws.terminate();
  });

  it('answers 502 when the upstream’s certificate is not trusted (the service’s TLS settings apply)', async () => {
    await assert.rejects(connect(`wss://127.0.0.1:${proxy.tlsPort}/untrusted`, defaults.cert), { status: 502 });
  });

  it('answers 426 for a plain handshake to a wss-only route', async () => {
    await assert.rejects(
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/secure`);
        ws.once('open', resolve);
        ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error('refused'), { status: res.statusCode })));
        ws.once('error', reject);
      }),
      { status: 426 },
    );
  });
});
