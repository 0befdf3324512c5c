/**
 * The runtime state: everything the data plane reads per request, built in one go from a snapshot
 * of the entities, or derived from the previous state when only routes and services changed
 * (`runtime-state-update.ts`). It holds the router and, per route, the precomputed plugin chain;
 * chains for an authenticated consumer are assembled on first use and kept. What a state answers
 * never changes once it is made, so a request keeps a consistent view even while a newer state
 * replaces it (a derived state shares the previous one's tables; its router is a newer version of
 * the same versioned index, `router.ts`).
 */
import type { Route } from '../entities/routes.js';
import type { Service } from '../entities/services.js';
import type { Consumer } from '../entities/consumers.js';
import type { PluginConfig } from '../entities/plugins.js';
import type { PluginDeps } from '../plugins/plugin.js';
import type { PluginRegistry } from '../plugins/registry.js';
import { createRouter, type RouteMatch, type Router, type UpdatableRouter } from './router.js';
import type { PluginChain } from './plugin-chain.js';
import { createPluginInstances, type PluginInstances } from './plugin-instances.js';
import { createRouteChains, type RouteChains } from './route-chains.js';
import type { UpstreamTls } from './upstream-tls.js';
import type { CaCertificateMaterial, ClientCertificateMaterial } from './upstream-tls-lookup.js';
import { createUpstreamTlsTable } from './upstream-tls-table.js';
import { createCertificateIndex, type CertificateIndex, type CertificateMaterial, type SniBinding } from './tls/certificate-index.js';
import { ConfigSchema, type Config } from '../config/schema.js';

/** The entities a state is built from, and the version the caller gives this build. */
export interface RuntimeSnapshot {
  readonly services: readonly Service[];
  readonly routes: readonly Route[];
  readonly plugins: readonly PluginConfig[];
  readonly consumers: readonly Consumer[];
  /** Certificates with their PEMs resolved, and the names bound to them (the HTTPS listener's SNI). */
  readonly certificates?: readonly CertificateMaterial[];
  readonly snis?: readonly SniBinding[];
  readonly version?: number;
  /** CA certificates services may reference (`ca_certificates`), PEM resolved; null = could not be loaded. */
  readonly caCertificates?: readonly CaCertificateMaterial[];
  /** Certificates services may present to their upstream (`client_certificate`), PEMs resolved; null = could not be loaded. */
  readonly clientCertificates?: readonly ClientCertificateMaterial[];
}

/** The listener settings the certificates' secure contexts are made with (`tls_min_version`, `tls_ciphers`). */
export interface RuntimeTlsOptions {
  readonly minVersion: Config['tls_min_version'];
  readonly ciphers: string;
}

/** The config schema's defaults, for callers (tests, benchmarks) that pass no TLS options. */
const DEFAULT_TLS: RuntimeTlsOptions = {
  minVersion: (ConfigSchema.properties.tls_min_version as { default?: unknown }).default as Config['tls_min_version'],
  ciphers: (ConfigSchema.properties.tls_ciphers as { default?: unknown }).default as string,
};

/** What the data plane reads per request, built from one snapshot. */
export interface RuntimeState {
  readonly version: number;
  readonly router: Router;
  /** The HTTPS listener's certificates, read on each handshake (existing connections keep theirs). */
  readonly certificates: CertificateIndex;
  /** The chain for a matched route before any consumer is known. */
  pluginsFor(match: RouteMatch): PluginChain;
  /** The chain once `consumerId` is authenticated: consumer-scoped configurations replace same-named ones. */
  pluginsForConsumer(match: RouteMatch, consumerId: string): PluginChain;
  /** The TLS settings toward `service`'s upstream (null for plain http; `'unusable'`: refuse with 502). */
  upstreamTlsOf(service: Service): UpstreamTls | 'unusable' | null;
  /** Closes the plugin instances; call when this state has been replaced. */
  close(): void;
}

