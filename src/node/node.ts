/**
 * The composition root: builds every part of a node from the configuration and wires them
 * together. Nothing else constructs concrete parts; tests build nodes through here too.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { createLogger } from '../observability/logger.js';
import { createMetrics, type ProxyMetrics } from '../observability/metrics.js';
import { registerVerifierMetrics, remoteIssuerMetrics } from '../apikeys/verifier/verifier-metrics.js';
import { registerNodeMetrics } from '../observability/node-metrics.js';
import type { Store } from '../store/store.js';
import { databaseErrorFields } from '../store/store-errors.js';
import { createEventBus, type EventBus } from '../cluster/event-bus.js';
import { createKeyringExchange } from '../cluster/keyring-exchange.js';
import { createNodeRegistry, listenerAddresses } from '../cluster/node-registry.js';
import { VERSION } from '../version.js';
import { buildRuntimeState, type RuntimeSnapshot, type RuntimeState } from '../proxy/runtime-state.js';
import { createProxyServer } from '../proxy/proxy-server.js';
import { createRuntimeLoader, type RuntimeLoader } from './runtime-loader.js';
import { createRuntimeUpdate } from './runtime-update.js';
import { createConsumerDirectory } from './consumer-directory.js';
import { createApiKeyParts, type ApiKeyParts } from './api-key-parts.js';
import { createBasicAuthVerifier } from '../plugins/basic-auth/credential-verifier.js';
import { createFailureLimiter, type SharedOutcome } from '../plugins/basic-auth/failure-limiter.js';
import { openStoreParts } from './store-parts.js';
import { waitForDatabase } from './wait-for-database.js';
import type { KeyringManager } from '../keyring/keyring-manager.js';
import type { KeyringHolder, KeyringKey } from '../keyring/keyring.js';
import type { Registry } from 'prom-client';
import type { WorkerStatus } from './workers/worker-status.js';
import { registerKeyringMetrics } from '../keyring/keyring-metrics.js';
import type { VaultBackendFactory } from '../secrets/vault-backend.js';
import { preparePluginSecrets } from '../secrets/prepare-plugin-secrets.js';
import { vaultReloader } from '../secrets/vault-reloader.js';
import { createSecretMetrics } from '../secrets/secret-metrics.js';
import { mergeUses, referenceableEntities, watchAdminCertificate } from './admin-certificate-watch.js';
import { isFlaggedPath } from '../secrets/reference-paths.js';
import { redactSecrets } from '../secrets/redact-secrets.js';
import { prepareTlsMaterial } from '../tls/prepare-tls-material.js';
import { loadDefaultCertificate } from '../tls/default-certificate.js';

export interface NodeOptions {
  readonly config: Config;
  /** Environment for `{vault://env/…}` references in the config; the CLI passes process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A logger to use instead of one built from the config (tests). */
  readonly logger?: Logger;
  /** The references the configuration held (config/load-resolved-config.ts): refreshed and shown by the health API. */
  readonly configReferences?: ReadonlyMap<string, readonly string[]>;
  /**
   * The keys that held them, with their values as written: the PostgreSQL password and remote
   * issuers' tokens are resolved from these again when refused (rotation on failure).
   */
  readonly configFields?: ReadonlyMap<string, string>;
  /** Secret backends instead of every shipped one (tests add an in-memory one). */
  readonly backends?: readonly VaultBackendFactory[];
  /** Aborts a start still waiting for its database (SIGTERM): `startNode` then rejects with its reason. */
  readonly signal?: AbortSignal;
  /** This process's part in a `--workers` node (src/node/workers/); absent: the whole node in one process. */
  readonly role?: PrimaryRole | WorkerRole;
  /** False: every change rebuilds the proxy state in full, as before incremental updates (the benchmark's reference). */
  readonly runtimeUpdates?: boolean;
}

/** The primary of a `--workers` node: Admin API, keyring and cluster duties; its workers proxy. */
export interface PrimaryRole {
  readonly kind: 'primary';
  readonly workers: NodeWorkers;
}

