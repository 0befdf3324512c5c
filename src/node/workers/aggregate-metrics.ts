/**
 * `/metrics` of a `--workers` node: the primary's registry and every worker's, aggregated by
 * prom-client's `AggregatorRegistry` (counters and histograms summed across processes). Gauges are
 * summed too unless summing would lie: whether the database answers is true only if every process
 * reaches it (min), a timestamp or an info gauge is one value (min/first), a lag is the worst one (max).
 */
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';

type Metric = MetricObjectWithValues<MetricValue<string>>;
type Aggregator = 'sum' | 'first' | 'min' | 'max' | 'average' | 'omit';

const NOT_SUMMED: Readonly<Record<string, Aggregator>> = {
  portcullis_datastore_reachable: 'min',
  portcullis_datastore_writable: 'min',
  portcullis_build_info: 'first',
  portcullis_config_loaded_timestamp_seconds: 'min',
  portcullis_cluster_event_lag: 'max',
  portcullis_vault_references: 'max',
};

/** One Prometheus text for several processes' metrics (each a registry's `getMetricsAsJSON()`). */
export async function aggregateMetrics(perProcess: readonly (readonly Metric[])[]): Promise<{ text: string; contentType: string }> {
  const adjusted = perProcess.map((metrics) =>
    metrics.map((m) => {
      const aggregator = NOT_SUMMED[m.name];
      return aggregator ? { ...m, aggregator } : m;
    }),
  );
  const registry = AggregatorRegistry.aggregate(adjusted as Metric[][]);
  return { text: await registry.metrics(), contentType: registry.contentType };
}
