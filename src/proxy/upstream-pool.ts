/**
 * Connections to upstream services: one undici `Pool` of keep-alive connections per origin and
 * connect timeout, created on first use and kept across configuration changes (so a rebuild does
 * not drop warm connections). A service's settings are resolved once per service object into an
 * `UpstreamTarget`; the request path only reads it.
 */
import { Pool, type Dispatcher } from 'undici';
import type { Service } from '../entities/services.js';

/** The node-wide defaults and limits, from the config (milliseconds). */
export interface UpstreamPoolConfig {
  readonly connectTimeout: number;
  readonly readTimeout: number;
  readonly keepAliveTimeout: number;
  /** Most connections per origin. */
  readonly poolSize: number;
}

/** Everything needed to send a request to one service. */
export interface UpstreamTarget {
  readonly dispatcher: Dispatcher;
  /** `host[:port]` as sent in the Host header (the port only when not the protocol's default). */
  readonly hostHeader: string;
  /** Time allowed for the response head, then between two body chunks (the read timeout). */
  readonly readTimeout: number;
}

/** The node's upstream connection pools. */
export interface UpstreamPool {
  /** The target of `service`, resolved once per service object. */
  targetFor(service: Service): UpstreamTarget;
  /** Closes every pool: in-flight requests finish, idle connections close. */
  close(): Promise<void>;
  /** Destroys every pool and its connections at once. */
  destroy(): Promise<void>;
}

/** Creates the node's upstream connection pools. */
export function createUpstreamPool(config: UpstreamPoolConfig): UpstreamPool {
  const pools = new Map<string, Pool>();
  const targets = new WeakMap<Service, UpstreamTarget>();

  const poolFor = (origin: string, connectTimeout: number): Pool => {
    const key = `${origin}|${connectTimeout}`;
    let pool = pools.get(key);
    if (pool === undefined) {
      pool = new Pool(origin, {
        connections: config.poolSize,
        pipelining: 1,
        keepAliveTimeout: config.keepAliveTimeout,
        keepAliveMaxTimeout: config.keepAliveTimeout,
        headersTimeout: config.readTimeout,
        bodyTimeout: config.readTimeout,
        connect: { timeout: connectTimeout },
      });
      pools.set(key, pool);
    }
    return pool;
  };

  return {
    targetFor(service) {
      let target = targets.get(service);
      if (target === undefined) {
        const host = service.host.includes(':') && !service.host.startsWith('[') ? `[${service.host}]` : service.host;
        const defaultPort = service.protocol === 'https' ? 443 : 80;
        const hostHeader = service.port === defaultPort ? host : `${host}:${service.port}`;
        target = Object.freeze({
          dispatcher: poolFor(`${service.protocol}://${host}:${service.port}`, service.connect_timeout ?? config.connectTimeout),
          hostHeader,
          readTimeout: service.read_timeout ?? config.readTimeout,
        });
        targets.set(service, target);
      }
      return target;
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.close()));
      pools.clear();
    },
    async destroy() {
      await Promise.all([...pools.values()].map((p) => p.destroy()));
      pools.clear();
    },
  };
}
