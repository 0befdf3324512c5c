/**
 * The runtime state: everything the data plane reads per request, built in one go from a snapshot
 * of the entities and replaced whole when the Admin API changes anything. It holds the router and,
 * per route, the precomputed plugin chain; chains for an authenticated consumer are assembled on
 * first use and kept. Immutable once built, so a request keeps a consistent view even while a
 * newer state replaces it.
 */
import type { Route } from '../entities/routes.js';
import type { Service } from '../entities/services.js';
import type { Consumer } from '../entities/consumers.js';
import type { PluginConfig } from '../entities/plugins.js';
import type { PluginDeps } from '../plugins/plugin.js';
import type { PluginRegistry } from '../plugins/registry.js';
import { createRouter, type RouteMatch, type Router } from './router.js';
import { createPluginChain, EMPTY_CHAIN, type PluginChain, type PluginEntry } from './plugin-chain.js';
import { createPluginInstances, type PluginInstances } from './plugin-instances.js';
import { createPluginScopes } from './plugin-scopes.js';
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

/** Builds a state from `snapshot`; plugin instances and TLS secure contexts are created here, once. */
export function buildRuntimeState(snapshot: RuntimeSnapshot, registry: PluginRegistry, deps: PluginDeps, tls: RuntimeTlsOptions = DEFAULT_TLS): RuntimeState {
  const services = new Map(snapshot.services.map((s) => [s.id, s] as const));
  const configs = usableConfigs(snapshot, registry, deps);
  const instances = createPluginInstances(configs, registry, deps);
  const scopes = createPluginScopes(configs);
  const toChain = (chosen: readonly PluginConfig[]) => createPluginChain(entriesOf(chosen, instances));

  const routeChains = new Map<string, PluginChain>();
  for (const route of snapshot.routes) routeChains.set(route.id, toChain(scopes.forRoute(route.id, route.service?.id ?? null)));
  const consumerChains = new Map<string, PluginChain>();
  const upstreamTlsOf = createUpstreamTlsTable(snapshot, deps.logger);

  return Object.freeze({
    version: snapshot.version ?? 0,
    router: createRouter(snapshot.routes, services),
    certificates: createCertificateIndex(snapshot.certificates ?? [], snapshot.snis ?? [], { ...tls, logger: deps.logger }),
    pluginsFor: (match: RouteMatch) => routeChains.get(match.route.id) ?? EMPTY_CHAIN,
    pluginsForConsumer(match: RouteMatch, consumerId: string) {
      // The common case, on every authenticated request: no configuration names this consumer.
      if (!scopes.hasOwn(consumerId)) return routeChains.get(match.route.id) ?? EMPTY_CHAIN;
      const key = `${match.route.id}|${consumerId}`;
      let chain = consumerChains.get(key);
      if (chain === undefined) {
        const chosen = scopes.forConsumer(match.route.id, match.service?.id ?? null, consumerId);
        chain = chosen === null ? (routeChains.get(match.route.id) ?? EMPTY_CHAIN) : toChain(chosen);
        consumerChains.set(key, chain);
      }
      return chain;
    },
    upstreamTlsOf,
    close: () => instances.close(),
  });
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

function entriesOf(configs: readonly PluginConfig[], instances: PluginInstances): PluginEntry[] {
  const entries: PluginEntry[] = [];
  for (const config of configs) {
    const entry = instances.get(config.id);
    if (entry) entries.push(entry);
  }
  return entries;
}
