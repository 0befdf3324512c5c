/**
 * The error catalogue: every code that can leave the Admin API or the proxy, with its HTTP status
 * and its public message. Codes are a contract (docs/errors.md lists them; a test checks the two
 * agree). Add codes at the end of their group; never reuse or rename one.
 */
export const ERROR_CATALOGUE = {
  // Generic request errors
  PC_VALIDATION_FAILED: { status: 400, message: 'The request is not valid' },
  PC_BAD_REQUEST: { status: 400, message: 'The request could not be understood' },
  PC_BODY_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  PC_HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large' },
  PC_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request body must be JSON, application/x-www-form-urlencoded or multipart/form-data' },
  PC_NOT_FOUND: { status: 404, message: 'Not found' },
  PC_METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  PC_INTERNAL: { status: 500, message: 'An unexpected error occurred' },
  PC_EXPECTATION_FAILED: { status: 417, message: 'Only "Expect: 100-continue" is supported' },

  // Admin API
  PC_ADMIN_UNAUTHORIZED: { status: 401, message: 'A valid admin token is required' },
  PC_ADMIN_NOT_READY: { status: 503, message: 'The node has not loaded its configuration yet' },
  PC_ADMIN_HOST_REFUSED: { status: 403, message: 'The Admin API without a token answers only requests addressed to a loopback host' },
  PC_ADMIN_CROSS_SITE_REFUSED: { status: 403, message: 'Cross-site requests to the Admin API are refused' },

  // Store
  PC_STORE_UNIQUE_VIOLATION: { status: 409, message: 'An entity with the same unique field already exists' },
  PC_STORE_FOREIGN_KEY_VIOLATION: { status: 400, message: 'A referenced entity does not exist' },
  PC_STORE_REFERENCED: { status: 409, message: 'The entity is still referenced by other entities' },
  PC_STORE_UNAVAILABLE: { status: 503, message: 'The database is unavailable; try again later' },
  PC_STORE_LIMIT_REACHED: { status: 409, message: 'A configured limit has been reached' },
  PC_STORE_READ_ONLY: { status: 503, message: 'The database is read-only; nothing was written' },
  PC_STORE_FULL: { status: 503, message: 'The database storage is full; nothing was written' },
  PC_STORE_CONFLICT: { status: 409, message: 'The entity was changed by a concurrent request; retry' },

  // Proxy
  PC_PROXY_NO_ROUTE: { status: 404, message: 'No route matched this request' },
  PC_PROXY_UPSTREAM_UNAVAILABLE: { status: 502, message: 'The upstream service could not be reached' },
  PC_PROXY_UPSTREAM_TIMEOUT: { status: 504, message: 'The upstream service did not answer in time' },
  PC_PROXY_UPSTREAM_ERROR: { status: 502, message: 'The upstream service sent an invalid response' },
  PC_PROXY_REQUEST_TERMINATED: { status: 503, message: 'This route is not available' },
  PC_PROXY_NO_SERVICE: { status: 503, message: 'This route has no service' },
  PC_PROXY_PATH_REFUSED: { status: 400, message: 'The request path is not allowed' },
  PC_PROXY_UPSTREAM_AUTH_FAILED: { status: 502, message: 'The credentials for the upstream service could not be obtained' },
  PC_PROXY_HTTPS_REQUIRED: { status: 426, message: 'This route accepts only HTTPS' },
  PC_PROXY_UPSTREAM_TLS_UNTRUSTED: { status: 502, message: "The upstream service's TLS certificate is not trusted" },
  PC_PROXY_UPSTREAM_TLS_HOSTNAME: { status: 502, message: "The upstream service's TLS certificate does not match its host name" },
  PC_PROXY_UPSTREAM_TLS_EXPIRED: { status: 502, message: "The upstream service's TLS certificate is expired or not yet valid" },
  PC_PROXY_UPSTREAM_TLS_HANDSHAKE: { status: 502, message: 'The TLS handshake with the upstream service failed' },
  PC_PROXY_UPSTREAM_TLS_CONFIG: { status: 502, message: 'The TLS settings of the upstream service (CA or client certificate) could not be loaded' },
  PC_PROXY_WEBSOCKET_REQUIRED: { status: 426, message: 'This route accepts only WebSocket connections' },
  PC_PROXY_WEBSOCKET_REFUSED: { status: 400, message: 'This route does not accept WebSocket connections' },
  PC_PROXY_WEBSOCKET_LIMIT: { status: 503, message: 'Too many WebSocket connections are open on this node' },

  // Authentication on the proxy: every failure of one plugin looks the same to the client.
  PC_AUTH_KEY_INVALID: { status: 401, message: 'Unauthorized' },
  PC_AUTH_BASIC_INVALID: { status: 401, message: 'Unauthorized' },
  PC_AUTH_REMOTE_ISSUER_UNAVAILABLE: { status: 503, message: 'The key issuer could not be reached' },
  PC_AUTH_OVERLOADED: { status: 503, message: 'Too many credential checks are running; retry shortly' },
  PC_AUTH_TOO_MANY_ATTEMPTS: { status: 429, message: 'Too many failed attempts; retry later' },

  // API keys (Admin API)
  PC_APIKEY_ISSUER_UNKNOWN: { status: 400, message: 'No issuer is configured for this key or prefix' },
  PC_APIKEY_ISSUER_READ_ONLY: { status: 400, message: 'This issuer does not accept this operation' },
  PC_APIKEY_PLAINTEXT_REFUSED: { status: 403, message: 'Plaintext keys are accepted only over a protected admin connection' },

  // Keyring and encryption at rest
  PC_KEYRING_KEY_MISSING: { status: 503, message: 'A stored value is encrypted with a keyring key this node does not hold' },
  PC_KEYRING_DECRYPT_FAILED: { status: 500, message: 'A stored encrypted value failed its integrity check' },
  PC_KEYRING_KEY_UNKNOWN: { status: 404, message: 'No keyring key has this id' },
  PC_KEYRING_KEY_CONFLICT: { status: 409, message: 'A keyring key with this id but different material already exists' },
  PC_KEYRING_KEY_IN_USE: { status: 409, message: 'The keyring key is active or still encrypts stored values' },
  PC_KEYRING_EXPORT_INVALID: { status: 400, message: 'The keyring export could not be opened' },
  PC_KEYRING_NOT_CONFIGURED: { status: 400, message: 'The keyring is not configured for this operation' },
  PC_KEYRING_EMPTY: { status: 503, message: 'The keyring has no active key; nothing can be encrypted' },
  PC_KEYRING_VAULT_UNAVAILABLE: { status: 503, message: 'The keyring could not be read from Vault' },
  PC_KEYRING_REWRAP_RUNNING: { status: 409, message: 'A rewrap is already running' },
  PC_KEYRING_NOT_SHARED: { status: 503, message: 'No running node has handed this node the keyring keys it lacks' },

  // Secrets management: vault references and their backends. Messages name the reference, never a value.
  PC_VAULT_NOT_FOUND: { status: 404, message: 'The secret was not found in its vault' },
  PC_VAULT_UNAUTHORIZED: { status: 502, message: 'The vault refused the credentials Portcullis holds for it' },
  PC_VAULT_UNAVAILABLE: { status: 503, message: 'The vault could not be reached or did not answer in time' },
  PC_VAULT_UNRESOLVED: { status: 400, message: 'A vault reference in the request cannot be resolved' },
  PC_VAULT_VALUE_TOO_LARGE: { status: 502, message: 'A secret is larger than vault_max_value_size' },
  PC_VAULT_UNKNOWN: { status: 404, message: 'No vault has this prefix' },

  // Clustering
  PC_CLUSTER_EVENT_UNKNOWN: { status: 404, message: 'No cluster event has this id (events are purged after cluster_events_retention)' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CATALOGUE, code);
}
