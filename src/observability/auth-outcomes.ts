/**
 * `portcullis_auth_outcomes_total{plugin, outcome}`: every decision of an authentication plugin —
 * `valid`, or why not (`missing`, `malformed`, `not_found`, `revoked`, `expired`, `out_of_scope`,
 * `wrong_password`, `too_many_attempts`, `overloaded`, `store_unavailable` …). The hot path pays
 * two Map lookups and an increment; the counter is brought up to date when Prometheus scrapes.
 */
import { Counter, type Registry } from 'prom-client';

export interface AuthOutcomes {
  record(plugin: string, outcome: string): void;
  /** A counter of one pair resolved up front, for the per-request path (`valid`). */
  recorder(plugin: string, outcome: string): () => void;
}

/** Outcomes shown at 0 from the start, so rates and alerts need no special case. */
const KNOWN: Readonly<Record<string, readonly string[]>> = {
  'key-auth': ['valid', 'missing', 'malformed', 'not_found', 'revoked', 'expired', 'out_of_scope', 'overloaded', 'store_unavailable'],
  'basic-auth': ['valid', 'missing', 'wrong_password', 'unknown_username', 'too_many_attempts', 'overloaded', 'store_unavailable'],
};

export function createAuthOutcomes(registry: Registry): AuthOutcomes {
  // Plain counts on the hot path (a labelled prom-client child hashes its labels on every inc,
  // ~0.5 µs); the counter takes the deltas when Prometheus scrapes.
  const counts = new Map<string, Map<string, { n: number; reported: number }>>();
  const slot = (plugin: string, outcome: string) => {
    let byOutcome = counts.get(plugin);
    if (!byOutcome) counts.set(plugin, (byOutcome = new Map()));
    let c = byOutcome.get(outcome);
    if (!c) byOutcome.set(outcome, (c = { n: 0, reported: 0 }));
    return c;
  };
  for (const [plugin, outcomes] of Object.entries(KNOWN)) for (const outcome of outcomes) slot(plugin, outcome);
  new Counter({
    name: 'portcullis_auth_outcomes_total',
    help: 'Decisions of authentication plugins, by plugin and outcome (valid, or the reason a credential was refused or could not be checked)',
    labelNames: ['plugin', 'outcome'],
    registers: [registry],
    collect() {
      for (const [plugin, byOutcome] of counts) {
        for (const [outcome, c] of byOutcome) {
          this.inc({ plugin, outcome }, c.n - c.reported);
          c.reported = c.n;
        }
      }
    },
  });
  return {
    record(plugin, outcome) {
      slot(plugin, outcome).n++;
    },
    recorder(plugin, outcome) {
      const c = slot(plugin, outcome);
      return () => void c.n++;
    },
  };
}
