/**
 * Recording of proxy metrics without per-request label work: prom-client hashes label sets on
 * every `inc({…})`, even through a labelled child, so each route's series are resolved once into
 * recorders that update the series in place (observability/fast-series.ts) and kept beside the
 * route object (a WeakMap: a replaced configuration's series handles go with it).
 */
import type { Route } from '../entities/routes.js';
import type { Service } from '../entities/services.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import { counterRecorder, histogramRecorder, type CounterRecorder, type HistogramRecorder } from '../observability/fast-series.js';
import type { UpstreamErrorKind } from './upstream-errors.js';

/** The proxy's metric updates, one call per event. */
export interface RequestMetrics {
  /** One answered request; `route` is null when no route matched. */
  request(route: Route | null, service: Service | null, status: number, seconds: number): void;
  upstreamLatency(route: Route, service: Service | null, seconds: number): void;
  upstreamError(route: Route, service: Service | null, kind: UpstreamErrorKind): void;
  upstreamRetry(route: Route, service: Service | null): void;
  /** One answered gRPC call (also counted by `request`), with the gRPC status's name. */
  grpcCall(route: Route | null, service: Service | null, code: string): void;
}

interface RouteSeries {
  readonly service: Service | null;
  readonly route: string;
  readonly serviceLabel: string;
  readonly latency: HistogramRecorder;
  readonly upstreamLatency: HistogramRecorder;
  readonly byStatus: Map<number, CounterRecorder>;
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
      let count = s.byStatus.get(status);
      if (count === undefined) {
        count = counterRecorder(metrics.requests, { route: s.route, service: s.serviceLabel, status: String(status) });
        s.byStatus.set(status, count);
      }
      count();
      s.latency(seconds);
    },
    upstreamLatency(route, service, seconds) {
      series(route, service).upstreamLatency(seconds);
    },
    upstreamError(route, service, kind) {
      const s = series(route, service);
      metrics.upstreamErrors.labels(s.route, s.serviceLabel, kind).inc();
    },
    upstreamRetry(route, service) {
      const s = series(route, service);
      metrics.upstreamRetries.labels(s.route, s.serviceLabel).inc();
    },
    grpcCall(route, service, code) {
      const s = series(route, service);
      metrics.grpcCalls.labels(s.route, s.serviceLabel, code).inc();
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
    latency: histogramRecorder(metrics.latency, { route: label, service: serviceLabel }),
    upstreamLatency: histogramRecorder(metrics.upstreamLatency, { route: label, service: serviceLabel }),
    byStatus: new Map(),
  };
}
