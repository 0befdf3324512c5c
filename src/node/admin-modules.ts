/**
 * Everything the Admin API is built from, in one module the node imports only when it serves the
 * Admin API: a `--workers` worker never does, so it never loads Fastify, the OpenAPI collector
 * or the resources (tens of MB per worker otherwise).
 */
export { createAdminServer } from '../admin/admin-server.js';
export { apiKeyRoutes } from '../admin/resources/api-keys.js';
export { basicAuthRoutes } from '../admin/resources/basic-auth.js';
export { keyAuthAliasRoutes } from '../admin/resources/key-auth-aliases.js';
export { keyringRoutes } from '../admin/resources/keyring.js';
export { vaultRoutes } from '../admin/resources/vaults.js';
export { clusteringRoutes } from '../admin/resources/clustering.js';
export { createReferenceCheck } from '../admin/reference-check.js';
