/**
 * The configuration schema: every key, its type, its default and its limits. This is the single
 * source for validation, defaults, `PORTCULLIS_*` environment names and docs/configuration.md.
 * Timeouts are in milliseconds (as on services); TTLs and grace periods are in seconds.
 */
import Type, { type Static } from 'typebox';

const Listen = (def: string) => Type.String({ default: def, pattern: '^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$', description: 'host:port' });

/** Adds a description (shown in docs/configuration.md) to a schema. */
function describe<T extends object>(schema: T, description: string): T {
  return Object.assign(schema, { description });
}

const Ms = (def: number, min: number, max: number) => Type.Integer({ default: def, minimum: min, maximum: max });

export const IssuerConfigSchema = Type.Union([
  Type.Object(
    {
      name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }),
      prefix: Type.String({ pattern: '^[a-z0-9]{2,8}$' }),
      type: Type.Literal('local'),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }),
      prefix: Type.String({ pattern: '^[a-z0-9]{2,8}$' }),
      type: Type.Literal('push'),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }),
      prefix: Type.String({ pattern: '^[a-z0-9]{2,8}$' }),
      type: Type.Literal('remote'),
      url: Type.String({ pattern: '^https?://', maxLength: 2048 }),
      /** Sent as `Authorization: Bearer <token>`; may be a `{vault://…}` reference. */
      token: Type.Optional(Type.String({ maxLength: 4096 })),
      timeout: Ms(2000, 1, 60_000),
      /** Seconds a positive answer is cached. */
      cache_ttl: Type.Integer({ default: 300, minimum: 0, maximum: 86_400 }),
      /** Seconds a negative answer is cached. */
      neg_cache_ttl: Type.Integer({ default: 30, minimum: 0, maximum: 86_400 }),
    },
    { additionalProperties: false },
  ),
]);

export const ApiKeysConfigSchema = Type.Object(
  {
    hash_algorithm: Type.Union([Type.Literal('sha256'), Type.Literal('bcrypt'), Type.Literal('argon2id'), Type.Literal('none')], {
      default: 'sha256',
      description: 'Hash for newly stored keys: `sha256` (salted), `bcrypt`, `argon2id`, or `none` (tests only; warns at every start).',
    }),
    bcrypt_cost: describe(Type.Integer({ default: 12, minimum: 12, maximum: 16 }), 'bcrypt cost factor (at least 12).'),
    /** Seconds until a new key expires when the request gives no expiry; 0 = never. */
    default_ttl: describe(Type.Integer({ default: 0, minimum: 0 }), 'Seconds until a new key expires when the request gives no expiry; 0 = never.'),
    /** Most active keys one consumer may own; 0 = no limit. */
    max_per_consumer: describe(Type.Integer({ default: 100, minimum: 0 }), 'Most active keys one consumer may own; 0 = no limit.'),
    issuers: describe(
      Type.Array(IssuerConfigSchema, { default: [{ name: 'portcullis', prefix: 'pcg', type: 'local' }], maxItems: 64 }),
      'Key issuers: each has a `name`, a `prefix` (2–8 of [a-z0-9]) and a `type` (`local`, `push` or `remote`).',
    ),
    /** Seconds a verified key stays in a node's memory before it is looked up again. */
    cache_ttl: describe(
      Type.Integer({ default: 300, minimum: 0, maximum: 86_400 }),
      "Seconds a verified key stays in a node's memory before it is looked up again.",
    ),
    /** Seconds an unknown key is remembered as unknown. */
    neg_cache_ttl: describe(Type.Integer({ default: 30, minimum: 0, maximum: 3600 }), 'Seconds an unknown key is remembered as unknown.'),
    cache_size: describe(Type.Integer({ default: 100_000, minimum: 100, maximum: 10_000_000 }), 'Most verified keys a node keeps in memory.'),
    neg_cache_size: describe(Type.Integer({ default: 10_000, minimum: 100, maximum: 10_000_000 }), 'Most unknown keys a node remembers.'),
    /** Concurrent bcrypt/argon2id verifications per node. */
    slow_hash_concurrency: describe(
      Type.Integer({ default: 4, minimum: 1, maximum: 256 }),
      'Concurrent bcrypt/argon2id verifications per node; more wait in a bounded queue.',
    ),
    /** How often `last_used_at` is written, in milliseconds. */
    last_used_flush_interval: describe(Ms(10_000, 100, 3_600_000), 'How often `last_used_at` is written, in ms.'),
  },
  { additionalProperties: false, default: {} },
);

