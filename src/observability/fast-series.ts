/**
 * Recording into one labelled series of a prom-client metric without prom-client's per-call work.
 * A labelled child (`histogram.labels(…)`) still validates and hashes its labels on every
 * `observe`/`inc`, and a histogram keys its buckets by number, converted to a string each time:
 * about 1 µs per request for the proxy's three series, more than its routing. Here the series'
 * value record (the object prom-client keeps per label set and reads at scrape time) is looked up
 * once and updated in place: a few additions per call. The output of `/metrics` is prom-client's
 * own, unchanged.
 *
 * That record is prom-client's internal (`hashMap`, `{ labels, value }` or `{ labels,
 * bucketValues, sum, count }`, as of 15.x): when it is not found in that shape, the recorder falls
 * back to the public labelled child, and fast-series.test.ts fails so an upgrade is noticed. A
 * `reset()` (which replaces the map) is detected and the record looked up again; `remove()` of a
 * recorded series is not (the proxy's series are never removed).
 */
import type { Counter, Histogram } from 'prom-client';

type Labels = Readonly<Record<string, string>>;

interface Internals {
  hashMap?: Record<string, { labels?: Record<string, unknown>; value?: number; sum?: number; count?: number; bucketValues?: Record<string, number> }>;
  upperBounds?: readonly number[];
}

/** A counter series: `inc()` adds one. */
export type CounterRecorder = () => void;
/** A histogram series: records one observation. */
export type HistogramRecorder = (value: number) => void;

/** The record of `labels` in `metric`'s map, or undefined (not there, or not the shape this reads). */
function recordOf(metric: Internals, labels: Labels) {
  const map = metric.hashMap;
  if (map === undefined || map === null || typeof map !== 'object') return undefined;
  const names = Object.keys(labels);
  for (const key in map) {
    const record = map[key]!;
    const own = record.labels;
    if (own === undefined || Object.keys(own).length !== names.length) continue;
    if (names.every((name) => String(own[name]) === labels[name])) return record;
  }
  return undefined;
}

/** A recorder of `counter`'s series `labels` (created by the first call, as prom-client would). */
export function counterRecorder(counter: Counter<string>, labels: Labels): CounterRecorder {
  const metric = counter as unknown as Internals;
  const child = counter.labels(labels);
  let map: Internals['hashMap'];
  let record: ReturnType<typeof recordOf>;
  let broken = false;
  const resolve = (): void => {
    if (recordOf(metric, labels) === undefined) counter.inc(labels, 0);
    map = metric.hashMap;
    record = recordOf(metric, labels);
    broken = typeof record?.value !== 'number';
  };
  return () => {
    // The first call (and the first after a reset) finds the record.
    if (metric.hashMap !== map && !broken) resolve();
    if (broken) return child.inc();
    record!.value! += 1;
  };
}

/** A recorder of `histogram`'s series `labels` (created by the first call, as prom-client would). */
export function histogramRecorder(histogram: Histogram<string>, labels: Labels): HistogramRecorder {
  const metric = histogram as unknown as Internals;
  const child = histogram.labels(labels);
  const bounds = metric.upperBounds ?? [];
  // The bucket keys as prom-client's object holds them: the bound converted to a string, once.
  const keys = bounds.map(String);
  let map: Internals['hashMap'];
  let record: ReturnType<typeof recordOf>;
  let broken = bounds.length === 0;
  const resolve = (): void => {
    if (recordOf(metric, labels) === undefined) histogram.zero(labels);
    map = metric.hashMap;
    record = recordOf(metric, labels);
    const buckets = record?.bucketValues;
    broken = typeof record?.sum !== 'number' || typeof record.count !== 'number' || buckets === undefined || !keys.every((k) => typeof buckets[k] === 'number');
  };
  return (value) => {
    if (metric.hashMap !== map && !broken) resolve();
    // Non-finite values are a caller's bug: prom-client's own path throws for them.
    if (broken || !Number.isFinite(value)) return child.observe(value);
    const found = record!;
    found.sum! += value;
    found.count! += 1;
    // Cumulative counts are computed at scrape time: one bucket (the first bound ≥ value) per call;
    // above the last bound only the count (the +Inf bucket) grows.
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        found.bucketValues![keys[i]!]! += 1;
        return;
      }
    }
  };
}
