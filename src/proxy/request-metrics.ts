/**
 * Recording of proxy metrics without per-request label work: prom-client hashes label sets on
 * every `inc({…})`, so the labelled children of each route are resolved once and kept beside the
 * route object (a WeakMap: a replaced configuration's series handles go with it).
 */
import type { Counter, Histogram } from 'prom-client';
import type { Route } from '../entities/routes.js';
import type { Service } from '../entities/services.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import type { UpstreamErrorKind } from './upstream-errors.js';

/** The proxy's metric updates, one call per event. */
export interface RequestMetrics {
  /** One answered request; `route` is null when no route matched. */
  request(route: Route | null, service: Service | null, status: number, seconds: number): void;
  upstreamLatency(route: Route, service: Service | null, seconds: number): void;
  upstreamError(route: Route, service: Service | null, kind: UpstreamErrorKind): void;
  upstreamRetry(route: Route, service: Service | null): void;
}

interface RouteSeries {
  readonly service: Service | null;
  readonly route: string;
  readonly serviceLabel: string;
  readonly latency: Histogram.Internal<'route' | 'service'>;
  readonly upstreamLatency: Histogram.Internal<'route' | 'service'>;
  readonly byStatus: Map<number, Counter.Internal>;
}

/** Route label: the route's name, or its id when it has none (bounded either way). */
export function routeLabel(route: Route | null): string {
  return route === null ? '' : (route.name ?? route.id);
}

/** Wraps `metrics` with per-route caches of labelled children. */
export function createRequestMetrics(metrics: ProxyMetrics): RequestMetrics {
  const byRoute = new WeakMap<Route, RouteSeries>();
  const noRoute = seriesOf(metrics, null, null);

  const series = (route: Route | null, service: Service | null): RouteSeries => {
    if (route === null) return noRoute;
    let found = byRoute.get(route);
    if (found === undefined || found.service !== service) {
      found = seriesOf(metrics, route, service);
      byRoute.set(route, found);
    }
    return found;
  };

  return {
    request(route, service, status, seconds) {
      const s = series(route, service);
      let counter = s.byStatus.get(status);
      if (counter === undefined) {
        counter = metrics.requests.labels(s.route, s.serviceLabel, String(status));
        s.byStatus.set(status, counter);
      }
      counter.inc();
      s.latency.observe(seconds);
    },
    upstreamLatency(route, service, seconds) {
      series(route, service).upstreamLatency.observe(seconds);
    },
    upstreamError(route, service, kind) {
      const s = series(route, service);
      metrics.upstreamErrors.labels(s.route, s.serviceLabel, kind).inc();
    },
    upstreamRetry(route, service) {
      const s = series(route, service);
      metrics.upstreamRetries.labels(s.route, s.serviceLabel).inc();
    },
  };
}

function seriesOf(metrics: ProxyMetrics, route: Route | null, service: Service | null): RouteSeries {
  const label = routeLabel(route);
  const serviceLabel = service === null ? '' : (service.name ?? service.id);
  return {
    service,
    route: label,
    serviceLabel,
    latency: metrics.latency.labels(label, serviceLabel),
    upstreamLatency: metrics.upstreamLatency.labels(label, serviceLabel),
    byStatus: new Map(),
  };
}