/** A `--workers` worker: proxies with the keys its primary handed over; no Admin API. */
export interface WorkerRole {
  readonly kind: 'worker';
  readonly keyring: readonly KeyringKey[];
  /** Every event id up to `through` is applied and the proxy state rebuilt with it. */
  onApplied(through: number): void;
  /** A basic-auth outcome this worker decided, for the other workers' password-guessing limits. */
  shareAttempt?(shared: SharedOutcome): void;
  /** The node's secret for basic-auth's keyed digests, the same in every worker (so shared outcomes agree). */
  readonly digestKey?: Uint8Array;
}

/** What the primary's node needs from its worker pool (src/node/workers/worker-pool.ts). */
export interface NodeWorkers {
  /**
   * Forks the workers, hands them `keyring` (and every later change of it); resolves once each
   * serves. `latestEventId` is what settled() waits for the workers to apply.
   */
  start(node: { readonly keyring: KeyringHolder; latestEventId(): Promise<number>; readonly logger: Logger }): Promise<ProxyAddresses>;
  /** True while at least one worker serves. */
  serving(): boolean;
  /** Resolves when every serving worker applied every event written so far (bounded). */
  settled(): Promise<void>;
  /** Prometheus text of the primary's `registry` and every worker's, aggregated. */
  metricsText(registry: Registry): Promise<string>;
  /** Each worker, for `/status`. */
  status(): readonly WorkerStatus[];
  /** Drains and stops every worker. */
  close(): Promise<void>;
}

/** Where the proxy listens (the workers share these ports). */
export interface ProxyAddresses {
  readonly proxy: { readonly host: string; readonly port: number };
  readonly proxyTls: { readonly host: string; readonly port: number } | null;
}

export interface RunningNode {
  /** The node's name (config `node_id`, or the host name): for operators. */
  readonly nodeName: string;
  /** This process's instance id, random at start: the identity of its cluster events. */
  readonly instanceId: string;
  readonly config: Config;
  readonly logger: Logger;
  readonly store: Store;
  readonly keyring: KeyringManager;
  readonly bus: EventBus;
  readonly metrics: ProxyMetrics;
  readonly runtime: RuntimeLoader<RuntimeState>;
  readonly apiKeys: ApiKeyParts;
  readonly proxyAddress: { host: string; port: number };
  /** The HTTPS proxy listener's address; null when `proxy_listen_tls` is `off`. */
  readonly proxyTlsAddress: { host: string; port: number } | null;
  readonly adminAddress: { host: string; port: number };
  /** The HTTPS Admin API listener's address, or null when `admin_listen_tls` is off. */
  readonly adminTlsAddress: { host: string; port: number } | null;
  /** Counts a basic-auth outcome another worker of this node decided (`WorkerRole.shareAttempt`). */
  applySharedAttempt(shared: SharedOutcome): void;
  /** Stops accepting, drains in-flight requests, closes the store. */
  close(): Promise<void>;
}

/** A `--workers` worker as started: no Admin API. */
export type RunningWorker = Omit<RunningNode, 'adminAddress' | 'adminTlsAddress'>;

export async function startNode(options: NodeOptions): Promise<RunningNode> {
  if (options.role?.kind === 'worker') throw new Error('startNode: a worker starts with startWorkerNode');
  return (await startProcess(options)) as RunningNode;
}

export async function startWorkerNode(options: NodeOptions & { readonly role: WorkerRole }): Promise<RunningWorker> {
  return startProcess(options);
}