const Seconds = (def: number, max: number, description: string) => describe(Type.Integer({ default: def, minimum: 1, maximum: max }), description);
const Count = (def: number, description: string) => describe(Type.Integer({ default: def, minimum: 1, maximum: 1_000_000 }), description);

/** Limits on basic-auth password guessing (docs/plugins.md#password-guessing, docs/security.md §10). */
export const BasicAuthLimitsConfigSchema = Type.Object(
  {
    failure_window: Seconds(
      900,
      86_400,
      'Seconds after its last failure (and lockout) that a counter is forgotten; also how long a successful (username, address) pair stays exempt from the address and username lockouts.',
    ),
    lockout_base: Seconds(1, 3600, 'Seconds of the first lockout once a counter reaches its limit; each further failure doubles it, up to the cap.'),
    pair_max_failures: Count(5, 'Failures of one username from one client address (IPv6: one /64) before lockouts start.'),
    pair_lockout_cap: Seconds(900, 86_400, 'Longest lockout of one (username, client address) pair, in seconds.'),
    address_max_failures: Count(30, 'Failures from one client address (IPv6: one /64), whatever the usernames, before lockouts start.'),
    address_lockout_cap: Seconds(900, 86_400, 'Longest lockout of one client address, in seconds.'),
    username_max_failures: Count(100, 'Failures of one username from all addresses together before lockouts start.'),
    username_lockout_cap: Seconds(
      30,
      300,
      'Longest lockout of one username across addresses, in seconds: short, so that guessing from many addresses cannot keep the user out for long.',
    ),
    max_tracked: describe(
      Type.Integer({ default: 100_000, minimum: 100, maximum: 10_000_000 }),
      'Most entries in each of the four tables (pairs, addresses, usernames, recently successful pairs); the least recently used entry goes first.',
    ),
  },
  { additionalProperties: false, default: {} },
);

