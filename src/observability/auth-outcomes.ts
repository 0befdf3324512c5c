/**
 * `portcullis_auth_outcomes_total{plugin, outcome}`: every decision of an authentication plugin —
 * `valid`, or why not (`missing`, `malformed`, `not_found`, `revoked`, `expired`, `out_of_scope`,
 * `wrong_password`, `too_many_attempts`, `overloaded`, `store_unavailable` …). The labelled children
 * are resolved once per pair (prom-client hashes label sets on every `inc({…})`): the hot path
 * pays two Map lookups.
 */
import { Counter, type Registry } from 'prom-client';

export interface AuthOutcomes {
  record(plugin: string, outcome: string): void;
}

/** Outcomes shown at 0 from the start, so rates and alerts need no special case. */
const KNOWN: Readonly<Record<string, readonly string[]>> = {
  'key-auth': ['valid', 'missing', 'malformed', 'not_found', 'revoked', 'expired', 'out_of_scope', 'overloaded', 'store_unavailable'],
  'basic-auth': ['valid', 'missing', 'wrong_password', 'unknown_username', 'too_many_attempts', 'overloaded', 'store_unavailable'],
};

export function createAuthOutcomes(registry: Registry): AuthOutcomes {
  const counter = new Counter({
    name: 'portcullis_auth_outcomes_total',
    help: 'Decisions of authentication plugins, by plugin and outcome (valid, or the reason a credential was refused or could not be checked)',
    labelNames: ['plugin', 'outcome'],
    registers: [registry],
  });
  const children = new Map<string, Map<string, Counter.Internal>>();
  const child = (plugin: string, outcome: string) => {
    let byOutcome = children.get(plugin);
    if (!byOutcome) children.set(plugin, (byOutcome = new Map()));
    let c = byOutcome.get(outcome);
    if (!c) byOutcome.set(outcome, (c = counter.labels(plugin, outcome)));
    return c;
  };
  for (const [plugin, outcomes] of Object.entries(KNOWN)) for (const outcome of outcomes) child(plugin, outcome).inc(0);
  return { record: (plugin, outcome) => child(plugin, outcome).inc() };
}
