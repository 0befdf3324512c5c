/**
 * The keyring's Prometheus gauges, read from the manager when `/metrics` is scraped: encryptions
 * per key (all nodes, as persisted, plus this node's not yet persisted), the active key's age, the
 * stored values per key (from the last usage count: at start, every `usage` call and rewrap, and
 * every ten minutes), and the keys the database uses that this node lacks. Labels are key ids.
 */
import { Gauge, type Registry } from 'prom-client';

export interface KeyringMetricsSource {
  snapshot(): {
    readonly keys: readonly { readonly id: string; readonly encryptions: number }[];
    /** Seconds since the epoch the active key was activated (or created); null without an active key. */
    readonly activeSince: number | null;
    readonly values: Readonly<Record<string, number>> | null;
    readonly missing: number;
  };
}

export function registerKeyringMetrics(registry: Registry, source: KeyringMetricsSource, nowSeconds: () => number = () => Math.floor(Date.now() / 1000)): void {
  new Gauge({
    name: 'portcullis_keyring_key_encryptions',
    help: 'Encryptions made with each keyring key (all nodes, as last persisted, plus this node since)',
    labelNames: ['key'],
    registers: [registry],
    collect() {
      this.reset();
      for (const k of source.snapshot().keys) this.set({ key: k.id }, k.encryptions);
    },
  });
  new Gauge({
    name: 'portcullis_keyring_active_key_age_seconds',
    help: 'Seconds since the active keyring key was activated (0 without an active key)',
    registers: [registry],
    collect() {
      const since = source.snapshot().activeSince;
      this.set(since === null ? 0 : Math.max(0, nowSeconds() - since));
    },
  });
  new Gauge({
    name: 'portcullis_keyring_values',
    help: 'Stored encrypted values per keyring key, from the last usage count',
    labelNames: ['key'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [key, n] of Object.entries(source.snapshot().values ?? {})) this.set({ key }, n);
    },
  });
  new Gauge({
    name: 'portcullis_keyring_missing_keys',
    help: 'Keyring keys the database uses that this node does not hold (values under them cannot be read)',
    registers: [registry],
    collect() {
      this.set(source.snapshot().missing);
    },
  });
}
