/**
 * Connections to upstream services: one undici `Pool` of keep-alive connections per origin,
 * connect timeout and TLS identity (`UpstreamTls.identity`: trust, client certificate, SNI),
 * created on first use and kept across configuration changes (so a rebuild does not drop warm
 * connections). A service's settings are resolved once per service object into an
 * `UpstreamTarget`; the request path only reads it.
 *
 * Pools do not accumulate as certificates rotate: a pool that no service uses any more (each
 * service id has one current pool) is closed `retireAfter` later, which leaves requests already
 * routed to it time to be sent; a pool unused for `idleAfter` (a deleted service) is closed too.
 * Closing is graceful: requests in flight finish. A later use makes the pool again.
 *
 * A gRPC service's pool speaks HTTP/2: by ALPN over TLS (`grpcs`), with prior knowledge in
 * cleartext (`grpc`, undici's `useH2c`); many calls share one connection. A call it cancels is
 * reset with RST_STREAM CANCEL alone (`http2/upstream-cancel.ts`).
 */
import type { Dispatcher } from 'undici';
import { buildConnector, Pool } from '../util/undici.js';
import { usesTls, type Service } from '../entities/services.js';
import { sniOf, upstreamTlsFor, type UpstreamTls } from './upstream-tls.js';
import { createUpstreamConnector } from './upstream-connector.js';
import { cancelCallsWithReset } from './http2/upstream-cancel.js';

/** The node-wide defaults and limits, from the config (milliseconds). */
export interface UpstreamPoolConfig {
  readonly connectTimeout: number;
  readonly readTimeout: number;
  readonly keepAliveTimeout: number;
  /** Most connections per origin. */
  readonly poolSize: number;
  /** How long a pool no service uses any more stays open (default 60 s). */
  readonly retireAfter?: number;
  /** A pool unused for between one and two of these is closed (default 10 min). */
  readonly idleAfter?: number;
}

/** Everything needed to send a request to one service. */
export interface UpstreamTarget {
  readonly dispatcher: Dispatcher;
  /** `host[:port]` as sent in the Host header (the port only when not the protocol's default). */
  readonly hostHeader: string;
  /** Time allowed for the response head, then between two body chunks (the read timeout). */
  readonly readTimeout: number;
  /**
   * Sent as each request's `servername`: undici otherwise takes it from the Host header and drops
   * the connection whenever it changes (`preserve_host`). The SNI sent is the pool's, not this.
   */
  readonly servername: string;
  /** The pool speaks HTTP/2 to the upstream (gRPC services). */
  readonly http2: boolean;
}

/** True for the services whose upstream speaks HTTP/2: gRPC's. */
function isHttp2Service(service: Service): boolean {
  return service.protocol === 'grpc' || service.protocol === 'grpcs';
}

/** The node's upstream connection pools. */
export interface UpstreamPool {
  /** The target of `service`; `tls` is its state's settings (null or absent for an https service: verified against the system store). */
  targetFor(service: Service, tls?: UpstreamTls | null): UpstreamTarget;
  /** How many pools are open. */
  readonly size: number;
  /** Closes every pool: in-flight requests finish, idle connections close. */
  close(): Promise<void>;
  /** Destroys every pool and its connections at once. */
  destroy(): Promise<void>;
}

interface Entry {
  readonly key: string;
  readonly pool: Pool;
  /** Ids of the services whose current pool this is. */
  readonly users: Set<string>;
  used: boolean;
  closed: boolean;
}

