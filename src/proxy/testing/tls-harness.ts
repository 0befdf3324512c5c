/**
 * The TLS side of the proxy test harness: a proxy with both listeners on loopback (state
 * swappable, built with the config's TLS settings), a TLS client that reports what the handshake
 * gave (certificate, version, cipher, ALPN) or how it failed, HTTPS requests with a chosen SNI, and
 * a recording relay that shows whether the server sent any handshake record at all (a refused
 * handshake must not send its certificate).
 */
import { request, type Agent } from 'node:https';
import { connect, type ConnectionOptions, type PeerCertificate, type TLSSocket } from 'node:tls';
import { createServer, connect as connectTcp, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { loadConfig } from '../../config/load-config.js';
import type { Config } from '../../config/schema.js';
import { createMetrics, type ProxyMetrics } from '../../observability/metrics.js';
import { BUILTIN_PLUGINS, createPluginRegistry } from '../../plugins/registry.js';
import { buildRuntimeState, type RuntimeSnapshot, type RuntimeState } from '../runtime-state.js';
import { createProxyServer, type ProxyServer } from '../proxy-server.js';
import { readAnswer, type SendOptions, type TestResponse } from './harness.js';

export interface TestTlsProxy {
  readonly proxy: ProxyServer;
  readonly port: number;
  readonly tlsPort: number;
  readonly metrics: ProxyMetrics;
  /** Rebuilds the state from a new snapshot (the previous one is closed), like an Admin API change. */
  apply(snapshot: RuntimeSnapshot): void;
  close(): Promise<void>;
}

/** Starts a proxy with the HTTPS listener on, over `snapshot`, with the default config plus `overrides`. */
export async function startTlsProxy(
  snapshot: RuntimeSnapshot,
  defaultCertificate: { cert: string; key: string },
  overrides: Partial<Config> = {},
  logger: Logger = pino({ level: 'silent' }),
): Promise<TestTlsProxy> {
  const config: Config = { ...loadConfig({ env: {} }), proxy_listen: '127.0.0.1:0', proxy_listen_tls: '127.0.0.1:0', ...overrides };
  const registry = createPluginRegistry(BUILTIN_PLUGINS);
  const metrics = createMetrics({ collectProcessMetrics: false });
  const tls = { minVersion: config.tls_min_version, ciphers: config.tls_ciphers };
  let state: RuntimeState = buildRuntimeState(snapshot, registry, { logger }, tls);
  const proxy = createProxyServer({ getState: () => state, config, logger, metrics, defaultCertificate });
  const address = await proxy.listen();
  return {
    proxy,
    port: address.http.port,
    tlsPort: address.https!.port,
    metrics,
    apply(next) {
      const previous = state;
      state = buildRuntimeState(next, registry, { logger }, tls);
      previous.close();
    },
    async close() {
      await proxy.close();
      state.close();
    },
  };
}

/** What a completed handshake gave the client. */
export interface Handshake {
  readonly ok: true;
  /** The served leaf's subject CN. */
  readonly cn: string;
  readonly fingerprint: string;
  readonly protocol: string | null;
  readonly cipher: string;
  readonly alpn: string | false | null;
}

/** How a handshake failed on the client side. */
export interface FailedHandshake {
  readonly ok: false;
  readonly code: string;
}

/** Opens a TLS connection (no verification: tests look at what was served), reports it, and closes it. */
export function handshake(port: number, options: ConnectionOptions = {}): Promise<Handshake | FailedHandshake> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => {
      const peer: PeerCertificate = socket.getPeerCertificate();
      resolve({
        ok: true,
        cn: String(peer.subject?.CN ?? ''),
        fingerprint: peer.fingerprint256,
        protocol: socket.getProtocol(),
        cipher: socket.getCipher().name,
        alpn: socket.alpnProtocol,
      });
      socket.end();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, code: err.code ?? err.message }));
  });
}

/** Sends one HTTPS request to the proxy's TLS port with `servername` as SNI and reads the whole answer. */
export function sendTls(
  port: number,
  path: string,
  options: SendOptions & { servername?: string; agent?: Agent } = {},
): Promise<TestResponse & { socket: TLSSocket }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        servername: options.servername,
        rejectUnauthorized: false,
        agent: options.agent ?? false,
      },
      (res) => {
        // Taken now: a keep-alive agent detaches the socket from the response once it ends.
        const socket = res.socket as TLSSocket;
        readAnswer(res).then((answer) => resolve({ ...answer, socket }), reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * A TCP relay in front of `port` that keeps what the server sent, to inspect its TLS records.
 * With `trickle`, what the client sends is passed on that many bytes at a time, a few
 * milliseconds apart (a ClientHello that arrives in pieces).
 */
export async function startRecordingRelay(port: number, trickle?: number): Promise<{ port: number; fromServer(): Buffer; close(): Promise<void> }> {
  const received: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connectTcp(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => (client.destroy(), upstream.destroy()));
    }
    upstream.on('data', (chunk: Buffer) => received.push(chunk));
    upstream.pipe(client);
    if (trickle === undefined) return void client.pipe(upstream);
    let queue = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      for (let at = 0; at < chunk.length; at += trickle) {
        const piece = chunk.subarray(at, at + trickle);
        queue = queue.then(() => new Promise((resolve) => setTimeout(() => (upstream.destroyed || upstream.write(piece), resolve()), 2)));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    fromServer: () => Buffer.concat(received),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** The content types of the TLS records in `bytes` (22 handshake, 21 alert, 23 application data). */
export function recordTypes(bytes: Buffer): number[] {
  const types: number[] = [];
  for (let at = 0; at + 5 <= bytes.length; at += 5 + bytes.readUInt16BE(at + 3)) types.push(bytes[at]!);
  return types;
}
