/**
 * Metrics of the API-key verifier, read when Prometheus scrapes (nothing on the hot path but the
 * cache's plain counts): key cache lookups by answer and entries by kind, slow-hash (bcrypt,
 * argon2id) checks running and queued, and remote issuers' latency and answers.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ApiKeyVerifier } from './api-key-verifier.js';

export type RemoteCallObserver = (issuer: string, seconds: number, outcome: 'valid' | 'unknown' | 'unavailable') => void;

/** The remote-issuer histogram; its observer goes to the verifier's `onRemoteCall`. */
export function remoteIssuerMetrics(registry: Registry): RemoteCallObserver {
  const histogram = new Histogram({
    name: 'portcullis_remote_issuer_duration_seconds',
    help: 'Calls to remote key issuers, by issuer and answer (valid, unknown, unavailable: an error or a timeout)',
    labelNames: ['issuer', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return (issuer, seconds, outcome) => histogram.observe({ issuer, outcome }, seconds);
}

/** Registers the cache and slow-hash metrics of `verifier`. */
export function registerVerifierMetrics(registry: Registry, verifier: ApiKeyVerifier): void {
  let reported = { hit: 0, miss: 0, negative: 0, expired: 0 };
  new Counter({
    name: 'portcullis_apikey_cache_lookups_total',
    help: "Lookups of the node's API-key cache, by result (hit, miss, negative: a key known to be unknown, expired)",
    labelNames: ['result'],
    registers: [registry],
    collect() {
      const now = verifier.cache.stats();
      for (const result of ['hit', 'miss', 'negative', 'expired'] as const) this.inc({ result }, now[result] - reported[result]);
      reported = now;
    },
  });
  new Gauge({
    name: 'portcullis_apikey_cache_entries',
    help: 'Keys in the API-key cache: positive (verified) and negative (unknown); bounded by api_keys.cache_size and neg_cache_size',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.set({ kind: 'positive' }, verifier.cache.size);
      this.set({ kind: 'negative' }, verifier.cache.negativeSize);
    },
  });
  new Gauge({
    name: 'portcullis_apikey_slow_hash_checks',
    help: 'bcrypt/argon2id key checks running and queued (api_keys.slow_hash_concurrency); a full queue answers 503 PC_AUTH_OVERLOADED',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.set({ state: 'running' }, verifier.slowHash.active);
      this.set({ state: 'queued' }, verifier.slowHash.queued);
    },
  });
}
