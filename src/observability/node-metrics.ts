/**
 * Gauges about the node itself, read when Prometheus scrapes: whether the database answers and
 * takes writes (`portcullis_datastore_reachable`, `portcullis_datastore_writable`), and how far
 * behind the cluster's changes this process is (`portcullis_cluster_event_lag`). A scrape waits
 * at most PING_TIMEOUT_MS for the database, so a dead one never hangs `/metrics`.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Store } from '../store/store.js';
import type { EventBus } from '../cluster/event-bus.js';

const PING_TIMEOUT_MS = 1000;

export function registerNodeMetrics(registry: Registry, store: Store, bus?: Pick<EventBus, 'appliedThrough'>): void {
  const within = <T>(work: Promise<T>, fallback: T) =>
    Promise.race([work.catch(() => fallback), new Promise<T>((resolve) => setTimeout(resolve, PING_TIMEOUT_MS, fallback).unref())]);
  new Gauge({
    name: 'portcullis_datastore_reachable',
    help: 'Whether the database answered a ping at the last scrape (1) or not (0)',
    registers: [registry],
    async collect() {
      this.set(
        (await within(
          store.ping().then(() => true),
          false,
        ))
          ? 1
          : 0,
      );
    },
  });
  new Gauge({
    name: 'portcullis_datastore_writable',
    help: 'Whether a write would succeed now (1) or fail: database down, file deleted or read-only, disk full (0)',
    registers: [registry],
    async collect() {
      const writable = store.storage.check().then((problem) => problem === null);
      this.set((await within(writable, false)) ? 1 : 0);
    },
  });
  if (!bus) return;
  new Gauge({
    name: 'portcullis_cluster_event_lag',
    help: 'Cluster events written (by any node) that this process has not applied yet, at the last scrape; -1 when the database did not answer',
    registers: [registry],
    async collect() {
      const latest = await within(store.events.latestId(), null);
      this.set(latest === null ? -1 : Math.max(0, latest - bus.appliedThrough()));
    },
  });
}
