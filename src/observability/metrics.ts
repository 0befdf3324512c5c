/**
 * Prometheus metrics of one node, in a registry of its own (no global default registry), served
 * at `/metrics` on the admin listener. Label values are bounded: a route's name or id, a status
 * code, an error kind, a failure reason, a lockout scope; never a path, a header, a key, a
 * username or a client address.
 */
import { Registry, Counter, Histogram, Gauge, collectDefaultMetrics } from 'prom-client';

export interface ProxyMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'service' | 'status'>;
  readonly latency: Histogram<'route'>;
  readonly upstreamErrors: Counter<'route' | 'kind'>;
  readonly upstreamLatency: Histogram<'route'>;
  readonly configVersion: Gauge;
  readonly basicAuthFailures: Counter<'reason'>;
  readonly basicAuthThrottled: Counter<'scope'>;
  readonly tlsHandshakeErrors: Counter<'reason'>;
}

export function createMetrics(options: { collectProcessMetrics?: boolean } = {}): ProxyMetrics {
  const registry = new Registry();
  if (options.collectProcessMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'portcullis_' });
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
  return {
    registry,
    requests: new Counter({
      name: 'portcullis_http_requests_total',
      help: 'Requests answered by the proxy, by route, service and status code',
      labelNames: ['route', 'service', 'status'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'portcullis_request_duration_seconds',
      help: 'Time from request received to response finished, by route',
      labelNames: ['route'],
      buckets,
      registers: [registry],
    }),
    upstreamLatency: new Histogram({
      name: 'portcullis_upstream_duration_seconds',
      help: 'Time from upstream request sent to upstream response headers received, by route',
      labelNames: ['route'],
      buckets,
      registers: [registry],
    }),
    upstreamErrors: new Counter({
      name: 'portcullis_upstream_errors_total',
      help: 'Failed upstream calls by route and kind (connect, timeout, reset, protocol, tls, internal)',
      labelNames: ['route', 'kind'],
      registers: [registry],
    }),
    configVersion: new Gauge({
      name: 'portcullis_config_version',
      help: 'Number of times this node rebuilt its proxy configuration',
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
  };
}
