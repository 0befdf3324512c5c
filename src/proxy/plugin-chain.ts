/**
 * A plugin chain: the plugin instances that apply to one route (and, once known, one consumer),
 * in execution order, split by phase so the request path walks only the plugins that have work in
 * that phase. Chains are built with the runtime state, never per request.
 */
import type { PluginInstance } from '../plugins/plugin.js';

/** One configured plugin, ready to run. */
export interface PluginEntry {
  readonly name: string;
  readonly priority: number;
  /** Id of the plugin configuration this instance was built from. */
  readonly configId: string;
  readonly instance: PluginInstance;
  /** False when the plugin asked not to run its access phase for CORS preflight requests. */
  readonly runsOnPreflight: boolean;
}

export interface PluginChain {
  /** Every entry, priority descending (name ascending at equal priority). */
  readonly entries: readonly PluginEntry[];
  readonly access: readonly PluginEntry[];
  readonly response: readonly PluginEntry[];
  /** True when some access entry skips preflight requests (the runner then checks for one). */
  readonly skipsPreflight: boolean;
  /** True when some access entry reads body fields: the proxy buffers the body first. */
  readonly readsBody: boolean;
  /** True when some access entry removes body fields: the proxy trims the body after the access phase. */
  readonly removesBodyFields: boolean;
  /** Entries with a `beforeUpstream` hook, in execution order. */
  readonly upstream: readonly PluginEntry[];
  /** Entries with a `retryUpstream` hook, in execution order. */
  readonly retry: readonly PluginEntry[];
  /** True when `upstream` or `retry` has entries: the request then goes upstream through them. */
  readonly hooksUpstream: boolean;
  /** The largest `buffersBodyUpTo` of the chain (0: bodies stream). */
  readonly buffersBodyUpTo: number;
}

/** The chain of a scope without plugins (shared: it holds nothing). */
export const EMPTY_CHAIN: PluginChain = Object.freeze({
  entries: Object.freeze([]),
  access: Object.freeze([]),
  response: Object.freeze([]),
  skipsPreflight: false,
  readsBody: false,
  removesBodyFields: false,
  upstream: Object.freeze([]),
  retry: Object.freeze([]),
  hooksUpstream: false,
  buffersBodyUpTo: 0,
});

/** Execution order: higher priority first, then by name so the order never depends on input order. */
export function compareEntries(a: PluginEntry, b: PluginEntry): number {
  return b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** Builds a frozen chain from `entries` in any order. */
export function createPluginChain(entries: readonly PluginEntry[]): PluginChain {
  if (entries.length === 0) return EMPTY_CHAIN;
  const sorted = [...entries].sort(compareEntries);
  const access = sorted.filter((e) => typeof e.instance.access === 'function');
  const upstream = sorted.filter((e) => typeof e.instance.beforeUpstream === 'function');
  const retry = sorted.filter((e) => typeof e.instance.retryUpstream === 'function');
  return Object.freeze({
    entries: Object.freeze(sorted),
    access: Object.freeze(access),
    response: Object.freeze(sorted.filter((e) => typeof e.instance.response === 'function')),
    skipsPreflight: access.some((e) => !e.runsOnPreflight),
    readsBody: access.some((e) => e.instance.readsBody === true),
    removesBodyFields: access.some((e) => e.instance.removesBodyFields === true),
    upstream: Object.freeze(upstream),
    retry: Object.freeze(retry),
    hooksUpstream: upstream.length > 0 || retry.length > 0,
    buffersBodyUpTo: Math.max(0, ...sorted.map((e) => e.instance.buffersBodyUpTo ?? 0)),
  });
}

/**
 * Where to resume in `chain.access` after `current` ran: the first entry that executes after it.
 * Used when authentication swaps the chain for the consumer's, which may differ in length.
 */
export function indexAfter(chain: PluginChain, current: PluginEntry): number {
  const list = chain.access;
  let i = 0;
  while (i < list.length && compareEntries(list[i]!, current) <= 0) i++;
  return i;
}
