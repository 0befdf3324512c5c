/**
 * The Admin API server: one Fastify instance with the house rules every route gets for free —
 * in `onRequest` (before the body is read) the browser guard (loopback Host without a token,
 * no cross-site writes, CORS only for listed origins) and then the admin token; JSON-only
 * bodies up to `admin_max_body_size` and 32 levels deep, TypeBox validation with dotted field
 * paths and NFC names, one error mapper, 404/405 as JSON, one log line per request, and an
 * OpenAPI document of every route at `/openapi.json`.
 *
 * With `admin_listen_tls`, the same app is served over HTTPS too (admin-tls-listener.ts).
 *
 * Adding a resource (api-keys, basic-auth credentials …): pass `extraRoutes`. Each function runs
 * in its own encapsulated Fastify plugin with the same hooks and error handling; give routes
 * TypeBox schemas (`params`, `querystring`, `body`, `response`, plus `summary` and `tags`) and
 * they are validated and documented. Throw PortcullisErrors; see `index.ts` for the helpers.
 */
import type { PortcullisError } from '../errors/portcullis-error.js';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import Type from 'typebox';
import { X509Certificate } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../config/load-config.js';
import { parseListen, type ListenAddress } from '../config/listen.js';
import type { EntityName } from '../entities/entity.js';
import type { Logger } from '../observability/logger.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import type { Store } from '../store/store.js';
import { VERSION } from '../version.js';
import { createAdminAuth } from './admin-auth.js';
import { createAdminErrorHandler, sendError, toAdminError, writeClientError } from './admin-errors.js';
import { createBrowserGuard } from './browser-guard.js';
import { CORE_ENTITIES, registerEntityApi } from './entity-api.js';
import type { EntityResource } from './entity-resource.js';
import { createOpenApiCollector } from './openapi-document.js';
import { openApiServers } from './openapi-servers.js';
import { MAX_BODY_DEPTH, registerJsonBodyParser } from './json-body-parser.js';
import { createRequestLog } from './request-log.js';
import { createRouteTable } from './route-table.js';
import { registerStatusEndpoints } from './status-endpoints.js';
import type { WorkerStatus } from '../node/workers/worker-status.js';
import type { EventBusHealth } from '../cluster/event-bus.js';
import { adminTlsCertificate, createAdminTlsListener, type AdminTlsListener, type CertificatePair } from './admin-tls-listener.js';
import { createValidatorCompiler } from './validator-compiler.js';
import { createWriteWarningLog } from './write-warnings.js';
import { registerFormBodyParsers } from './forms/form-body-parser.js';
import { registerTagEndpoints } from './resources/tags.js';
import { registerSchemaEndpoints } from './resources/schemas.js';
import type { PluginSchemaLookup } from './forms/form-coercion.js';

/** Most fields of one form body (a route with every list filled stays far below). */
const MAX_FORM_FIELDS = 1000;
import { createPropagationTracker, type PropagationTracker } from '../cluster/propagation.js';

/** What a function in `extraRoutes` receives besides the Fastify instance. */
export interface AdminRouteKit {
  readonly store: Store;
  /** The resource of a core entity, e.g. to nest routes under `/consumers/{consumer}`. */
  resource(name: EntityName): EntityResource;
  /** Publishes a schema as `#/components/schemas/<componentName>` in the OpenAPI document. */
  nameSchema(schema: TSchema, componentName: string): void;
  /** Which live nodes applied a cluster event (`?wait=`, `/clustering/events/{id}`). */
  readonly propagation: PropagationTracker;
}

/** Registers more Admin API routes (a feature's resource) in an encapsulated plugin. */
export type AdminRoutes = (app: FastifyInstance, kit: AdminRouteKit) => Promise<void> | void;

/** What the Admin API needs from the composition root. */
export interface AdminServerDeps {
  readonly store: Store;
  /** The node's name shown to operators; the store's instance id when absent (tests). */
  readonly nodeName?: string;
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics?: ProxyMetrics | undefined;
  /** True once the node has loaded its configuration (answers `/status/ready`). */
  isReady(): boolean;
  /** Why the keyring is incomplete (a key the database uses is not held), or null: makes `/status/ready` 503. */
  keyringProblem?(): PortcullisError | null;
  /** The active keyring key's id and how many keys this node lacks: shown at `/status`. */
  keyringState?(): { readonly active: string | null; readonly missing: number };
  /** The event bus's health: `/status` shows it and `/status/ready` waits for it (connected, caught up). */
  eventHealth?(): EventBusHealth;
  readonly extraRoutes?: readonly AdminRoutes[];
  /** A plugin's config schema: form bodies (`config.minute=5`) are converted by it before validation. */
  readonly pluginConfigSchema?: PluginSchemaLookup;
  /**
   * Resolves when this node has applied every write made so far (its proxy state rebuilt). A
   * write's response waits for it, so a client that changed something and then calls the proxy
   * of the same node sees the change (read-your-writes); other nodes follow through events.
   */
  settled?(): Promise<void>;
  /** The `/metrics` text instead of the registry's own (a `--workers` primary aggregates its workers'). */
  metricsText?(): Promise<string>;
  /** A `--workers` primary's workers, shown at `/status`. */
  workers?(): readonly WorkerStatus[];
  /** Plugin names this node can run, shown at `/`. */
  readonly plugins?: readonly string[];
  /** Changes what core entities' responses show (a plugin's literal secrets redacted). */
  readonly views?: Partial<Record<EntityName, (shown: Record<string, unknown>) => Record<string, unknown>>>;
  /** Runs before every write's handler (after validation): refuses references that cannot be resolved. */
  referenceCheck?(request: FastifyRequest): Promise<void>;
  /** The node's default certificate: what `admin_listen_tls` serves when `admin_tls_cert`/`admin_tls_key` are not set. */
  readonly defaultCertificate?: CertificatePair;
}