async function startProcess(options: NodeOptions): Promise<RunningWorker & Partial<Pick<RunningNode, 'adminAddress' | 'adminTlsAddress'>>> {
  const { config } = options;
  const role = options.role;
  const primary = role?.kind === 'primary' ? role.workers : null;
  const worker = role?.kind === 'worker' ? role : null;
  // The name is for operators and may be shared by mistake (two processes, one config); the
  // instance id is this process's own, so the event bus never mistakes another's events for its own.
  const nodeName = config.node_id ?? hostname();
  const instanceId = randomUUID();
  const logger = options.logger ?? createLogger({ level: config.log_level, format: config.log_format, nodeId: nodeName, instanceId });
  // Before anything is opened: a default certificate that cannot be used is a start error.
  const usesDefault = config.proxy_listen_tls !== 'off' || (config.admin_listen_tls !== 'off' && config.admin_tls_cert === undefined);
  const defaultCertificate = usesDefault ? await loadDefaultCertificate(config, { logger }) : undefined;
  const metrics = createMetrics();
  const secretMetrics = createSecretMetrics(metrics.registry);
  const configFields = options.configFields ?? new Map<string, string>();
  // A database not reachable yet is waited for (not ready meanwhile); other failures stop the start below.
  const starting = await waitForDatabase(config, { nodeName, instanceId }, logger, options.signal);
  const parts = await openStoreParts({
    onVaultResolution: (vault, outcome) => secretMetrics.observe(vault, outcome),
    ...(configFields.has('config:pg_password') ? { pgPasswordField: configFields.get('config:pg_password')! } : {}),
    config,
    env: options.env ?? {},
    logger,
    nodeId: instanceId,
    // A worker starts after its primary migrated the database, with the keys it handed over.
    migrations: worker ? 'require' : 'apply',
    ...(worker ? { handedKeyring: worker.keyring } : {}),
    ...(options.backends ? { backends: options.backends } : {}),
  }).catch(async (err: unknown) => {
    await starting?.close();
    throw err;
  });
  const { store, registry, passwordHasher, keyring, secrets } = parts;
  secretMetrics.watch(() => secrets.health());
  secrets.setUses('config', options.configReferences ?? new Map());
  // Resolved once by the config loader; resolved here too, so the rotator keeps them fresh and the health API knows them.
  await Promise.allSettled([...(options.configReferences?.keys() ?? [])].map((reference) => secrets.resolve(reference)));
  if (parts.migrated?.applied.length) logger.info({ applied: parts.migrated.applied }, 'database migrated');
  registerKeyringMetrics(metrics.registry, keyring);
  const closers: (() => Promise<void> | void)[] = [() => parts.close(), () => starting?.close()];
  // One line when writes start failing (or their cause changes) and one when they work again;
  // each refused Admin API request has its own warn line with its request id.
  closers.push(
    store.storage.onChange((problem) => {
      if (problem) logger.error({ code: problem.code, ...databaseErrorFields(problem), detail: problem.message }, 'the database cannot take writes');
      else logger.info('the database takes writes again');
    }),
  );
  const closeAll = async () => {
    for (const close of closers.reverse()) await close();
  };

  try {
    const apiKeys = createApiKeyParts({
      store,
      logger,
      config: config.api_keys,
      hashers: parts.keyHashers,
      issuers: parts.issuers,
      configFields,
      secrets,
      onRemoteCall: remoteIssuerMetrics(metrics.registry),
    });
    closers.push(() => apiKeys.close());
    registerVerifierMetrics(metrics.registry, apiKeys.verifier);
    // A worker's limits count what the node's other workers decided too (worker-pool.ts relays).
    const limiter = createFailureLimiter({ share: worker?.shareAttempt }, config.basic_auth);
    const basicAuth = createBasicAuthVerifier(
      {
        credentials: store.basicAuthCredentials,
        hasher: passwordHasher,
        limiter,
        digestKey: worker?.digestKey,
        logger,
        onFailure: (reason) => metrics.basicAuthFailures.inc({ reason }),
        onThrottled: (scope) => metrics.basicAuthThrottled.inc({ scope }),
      },
      { ttlSeconds: 60, concurrency: config.api_keys.slow_hash_concurrency },
    );

    const bus = createEventBus({
      store,
      logger,
      pollInterval: config.cluster_poll_interval,
      safetyPollInterval: config.cluster_safety_poll_interval,
      retention: config.cluster_events_retention,
    });
    registerNodeMetrics(metrics.registry, store, bus);
    bus.subscribe(keyring.subscriber);
    // Keys this node lacks come from the nodes that hold them (keyring_strategy: vault needs none: every node reads Vault).
    const exchange =
      config.keyring_strategy === 'cluster' && !worker
        ? createKeyringExchange({ store, keyring, holder: parts.keyringHolder, logger, nodeName, config })
        : null;
    if (exchange) bus.subscribe(exchange.subscriber);
    bus.subscribe(apiKeys.invalidator);
    bus.subscribe(basicAuth);
    let runtimeForVaults: RuntimeLoader<RuntimeState> | undefined;
    const vaults = vaultReloader({
      logger,
      reload: parts.reloadVaults,
      onChanged: () => runtimeForVaults?.onResync('vaults changed'),
      async secretWritten(vaultId, key) {
        const vault = await store.vaults.get(vaultId);
        if (vault) await secrets.expire(vault.prefix, key);
      },
    });
    bus.subscribe(vaults);
    let ready = false;
    let runtimeRef: RuntimeLoader<RuntimeState> | undefined;
    // A worker has no Admin API (its primary answers it for the whole node), nor loads its modules.
    const adminModules = worker ? null : await import('./admin-modules.js');
    const admin = !adminModules
      ? null
      : adminModules.createAdminServer({
          nodeName,
          settled: async () => {
            await vaults.settled();
            await runtimeRef?.settled();
            await primary?.settled();
          },
          ...(primary ? { metricsText: () => primary.metricsText(metrics.registry), workers: () => primary.status() } : {}),
          // A plugin's references are checked where its schema takes them: validation names a misplaced one better.
          views: { plugins: (p) => ({ ...p, config: redactSecrets(p['config'], registry.encryptedPaths(String(p['name']))) }) },
          referenceCheck: adminModules.createReferenceCheck(
            secrets,
            (route, body, path, reference) => {
              // A vault's config may reference only env (its validation says so otherwise).
              if (/(^|\/)vaults(\/|$)/.test(route)) return reference.prefix === 'env';
              return typeof body['name'] === 'string' ? isFlaggedPath(path.slice(1), registry.referenceablePaths(body['name'])) : true;
            },
            referenceableEntities(store),
          ),
          store,
          config,
          logger,
          metrics,
          ...(defaultCertificate ? { defaultCertificate } : {}),
          isReady: () => ready && (primary?.serving() ?? true),
          keyringProblem: () => keyring.problem(),
          keyringState: () => ({ active: parts.keyringHolder.current().active, missing: keyring.snapshot().missing }),
          eventHealth: () => bus.health(),
          plugins: registry.list().map((d) => d.name),
          pluginConfigSchema: (name) => registry.get(name)?.configSchema,
          extraRoutes: [
            adminModules.apiKeyRoutes({ keys: apiKeys.service, tokenProtected: Boolean(config.admin_token) }),
            adminModules.keyAuthAliasRoutes(apiKeys.service),
            adminModules.basicAuthRoutes(),
            adminModules.keyringRoutes({ keyring }),
            adminModules.vaultRoutes({ secrets, backends: parts.backends, maxValueSize: config.vault_max_value_size }),
            adminModules.clusteringRoutes({ nodeTimeout: config.cluster_node_timeout }),
          ],
        });
    await starting?.close();
    const adminAddress = admin ? await admin.listen() : null;
    if (admin) {
      closers.push(() => admin.close());
      closers.push(watchAdminCertificate(config, secrets, configFields, options.configReferences, admin, logger));
    }

    let proxyReferences: ReadonlySet<string> = new Set();
    const runtime = createRuntimeLoader<RuntimeState, RuntimeSnapshot>({
      store,
      logger,
      async prepare(snapshot) {
        const [{ plugins, uses }, tls] = await Promise.all([
          preparePluginSecrets(snapshot.plugins, secrets, registry),
          prepareTlsMaterial(snapshot.certificates, snapshot.caCertificates, secrets, logger),
        ]);
        const allUses = mergeUses(uses, tls.uses);
        secrets.setUses('proxy', allUses);
        proxyReferences = new Set(allUses.keys());
        const { services, routes, consumers, snis } = snapshot;
        return {
          services,
          routes,
          consumers,
          plugins,
          snis,
          certificates: tls.certificates,
          caCertificates: tls.caCertificates,
          clientCertificates: tls.certificates,
        };
      },
      build: (snapshot) =>
        buildRuntimeState(
          snapshot,
          registry,
          { logger, apiKeys: apiKeys.verifier, basicAuth, consumers: createConsumerDirectory(snapshot.consumers), authOutcomes: metrics.authOutcomes },
          { minVersion: config.tls_min_version, ciphers: config.tls_ciphers },
        ),
      ...(options.runtimeUpdates === false ? {} : { update: createRuntimeUpdate(store) }),
      onSwap: (_state, kind) => {
        (kind === 'full' ? metrics.configRebuilds : metrics.configUpdates).inc();
        metrics.configLoadedAt.set(Date.now() / 1000);
      },
    });
    runtimeRef = runtime;
    runtimeForVaults = runtime;
    bus.subscribe(runtime);
    // A rotated (or lost) secret that a plugin uses: build the state again with the new value.
    closers.push(
      secrets.onChange((changed) => {
        if ([...changed].some((r) => proxyReferences.has(r))) runtime.onResync('a vault secret changed');
      }),
    );
    secrets.start();
    // A key imported or recovered can make unreadable configuration readable: rebuild then.
    closers.push(parts.keyringHolder.onChange(() => runtime.onResync('keyring changed')));
    await bus.start();
    closers.push(() => bus.stop());
    if (exchange) {
      exchange.start();
      closers.push(() => exchange.stop());
    }
    // Registered once the bus knows what it applied; its row goes (closers run in reverse) after the proxy drained.
    const nodeRegistry = createNodeRegistry({
      store,
      logger,
      bus,
      nodeName,
      version: VERSION,
      heartbeatInterval: config.cluster_heartbeat_interval,
      nodeTimeout: config.cluster_node_timeout,
    });
    await nodeRegistry.start();
    closers.push(() => nodeRegistry.close());
    await runtime.load();
    closers.push(() => runtime.stop());

    // A primary's workers listen (node:cluster shares the ports); it hands them the keyring.
    let addresses: ProxyAddresses;
    if (primary) {
      addresses = await primary.start({ keyring: parts.keyringHolder, latestEventId: () => store.events.latestId(), logger });
      closers.push(() => primary.close());
    } else {
      const proxy = createProxyServer({
        getState: () => runtime.current(),
        config,
        logger,
        metrics,
        findApiKey: (id) => store.apiKeys.getById(id),
        ...(defaultCertificate ? { defaultCertificate } : {}),
      });
      bus.subscribe(proxy.websocketRevocations);
      const { http, https } = await proxy.listen();
      closers.push(() => proxy.close());
      addresses = { proxy: { host: http.address, port: http.port }, proxyTls: https === null ? null : { host: https.address, port: https.port } };
    }
    if (worker) bus.onApplied((through) => void runtime.settled().then(() => worker.onApplied(through)));
    ready = true;
    const adminTlsAddress = admin?.tlsAddress() ?? null;
    await nodeRegistry.setState(
      'ready',
      listenerAddresses({ proxy: addresses.proxy, proxy_tls: addresses.proxyTls, admin: adminAddress, admin_tls: adminTlsAddress }),
    );
    if (!worker) await keyring.resumeRewrap();
    const where = (a: { host: string; port: number }) => `${a.host}:${a.port}`;
    logger.info(
      {
        proxy: where(addresses.proxy),
        ...(addresses.proxyTls ? { proxyTls: where(addresses.proxyTls) } : {}),
        ...(adminTlsAddress ? { adminTls: where(adminTlsAddress) } : {}),
        ...(adminAddress ? { admin: where(adminAddress) } : {}),
        database: config.database,
        ...(primary ? { workers: primary.status().length } : {}),
      },
      // The line operators (and tests) wait for comes once per node: from the primary, not from each worker.
      worker ? 'worker serving' : 'portcullis started',
    );

    return {
      nodeName,
      instanceId,
      config,
      logger,
      store,
      keyring,
      bus,
      metrics,
      runtime,
      apiKeys,
      proxyAddress: addresses.proxy,
      proxyTlsAddress: addresses.proxyTls,
      ...(adminAddress ? { adminAddress, adminTlsAddress } : {}),
      applySharedAttempt: (shared) => limiter.applyShared(shared),
      async close() {
        ready = false;
        await nodeRegistry.setState('stopping');
        await closeAll();
        logger.info(worker ? 'worker stopped' : 'portcullis stopped');
      },
    };
  } catch (err) {
    await closeAll().catch(() => {});
    throw err;
  }
}
