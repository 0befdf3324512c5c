/**
 * Prometheus metrics of one node, in a registry of its own (no global default registry), served
 * at `/metrics` on the admin listener. Label values are bounded: a route's name or id, a status
 * code, an error kind, a failure reason, a lockout scope; never a path, a header, a key, a
 * username or a client address.
 */
import { Registry, Counter, Histogram, Gauge, collectDefaultMetrics } from 'prom-client';
import { createAuthOutcomes, type AuthOutcomes } from './auth-outcomes.js';
import { VERSION } from '../version.js';

export interface ProxyMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'service' | 'status'>;
  readonly latency: Histogram<'route' | 'service'>;
  /** Counted once per client request, when the upstream call finally failed (retries apart). */
  readonly upstreamErrors: Counter<'route' | 'service' | 'kind'>;
  readonly upstreamRetries: Counter<'route' | 'service'>;
  readonly upstreamLatency: Histogram<'route' | 'service'>;
  readonly configRebuilds: Counter;
  readonly configUpdates: Counter;
  readonly configLoadedAt: Gauge;
  readonly basicAuthFailures: Counter<'reason'>;
  readonly basicAuthThrottled: Counter<'scope'>;
  readonly tlsHandshakeErrors: Counter<'reason'>;
  readonly authOutcomes: AuthOutcomes;
  readonly adminRequests: Counter<'route' | 'method' | 'status'>;
  /** WebSocket connections open through the proxy now, by route and service. */
  readonly websocketConnections: Gauge<'route' | 'service'>;
  /** Bytes forwarded through WebSocket connections, by route, service and direction. */
  readonly websocketBytes: Counter<'route' | 'service' | 'direction'>;
  /** WebSocket handshakes refused because websocket_max_connections were open. */
  readonly websocketLimitRefusals: Counter;
  /** gRPC calls answered, by route, service and the gRPC status the client was given. */
  readonly grpcCalls: Counter<'route' | 'service' | 'grpc_code'>;
}

/**
 * Interval of the event-loop delay samples (`portcullis_nodejs_eventloop_lag_*`). A block of the
 * loop between two samples still delays the next one, so it is still seen; fewer samples only.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

export function createMetrics(options: { collectProcessMetrics?: boolean } = {}): ProxyMetrics {
  const registry = new Registry();
  // The event-loop delay is sampled by a libuv timer every EVENT_LOOP_SAMPLE_MS (prom-client's
  // default, 10 ms, woke an idle node 100 times a second: ~40 % of its idle CPU, measured).
  if (options.collectProcessMetrics !== false)
    collectDefaultMetrics({ register: registry, prefix: 'portcullis_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
  const basicAuthFailures = new Counter({
    name: 'portcullis_basic_auth_failures_total',
    help: 'Basic-auth checks that failed, by reason (wrong_password, unknown_username)',
    labelNames: ['reason'],
    registers: [registry],
  });
  const basicAuthThrottled = new Counter({
    name: 'portcullis_basic_auth_throttled_total',
    help: 'Basic-auth attempts refused with 429 by the failure limiter, by the scope that was locked (pair, address, username)',
    labelNames: ['scope'],
    registers: [registry],
  });
  // Every label value shows from the start (at 0), so rates and alerts need no special case.
  for (const reason of ['wrong_password', 'unknown_username']) basicAuthFailures.inc({ reason }, 0);
  for (const scope of ['pair', 'address', 'username']) basicAuthThrottled.inc({ scope }, 0);
  new Gauge({
    name: 'portcullis_build_info',
    help: 'Always 1; the labels say which Portcullis and which Node.js this node runs',
    labelNames: ['version', 'node_version'],
    registers: [registry],
  }).set({ version: VERSION, node_version: process.versions.node }, 1);
  return {
    registry,
    authOutcomes: createAuthOutcomes(registry),
    adminRequests: new Counter({
      name: 'portcullis_admin_requests_total',
      help: 'Admin API requests answered, by route pattern (`/services/:service`; `unmatched` for no endpoint), method and status',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    requests: new Counter({
      name: 'portcullis_http_requests_total',
      help: 'Requests answered by the proxy, by route, service and status code',
      labelNames: ['route', 'service', 'status'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'portcullis_request_duration_seconds',
      help: 'Time from request received to response finished, by route and service',
      labelNames: ['route', 'service'],
      buckets,
      registers: [registry],
    }),
    upstreamLatency: new Histogram({
      name: 'portcullis_upstream_duration_seconds',
      help: 'Time from upstream request sent to upstream response headers received, by route and service',
      labelNames: ['route', 'service'],
      buckets,
      registers: [registry],
    }),
    upstreamErrors: new Counter({
      name: 'portcullis_upstream_errors_total',
      help: 'Client requests whose upstream call failed (once per request, after any retries), by route, service and kind (connect, timeout, reset, protocol, tls, internal)',
      labelNames: ['route', 'service', 'kind'],
      registers: [registry],
    }),
    grpcCalls: new Counter({
      name: 'portcullis_grpc_calls_total',
      help: 'gRPC calls answered by the proxy, by route, service and the gRPC status the client was given (grpc_code: OK, CANCELLED … UNAUTHENTICATED); portcullis_http_requests_total counts them too, with the HTTP status (200 for most gRPC errors)',
      labelNames: ['route', 'service', 'grpc_code'],
      registers: [registry],
    }),
    upstreamRetries: new Counter({
      name: 'portcullis_upstream_retries_total',
      help: "Upstream connections retried (a service's `retries`), by route and service",
      labelNames: ['route', 'service'],
      registers: [registry],
    }),
    configRebuilds: new Counter({
      name: 'portcullis_config_rebuilds_total',
      help: 'Proxy configurations this node built in full from the store and swapped in (1 after start)',
      registers: [registry],
    }),
    configUpdates: new Counter({
      name: 'portcullis_config_updates_total',
      help: 'Proxy configurations this node derived from the previous one (route and service changes) and swapped in',
      registers: [registry],
    }),
    configLoadedAt: new Gauge({
      name: 'portcullis_config_loaded_timestamp_seconds',
      help: 'When the proxy configuration in use was swapped in (seconds since the epoch)',
      registers: [registry],
    }),
    basicAuthFailures,
    basicAuthThrottled,
    tlsHandshakeErrors: new Counter({
      name: 'portcullis_tls_handshake_errors_total',
      help: 'TLS handshakes the HTTPS proxy listener refused or that failed, by reason (sni_unknown, sni_missing, certificate_unusable, protocol_version, no_shared_cipher, alpn, not_tls, timeout, reset, other)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    websocketConnections: new Gauge({
      name: 'portcullis_websocket_connections',
      help: 'WebSocket connections open through the proxy, by route and service',
      labelNames: ['route', 'service'],
      registers: [registry],
    }),
    websocketBytes: new Counter({
      name: 'portcullis_websocket_bytes_total',
      help: 'Bytes forwarded through WebSocket connections (frames as they are, headers included), by route, service and direction (client_to_upstream, upstream_to_client)',
      labelNames: ['route', 'service', 'direction'],
      registers: [registry],
    }),
    websocketLimitRefusals: new Counter({
      name: 'portcullis_websocket_limit_refusals_total',
      help: 'WebSocket handshakes refused with 503 PC_PROXY_WEBSOCKET_LIMIT because websocket_max_connections connections were open in this process (before routing: no route label)',
      registers: [registry],
    }),
  };
}