/**
 * What the states of one lineage share (a full build, then the states derived from it by
 * `updateRuntimeState`): the plugin instances and chains, the TLS tables, and — read only by
 * the next update, never by a request — the current entities. Only the newest state (`head`)
 * may derive the next one; it also owns the plugin instances (`close`).
 */
export interface RuntimeLineage {
  head: RuntimeState | null;
  readonly services: Map<string, Service>;
  readonly routes: Map<string, Route>;
  /** Updates applied since the full build (the owner rebuilds in full past a bound). */
  updates: number;
  readonly instances: PluginInstances;
  readonly chains: RouteChains;
  readonly certificates: CertificateIndex;
  readonly upstreamTlsOf: RuntimeState['upstreamTlsOf'];
}

const LINEAGES = new WeakMap<RuntimeState, { lineage: RuntimeLineage; router: UpdatableRouter }>();

/** Builds a state from `snapshot`; plugin instances and TLS secure contexts are created here, once. */
export function buildRuntimeState(snapshot: RuntimeSnapshot, registry: PluginRegistry, deps: PluginDeps, tls: RuntimeTlsOptions = DEFAULT_TLS): RuntimeState {
  const services = new Map(snapshot.services.map((s) => [s.id, s] as const));
  const configs = usableConfigs(snapshot, registry, deps);
  const instances = createPluginInstances(configs, registry, deps);
  const chains = createRouteChains(configs, instances);
  for (const route of snapshot.routes) chains.forRoute(route);
  const lineage: RuntimeLineage = {
    head: null,
    services,
    routes: new Map(snapshot.routes.map((r) => [r.id, r] as const)),
    updates: 0,
    instances,
    chains,
    certificates: createCertificateIndex(snapshot.certificates ?? [], snapshot.snis ?? [], { ...tls, logger: deps.logger }),
    upstreamTlsOf: createUpstreamTlsTable(snapshot, deps.logger),
  };
  return assembleRuntimeState(lineage, createRouter(snapshot.routes, services), snapshot.version ?? 0);
}

/** The state of `lineage` answering with `router`, made its head; the lineage of a state, for the next update. */
export function assembleRuntimeState(lineage: RuntimeLineage, router: UpdatableRouter, version: number): RuntimeState {
  const { chains } = lineage;
  const state: RuntimeState = Object.freeze({
    version,
    router,
    certificates: lineage.certificates,
    pluginsFor: (match: RouteMatch) => chains.forRoute(match.route),
    pluginsForConsumer: (match: RouteMatch, consumerId: string) => chains.forConsumer(match, consumerId),
    upstreamTlsOf: lineage.upstreamTlsOf,
    // A replaced state closes the instances only if no newer state of its lineage uses them.
    close: () => {
      if (lineage.head === state) lineage.instances.close();
    },
  });
  lineage.head = state;
  LINEAGES.set(state, { lineage, router });
  return state;
}

/** The lineage and router of a state this module assembled (undefined for any other object). */
export function lineageOf(state: RuntimeState): { readonly lineage: RuntimeLineage; readonly router: UpdatableRouter } | undefined {
  return LINEAGES.get(state);
}

/**
 * The enabled configurations that can apply: one naming a consumer that does not exist never
 * would, and an authentication plugin cannot be scoped to the consumer it is meant to find.
 */
function usableConfigs(snapshot: RuntimeSnapshot, registry: PluginRegistry, deps: PluginDeps): PluginConfig[] {
  const consumerIds = new Set(snapshot.consumers.map((c) => c.id));
  return snapshot.plugins.filter((p) => {
    if (!p.enabled) return false;
    if (p.consumer === null) return true;
    if (registry.get(p.name)?.isAuthentication) {
      deps.logger.warn({ plugin: p.name, id: p.id }, 'authentication plugin scoped to a consumer ignored');
      return false;
    }
    return consumerIds.has(p.consumer.id);
  });
}
