/**
 * The secrets' Prometheus metrics: backend calls by vault prefix and outcome (`ok` or the PC_VAULT_*
 * code), and the references in use by status (`stale` ones serve a resurrected value: alert on
 * them). Labels are vault prefixes, codes and statuses — never a reference or a value.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ReferenceHealth } from './secret-resolver.js';

export interface SecretMetrics {
  /** Counts one backend call (the resolver's `onResolution`). */
  observe(vault: string, outcome: string): void;
  /** Reads the references' statuses from `health` at each scrape. */
  watch(health: () => readonly ReferenceHealth[]): void;
}

const STATUSES = ['resolved', 'stale', 'failing', 'unresolvable'] as const;

export function createSecretMetrics(registry: Registry): SecretMetrics {
  const resolutions = new Counter({
    name: 'portcullis_vault_resolutions_total',
    help: 'Secret fetches from vault backends, by vault prefix and outcome (ok, or the PC_VAULT_* code of the failure)',
    labelNames: ['vault', 'outcome'],
    registers: [registry],
  });
  let source: () => readonly ReferenceHealth[] = () => [];
  new Gauge({
    name: 'portcullis_vault_references',
    help: 'Vault references in use, by status (stale: serving the last good value after a failure; failing: no value any more)',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<string, number>;
      for (const h of source()) counts[h.status] = (counts[h.status] ?? 0) + 1;
      for (const status of STATUSES) this.set({ status }, counts[status] ?? 0);
    },
  });
  return {
    observe: (vault, outcome) => resolutions.inc({ vault, outcome }),
    watch(health) {
      source = health;
    },
  };
}