/** A vault defined in the config file (the same shape as a `/vaults` entity). */
export const ConfigVaultSchema = Type.Object(
  {
    prefix: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }),
    name: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' }),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    config: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    database: describe(
      Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')], { default: 'sqlite' }),
      'Which database holds the configuration: `sqlite` (embedded, one node) or `postgres` (clusters).',
    ),
    sqlite_path: describe(
      Type.String({ default: './portcullis-data/portcullis.db', minLength: 1 }),
      'SQLite database file (its folder is created with mode 0700).',
    ),
    pg_host: describe(Type.String({ default: '127.0.0.1' }), 'PostgreSQL host.'),
    pg_port: describe(Type.Integer({ default: 5432, minimum: 1, maximum: 65535 }), 'PostgreSQL port.'),
    pg_user: describe(Type.String({ default: 'portcullis' }), 'PostgreSQL user.'),
    pg_password: describe(Type.String({ default: '' }), 'PostgreSQL password. Never logged.'),
    pg_database: describe(Type.String({ default: 'portcullis' }), 'PostgreSQL database name.'),
    pg_ssl: describe(Type.Boolean({ default: false }), 'Connect to PostgreSQL over TLS (certificate verified).'),
    pg_max_connections: describe(Type.Integer({ default: 10, minimum: 1, maximum: 1000 }), 'Most PostgreSQL connections this node opens.'),
    pg_connect_timeout: describe(
      Ms(1000, 100, 60_000),
      'How long to wait for a new PostgreSQL connection, in ms; past it the request fails with 503 PC_STORE_UNAVAILABLE.',
    ),
    pg_query_timeout: describe(
      Ms(5000, 100, 600_000),
      'How long to wait for a PostgreSQL query, in ms (a hung server or network); past it the request fails with 503 PC_STORE_UNAVAILABLE and the Admin API answers 503 at once until the database answers a ping again. Raise it if a migration or a large query needs longer.',
    ),

    proxy_listen: describe(Listen('0.0.0.0:8000'), 'Address of the proxy listener (`host:port`).'),
    admin_listen: describe(Listen('127.0.0.1:8001'), 'Address of the Admin API listener (`host:port`). A non-loopback address requires `admin_token`.'),
    proxy_listen_tls: describe(
      Type.String({ default: '0.0.0.0:8443', pattern: '^(off|(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5})$' }),
      'Address of the HTTPS proxy listener (`host:port`), or `off`. SNI selects the certificate (exact name, then wildcard, then the default certificate). See docs/tls.md.',
    ),
    proxy_listen_h2c: describe(
      Type.String({ default: 'off', pattern: '^(off|(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5})$' }),
      'Address of a cleartext HTTP/2 proxy listener with prior knowledge (h2c, `host:port`), or `off`. It serves HTTP/2 only, as plain HTTP (routes need `http` or `grpc` in `protocols`). See docs/protocols.md.',
    ),
    http2_max_concurrent_streams: describe(
      Type.Integer({ default: 100, minimum: 1, maximum: 10_000 }),
      'Most concurrent streams per HTTP/2 connection (SETTINGS_MAX_CONCURRENT_STREAMS); streams over it are refused.',
    ),
    http2_stream_reset_burst: describe(
      Type.Integer({ default: 200, minimum: 1, maximum: 100_000 }),
      'HTTP/2 streams a client may cancel (RST_STREAM, or left before the answer) at once per connection; past it and `http2_stream_reset_rate` the connection is closed with GOAWAY ENHANCE_YOUR_CALM (rapid reset, CVE-2023-44487).',
    ),
    http2_stream_reset_rate: describe(
      Type.Integer({ default: 50, minimum: 1, maximum: 100_000 }),
      'HTTP/2 stream cancellations per second per connection refilled into `http2_stream_reset_burst`.',
    ),
    tls_require_sni: describe(
      Type.Boolean({ default: false }),
      'Refuse TLS handshakes whose SNI matches no certificate (and those without SNI) instead of answering with the default certificate.',
    ),
    tls_min_version: describe(
      Type.Union([Type.Literal('TLSv1.2'), Type.Literal('TLSv1.3')], { default: 'TLSv1.2' }),
      'Oldest TLS version the HTTPS listeners accept (`TLSv1.2` or `TLSv1.3`); older ones are never accepted.',
    ),
    tls_ciphers: describe(
      Type.String({
        default:
          'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305',
        minLength: 1,
        maxLength: 4096,
        pattern: '^[A-Za-z0-9_:+!@=.-]+$',
      }),
      "Cipher list of the HTTPS listeners (OpenSSL syntax; TLS 1.3 suites by their `TLS_…` names). The default is Mozilla's modern/intermediate AEAD-only list with forward secrecy.",
    ),
    tls_default_cert: describe(
      Type.Optional(Type.String({ minLength: 1, maxLength: 65_536 })),
      'Default certificate of the HTTPS proxy listener (PEM text or a file path; may be a `{vault://…}` reference), served when no SNI matches. Without it, a self-signed certificate is generated at first start beside `sqlite_path` (`tls-default.crt`, `tls-default.key`, mode 0600).',
    ),
    tls_default_key: describe(
      Type.Optional(Type.String({ minLength: 1, maxLength: 65_536 })),
      'Private key of `tls_default_cert` (PEM text or a file path; may be a `{vault://…}` reference). Never logged.',
    ),
    admin_listen_tls: describe(
      Type.String({ default: 'off', pattern: '^(off|(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5})$' }),
      'Address of an HTTPS Admin API listener (`host:port`), or `off`. A non-loopback address requires `admin_token`, as for `admin_listen`. See docs/operations.md.',
    ),
    admin_tls_cert: describe(
      Type.Optional(Type.String({ minLength: 1, maxLength: 65_536 })),
      "Certificate of the HTTPS Admin API listener (PEM text or a file path; may be a `{vault://…}` reference). Without it the node's default certificate is used.",
    ),
    admin_tls_key: describe(
      Type.Optional(Type.String({ minLength: 1, maxLength: 65_536 })),
      'Private key of `admin_tls_cert` (PEM text or a file path; may be a `{vault://…}` reference). Never logged.',
    ),
    /** Required when admin_listen is not a loopback address; sent as `Authorization: Bearer …`. */
    admin_token: describe(
      Type.Optional(Type.String({ minLength: 32, maxLength: 512 })),
      'Token every Admin API call must carry (`Authorization: Bearer <token>` or `Portcullis-Admin-Token`). At least 32 characters, not blank.',
    ),
    admin_cors_origins: describe(
      Type.Array(Type.String({ pattern: '^https?://[^/?#\\s]+$', maxLength: 2048 }), { default: [], maxItems: 64, uniqueItems: true }),
      'Browser origins (`https://ui.example.com`) allowed to call the Admin API cross-site; CORS preflights from any other origin are refused.',
    ),
    node_id: describe(
      Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' })),
      "This node's name, shown to operators (logs, `GET /`); the host name when absent. Several processes may share it: each process also has its own instance id, random at every start, which its cluster events carry.",
    ),
    log_level: Type.Union(
      [
        Type.Literal('trace'),
        Type.Literal('debug'),
        Type.Literal('info'),
        Type.Literal('warn'),
        Type.Literal('error'),
        Type.Literal('fatal'),
        Type.Literal('silent'),
      ],
      { default: 'info', description: 'Least severe level logged.' },
    ),
    log_format: describe(
      Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('pretty')], { default: 'auto' }),
      'Log line format: `json` (one JSON object a line), `pretty` (human-readable, through pino-pretty when installed, else JSON) or `auto` (pretty on a terminal, JSON otherwise). Secrets are redacted either way.',
    ),

    /** Largest request body the proxy forwards, in bytes (0 = no limit). */
    max_request_body_size: describe(
      Type.Integer({ default: 10 * 1024 * 1024, minimum: 0 }),
      'Largest request body the proxy forwards, in bytes (0 = no limit); larger requests get 413.',
    ),
    /** Largest Admin API request body, in bytes. */
    admin_max_body_size: describe(
      Type.Integer({ default: 1024 * 1024, minimum: 1024, maximum: 64 * 1024 * 1024 }),
      'Largest Admin API request body, in bytes; larger requests get 413.',
    ),
    /** Largest total size of request headers, in bytes (both listeners). */
    max_header_size: describe(
      Type.Integer({ default: 16 * 1024, minimum: 1024, maximum: 1024 * 1024 }),
      'Largest total size of request headers, in bytes, on both listeners; larger requests get 431.',
    ),

    trusted_ips: describe(
      Type.Array(Type.String({ maxLength: 64 }), { default: [], maxItems: 1024 }),
      'Addresses or CIDR ranges (`10.0.0.0/8`, `::1`) of proxies in front of Portcullis. From such a peer, `X-Forwarded-For` and `Forwarded` are extended, `X-Forwarded-Proto/-Host/-Port` and client-address headers (`X-Client-IP` …) kept, and the client address (`X-Real-IP`, logs, plugins) is the right-most `X-Forwarded-For` entry that is not itself trusted; from any other peer they are all replaced by what the connection shows (docs/security.md).',
    ),

    upstream_connect_timeout: describe(Ms(60_000, 1, 3_600_000), "Default time to connect to an upstream, in ms (a service's `connect_timeout` wins)."),
    upstream_read_timeout: describe(Ms(60_000, 1, 3_600_000), "Default time to wait for upstream response data, in ms (a service's `read_timeout` wins)."),
    upstream_write_timeout: describe(
      Ms(60_000, 1, 3_600_000),
      "Reserved, not applied yet: time to send the request to an upstream, in ms (a service's `write_timeout` wins). The upstream client has no write timeout; `upstream_read_timeout` bounds a stalled exchange.",
    ),
    upstream_keepalive_timeout: describe(Ms(60_000, 1000, 3_600_000), 'How long an idle upstream connection is kept open, in ms.'),
    /** Most open connections per upstream origin. */
    upstream_keepalive_pool_size: describe(Type.Integer({ default: 256, minimum: 1, maximum: 65_536 }), 'Most open connections per upstream origin.'),

    /** How often a node reads `cluster_events` written by other processes, in milliseconds. */
    cluster_poll_interval: describe(
      Ms(200, 10, 60_000),
      'How often a node reads `cluster_events` written by other processes, in ms: always on SQLite; on PostgreSQL only while the LISTEN connection is down (otherwise `cluster_safety_poll_interval`).',
    ),
    cluster_safety_poll_interval: describe(
      Ms(5000, 100, 600_000),
      'On PostgreSQL, where changes arrive by LISTEN/NOTIFY, how often a node reads `cluster_events` anyway (a safety net for a lost notification), in ms.',
    ),
    cluster_events_retention: describe(
      Ms(86_400_000, 60_000, 30 * 86_400_000),
      'How long `cluster_events` rows are kept, in ms; older ones are purged. A node away from the database for longer rebuilds its state from the tables when it returns.',
    ),
    cluster_heartbeat_interval: describe(
      Ms(1000, 100, 60_000),
      'How often a node records that it is alive (and which event it applied last) in `cluster_nodes`, in ms.',
    ),
    cluster_node_timeout: describe(
      Ms(10_000, 1000, 600_000),
      'A node whose last heartbeat is older than this (ms) is not live: `?wait=` does not wait for it and `/clustering/nodes` shows it as not live.',
    ),
    keyring_share_timeout: describe(
      Ms(60_000, 1000, 3_600_000),
      'How long a node that lacks keyring keys asks the other nodes for them before it reports that no running node holds them (it keeps asking, less often), in ms.',
    ),
    /** How long a stopping node waits for in-flight requests, in milliseconds. */
    shutdown_timeout: describe(Ms(10_000, 0, 600_000), 'How long a stopping node waits for in-flight requests, in ms.'),
    websocket_handshake_timeout: describe(
      Ms(10_000, 100, 300_000),
      "Time a WebSocket handshake may take from its request to the upstream's `101`, access phase included, in ms; then 504.",
    ),
    websocket_idle_timeout: describe(
      Ms(300_000, 0, 86_400_000),
      'A WebSocket connection with no byte either way for this long is closed with 1001, in ms (0 = never).',
    ),
    websocket_max_connections: describe(
      Type.Integer({ default: 10_000, minimum: 0, maximum: 1_000_000 }),
      'Most WebSocket connections open at once in one proxy process (each worker has its own), handshakes in progress included; past it a handshake gets 503 `PC_PROXY_WEBSOCKET_LIMIT`. Each holds two sockets (client and upstream): keep it well under the open-file limit. 0 = no limit.',
    ),
    workers: describe(
      Type.Integer({ default: 0, minimum: 0, maximum: 256 }),
      'Proxy worker processes (`node:cluster`) sharing the proxy ports: 0 = one per core (`os.availableParallelism()`), 1 = everything in one process. With more than one, the primary process runs the Admin API and hands the keyring to the workers over IPC; `portcullis start --workers N` overrides it. See docs/clustering.md.',
    ),

    keyring_strategy: describe(
      Type.Union([Type.Literal('cluster'), Type.Literal('vault')], { default: 'cluster' }),
      'Where keyring keys come from: `cluster` (generated and managed by the nodes; kept RSA-wrapped in `keyring_blob_path`) or `vault` (a HashiCorp Vault KV v2 secret). See docs/keyring.md.',
    ),
    keyring_blob_path: describe(
      Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
      'File holding the keyring wrapped under `keyring_public_key` (mode 0600), loaded at start. Default: `keyring.blob` beside `sqlite_path`.',
    ),
    keyring_public_key: describe(
      Type.Optional(Type.String({ minLength: 1, maxLength: 16_384 })),
      'RSA public key (PEM text or a file path) wrapping `keyring_blob_path` and exports. Default: `keyring-public.pem` beside `sqlite_path`, generated with its private key at first start when both are absent.',
    ),
    keyring_private_key: describe(
      Type.Optional(Type.String({ minLength: 1, maxLength: 16_384 })),
      'RSA private key (PEM text or a file path) that opens `keyring_blob_path` and imports. Default: `keyring-private.pem` beside `sqlite_path` (mode 0600).',
    ),
    keyring_recovery_public_key: describe(
      Type.Optional(Type.String({ minLength: 1, maxLength: 16_384 })),
      'RSA public key (PEM text or a file path): when set, the keyring is kept in the database wrapped under it after every change, so `POST /keyring/recover` with the private key restores it on any node.',
    ),
    keyring_max_encryptions: describe(
      Type.Integer({ default: 2 ** 30, minimum: 10, maximum: 2 ** 32 }),
      'Encryptions with one key after which the node generates and activates a new key by itself (default 2^30, far below the 2^32 limit for random-nonce AES-GCM).',
    ),
    keyring_rotation_interval: describe(
      Type.Integer({ default: 0, minimum: 0, maximum: 10 * 365 * 86_400 }),
      'Seconds after which the active key is replaced by a new one (generated and activated by a node); 0 = never.',
    ),
    keyring_vault_host: describe(
      Type.Optional(Type.String({ pattern: '^https?://', maxLength: 2048 })),
      'Vault address for `keyring_strategy: vault` (e.g. `https://vault.example.com:8200`).',
    ),
    keyring_vault_mount: describe(
      Type.String({ default: 'secret', pattern: '^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$', maxLength: 256 }),
      'KV v2 mount of the keyring secret.',
    ),
    keyring_vault_path: describe(
      Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$', maxLength: 1024 })),
      'Path of the keyring secret in the KV v2 mount; each version holds `{id, key}` and `current_version` is the active key.',
    ),
    keyring_vault_token: describe(
      Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
      'Vault token for `keyring_strategy: vault`; may be a `{vault://env/…}` reference. Never logged.',
    ),
    keyring_vault_ca: describe(
      Type.Optional(Type.String({ minLength: 1, maxLength: 65_536 })),
      "CA certificate(s) (PEM text or a file path) that Vault's TLS certificate is verified against, instead of the system store.",
    ),
    keyring_vault_namespace: describe(Type.Optional(Type.String({ maxLength: 256 })), 'Vault Enterprise namespace (sent as `X-Vault-Namespace`).'),

    vaults: describe(
      Type.Array(ConfigVaultSchema, { default: [], maxItems: 256 }),
      'Vaults defined in the configuration (beside the `/vaults` entities): each a `prefix`, a backend `name` (hcv, aws, gcp, azure, conjur, env) and its `config`. Config keys may reference them (`{vault://<prefix>/…}`); their own config may reference only `env`. See docs/secrets.md.',
    ),
    vault_max_value_size: describe(
      Type.Integer({ default: 256 * 1024, minimum: 1024, maximum: 16 * 1024 * 1024 }),
      'Largest secret value a vault reference may resolve to, in bytes; larger ones fail with PC_VAULT_VALUE_TOO_LARGE.',
    ),

    api_keys: describe(ApiKeysConfigSchema, 'API key settings (see docs/api-keys.md).'),
    basic_auth: describe(
      BasicAuthLimitsConfigSchema,
      'Limits on basic-auth password guessing: failure counters per (username, address) pair, per address and per username (see docs/plugins.md#password-guessing).',
    ),
  },
  { additionalProperties: false },
);

export type Config = Readonly<Static<typeof ConfigSchema>>;
export type ApiKeysConfig = Static<typeof ApiKeysConfigSchema>;
export type IssuerConfig = Static<typeof IssuerConfigSchema>;
export type BasicAuthLimitsConfig = Static<typeof BasicAuthLimitsConfigSchema>;
export type ConfigVault = Static<typeof ConfigVaultSchema>;