/** Creates the node's upstream connection pools. */
export function createUpstreamPool(config: UpstreamPoolConfig): UpstreamPool {
  const entries = new Map<string, Entry>();
  const currentKey = new Map<string, string>();
  const targets = new WeakMap<Service, { readonly tls: UpstreamTls | null; readonly entry: Entry; readonly target: UpstreamTarget }>();
  const retireAfter = config.retireAfter ?? 60_000;
  const idleAfter = config.idleAfter ?? 600_000;

  const closeEntry = (entry: Entry): void => {
    if (entry.closed) return;
    entry.closed = true;
    entries.delete(entry.key);
    for (const id of entry.users) if (currentKey.get(id) === entry.key) currentKey.delete(id);
    entry.pool.close().catch(() => {});
  };
  const idleTimer = setInterval(() => {
    for (const entry of entries.values()) {
      if (entry.used) entry.used = false;
      else closeEntry(entry);
    }
  }, idleAfter).unref();

  /** Makes `entry` the current pool of `serviceId`; the pool it replaces closes later if nothing else uses it. */
  const adopt = (serviceId: string, entry: Entry): void => {
    const previous = currentKey.get(serviceId);
    if (previous === entry.key) return;
    currentKey.set(serviceId, entry.key);
    entry.users.add(serviceId);
    const old = previous === undefined ? undefined : entries.get(previous);
    if (old === undefined) return;
    old.users.delete(serviceId);
    if (old.users.size === 0) setTimeout(() => old.users.size === 0 && closeEntry(old), retireAfter).unref();
  };

  const entryFor = (service: Service, connectTimeout: number, tls: UpstreamTls | null): Entry => {
    const origin = `${service.protocol}://${bracketed(service.host)}:${service.port}`;
    const key = `${origin}|${connectTimeout}|${tls?.identity ?? ''}`;
    let entry = entries.get(key);
    if (entry === undefined) {
      const h2 = isHttp2Service(service);
      // Undici knows only http and https origins; h2 is chosen by the options below.
      const pool = new Pool(`${usesTls(service.protocol) ? 'https' : 'http'}://${bracketed(service.host)}:${service.port}`, {
        // HTTP/2 multiplexes (up to the upstream's stream limit): no pipelining cap of one per connection.
        ...(h2 ? { allowH2: true, useH2c: service.protocol === 'grpc' } : { pipelining: 1 }),
        connections: config.poolSize,
        keepAliveTimeout: config.keepAliveTimeout,
        keepAliveMaxTimeout: config.keepAliveTimeout,
        headersTimeout: config.readTimeout,
        bodyTimeout: config.readTimeout,
        // Pool builds its connector without `useH2c`: h2c needs one built here.
        connect:
          tls !== null
            ? createUpstreamConnector(tls, connectTimeout, h2)
            : h2
              ? buildConnector({ timeout: connectTimeout, useH2c: true } as buildConnector.BuildOptions)
              : { timeout: connectTimeout },
      });
      // Undici's own cancel would send the upstream END_STREAM before the reset (http2/upstream-cancel.ts).
      if (h2) cancelCallsWithReset(pool);
      entry = { key, pool, users: new Set(), used: false, closed: false };
      entries.set(key, entry);
    }
    return entry;
  };

  const closeAll = async (end: (pool: Pool) => Promise<void>): Promise<void> => {
    clearInterval(idleTimer);
    const all = [...entries.values()];
    entries.clear();
    for (const entry of all) entry.closed = true;
    await Promise.all(all.map((entry) => end(entry.pool)));
  };

  return {
    targetFor(service, tls = null) {
      const cached = targets.get(service);
      if (cached !== undefined && cached.tls === tls && !cached.entry.closed) {
        cached.entry.used = true;
        return cached.target;
      }
      const settings = usesTls(service.protocol) ? (tls ?? systemStoreTls(service)) : null;
      const connectTimeout = service.connect_timeout ?? config.connectTimeout;
      const entry = entryFor(service, connectTimeout, settings);
      entry.used = true;
      adopt(service.id, entry);
      const target = Object.freeze({
        dispatcher: entry.pool,
        hostHeader: upstreamHostHeader(service),
        readTimeout: service.read_timeout ?? config.readTimeout,
        servername: sniOf(service.host) ?? service.host,
        http2: isHttp2Service(service),
      });
      targets.set(service, { tls, entry, target });
      return target;
    },
    get size() {
      return entries.size;
    },
    close: () => closeAll((pool) => pool.close()),
    destroy: () => closeAll((pool) => pool.destroy()),
  };
}

/** `host[:port]` for the Host header sent upstream (the port only when not the protocol's default). */
export function upstreamHostHeader(service: Service): string {
  let header = hostHeaders.get(service);
  if (header === undefined) {
    const host = bracketed(service.host);
    header = service.port === (usesTls(service.protocol) ? 443 : 80) ? host : `${host}:${service.port}`;
    hostHeaders.set(service, header);
  }
  return header;
}

/** Per service object (immutable, replaced on change): computed once, not per request. */
const hostHeaders = new WeakMap<Service, string>();

function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Settings for an https service given none: verified against the system store, SNI the host. */
function systemStoreTls(service: Service): UpstreamTls {
  const plain = { ...service, tls_verify: true, tls_verify_depth: null, ca_certificates: null, client_certificate: null };
  return upstreamTlsFor(plain, { caCertificate: () => undefined, clientCertificate: () => undefined }) as UpstreamTls;
}