/** A built Admin API: the Fastify app (for `inject` in tests) and its lifecycle. */
export interface AdminServer {
  readonly app: FastifyInstance;
  /**
   * Listens on `admin_listen`, and on `admin_listen_tls` unless `off`; resolves with the plain
   * listener's address (the real port when 0). Throws ConfigError, before binding anything, when
   * the HTTPS listener cannot start (no token on a non-loopback address, no usable certificate).
   */
  listen(): Promise<ListenAddress>;
  /** The HTTPS listener's address once listening, or null (`admin_listen_tls: off`). */
  tlsAddress(): ListenAddress | null;
  /**
   * Serves `pair` on the HTTPS listener from the next connection on (open ones keep theirs), e.g.
   * when a referenced certificate rotated. False (logged, the old one kept) when it is unusable
   * or there is no HTTPS listener.
   */
  setTlsCertificate(pair: CertificatePair): boolean;
  close(): Promise<void>;
}

/** Builds the Admin API; nothing listens until `listen()` (tests use `app.inject`). */
export function createAdminServer(deps: AdminServerDeps): AdminServer {
  const { config, logger, store } = deps;
  let totalRequests = 0;
  const routes = createRouteTable();
  const openapi = createOpenApiCollector({ title: 'Portcullis Admin API', version: VERSION, servers: openApiServers(config) });

  const validatorCompiler = createValidatorCompiler();
  const app = Fastify({
    logger: false,
    bodyLimit: config.admin_max_body_size,
    routerOptions: { maxParamLength: 512, ignoreTrailingSlash: true },
    http: { maxHeaderSize: config.max_header_size },
    // A client gets 30 s to send its request: an admin call is small.
    requestTimeout: 30_000,
    return503OnClosing: true,
    clientErrorHandler: writeClientError,
    frameworkErrors: (err, _request, reply) => void sendError(reply, toAdminError(err)),
    // Our compilers from the start: given as factories, Fastify never loads its defaults (Ajv and
    // fast-json-stringify, each with its dependencies: ~1 MB of an idle node's memory).
    schemaController: {
      // (Fastify types these factories as Ajv's own.)
      compilersFactory: {
        buildValidator: (() => validatorCompiler) as never,
        // Response schemas document; they do not filter. Plain JSON.stringify sends what the handler built.
        buildSerializer: (() => () => (data: unknown) => JSON.stringify(data)) as never,
      },
    },
  });
  // JSON, and Kong's form bodies (urlencoded, multipart) converted to the route's types; anything else is 415.
  registerJsonBodyParser(app);
  registerFormBodyParsers(app, {
    bodyLimit: config.admin_max_body_size,
    maxFields: MAX_FORM_FIELDS,
    maxDepth: MAX_BODY_DEPTH,
    ...(deps.pluginConfigSchema ? { pluginSchema: deps.pluginConfigSchema } : {}),
  });
  app.addHook('onRoute', (route) => {
    routes.add(route);
    openapi.add(route);
    // Response schemas only document (the serializer above is JSON.stringify): the OpenAPI
    // collector has them, Fastify does not need them. Given them, it keeps one object per route
    // keyed by status code, whose array storage runs to the highest code (~1.4 MB for the
    // Admin API's routes, with the route schemas' own).
    if (route.schema?.response) route.schema = { ...route.schema, response: undefined };
  });
  // In this order: a refused browser request learns nothing, not even whether it needs a token.
  app.addHook('onRequest', createBrowserGuard({ tokenRequired: config.admin_token !== undefined, corsOrigins: config.admin_cors_origins }));
  app.addHook('onRequest', createAdminAuth(config.admin_token));
  // The database was seen unreachable and has not answered since: 503 at once, not one more wait
  // for it (the node's own endpoints still answer, with the cause).
  app.addHook('onRequest', async (request) => {
    const down = store.storage.failFast();
    if (down && !request.url.startsWith('/status') && request.url !== '/metrics' && request.url !== '/') throw down;
  });
  app.addHook('onError', async (_request, _reply, error) => store.storage.observe(error));
  app.addHook(
    'onResponse',
    createRequestLog(logger, () => totalRequests++, deps.metrics?.adminRequests),
  );
  const settled = deps.settled;
  if (settled) {
    app.addHook('onSend', async (request, _reply, payload) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') await settled();
      return payload;
    });
  }
  const referenceCheck = deps.referenceCheck;
  if (referenceCheck) app.addHook('preHandler', async (request) => referenceCheck(request));
  app.addHook('preSerialization', createWriteWarningLog(logger));
  app.setErrorHandler(createAdminErrorHandler(logger));
  app.setNotFoundHandler(routes.notFound);

  const propagation = createPropagationTracker({ store, nodeTimeout: config.cluster_node_timeout });
  const resources = registerEntityApi(app, { store, propagation, nameSchema: openapi.name, ...(deps.views ? { views: deps.views } : {}) }, CORE_ENTITIES);
  registerTagEndpoints(app, store, [...CORE_ENTITIES, 'basicauth_credentials', 'vaults']);
  registerSchemaEndpoints(app, { store, resources: resources.values(), ...(deps.pluginConfigSchema ? { pluginConfigSchema: deps.pluginConfigSchema } : {}) });
  registerStatusEndpoints(app, {
    store,
    metrics: deps.metrics,
    isReady: () => deps.isReady(),
    ...(deps.keyringProblem ? { keyringProblem: () => deps.keyringProblem!() } : {}),
    ...(deps.keyringState ? { keyringState: () => deps.keyringState!() } : {}),
    ...(deps.eventHealth ? { eventHealth: () => deps.eventHealth!() } : {}),
    totalRequests: () => totalRequests,
    version: VERSION,
    nodeName: deps.nodeName ?? store.nodeId,
    instanceId: store.nodeId,
    plugins: deps.plugins,
    ...(deps.metricsText ? { metricsText: () => deps.metricsText!() } : {}),
    ...(deps.workers ? { workers: () => deps.workers!() } : {}),
  });
  registerOpenApiEndpoint(app, () => openapi.document());

  const kit: AdminRouteKit = {
    store,
    resource(name) {
      const found = resources.get(name);
      if (!found) throw new Error(`no Admin API resource for ${name}`);
      return found;
    },
    nameSchema: openapi.name,
    propagation,
  };
  for (const add of deps.extraRoutes ?? []) void app.register(async (scope) => add(scope, kit));

  let tls: AdminTlsListener | null = null;
  return {
    app,
    async listen() {
      let secure: AdminTlsListener | null = null;
      if (config.admin_listen_tls !== 'off') {
        const certificate = adminTlsCertificate(config, deps.defaultCertificate);
        if ('problems' in certificate) throw new ConfigError(certificate.problems);
        secure = createAdminTlsListener({ config, logger, certificate: certificate.pair, handler: (req, res) => app.routing(req, res) });
      }
      const { host, port } = parseListen(config.admin_listen);
      await app.listen({ host, port });
      if (secure !== null) {
        await secure.listen().catch(async (err: unknown) => {
          await app.close();
          throw err;
        });
        tls = secure;
      }
      const bound = app.server.address();
      return typeof bound === 'object' && bound ? { host: bound.address, port: bound.port } : { host, port };
    },
    tlsAddress: () => tls?.address() ?? null,
    setTlsCertificate(pair) {
      const problem = tls === null ? 'admin_listen_tls is off' : tls.setCertificate(pair);
      if (problem !== null) {
        logger.warn({ problem }, 'the Admin API TLS certificate was not replaced');
        return false;
      }
      logger.info({ fingerprint: new X509Certificate(pair.cert).fingerprint256 }, 'the Admin API TLS certificate was replaced');
      return true;
    },
    async close() {
      // In-flight requests on either listener finish (the app answers new ones 503), then what is left is cut.
      const tlsClosed = tls?.close();
      await app.close();
      tls?.closeAllConnections();
      await tlsClosed;
    },
  };
}

/** `GET /openapi.json`, built once on first request (every route is registered by then). */
function registerOpenApiEndpoint(app: FastifyInstance, build: () => Record<string, unknown>): void {
  let document: Record<string, unknown> | undefined;
  app.get(
    '/openapi.json',
    {
      schema: {
        tags: ['node'],
        summary: 'This document (OpenAPI 3.1)',
        description:
          'This OpenAPI 3.1 document, generated from the schemas the Admin API validates requests with: every served route, including those of installed resources.',
        response: { 200: Type.Object({}, { additionalProperties: true }) },
      },
    },
    async () => (document ??= build()),
  );
}
