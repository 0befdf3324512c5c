/**
 * The configuration schema: every key, its type, its default and its limits. This is the single
 * source for validation, defaults, `PORTCULLIS_*` environment names and docs/configuration.md.
 * Timeouts are in milliseconds (as on services); TTLs and grace periods are in seconds.
 */
import Type, { type Static } from 'typebox';

const Listen = (def: string) =>
  Type.String({ default: def, pattern: '^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$', description: 'host:port' });

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
    }),
    bcrypt_cost: Type.Integer({ default: 12, minimum: 12, maximum: 16 }),
    /** Seconds until a new key expires when the request gives no expiry; 0 = never. */
    default_ttl: Type.Integer({ default: 0, minimum: 0 }),
    /** Most active keys one consumer may own; 0 = no limit. */
    max_per_consumer: Type.Integer({ default: 100, minimum: 0 }),
    issuers: Type.Array(IssuerConfigSchema, { default: [{ name: 'portcullis', prefix: 'pcg', type: 'local' }], maxItems: 64 }),
    /** Seconds a verified key stays in a node's memory before it is looked up again. */
    cache_ttl: Type.Integer({ default: 300, minimum: 0, maximum: 86_400 }),
    /** Seconds an unknown key is remembered as unknown. */
    neg_cache_ttl: Type.Integer({ default: 30, minimum: 0, maximum: 3600 }),
    cache_size: Type.Integer({ default: 100_000, minimum: 100, maximum: 10_000_000 }),
    neg_cache_size: Type.Integer({ default: 10_000, minimum: 100, maximum: 10_000_000 }),
    /** Concurrent bcrypt/argon2id verifications per node. */
    slow_hash_concurrency: Type.Integer({ default: 4, minimum: 1, maximum: 256 }),
    /** How often `last_used_at` is written, in milliseconds. */
    last_used_flush_interval: Ms(10_000, 100, 3_600_000),
  },
  { additionalProperties: false, default: {} },
);

export const ConfigSchema = Type.Object(
  {
    database: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')], { default: 'sqlite' }),
    sqlite_path: Type.String({ default: './portcullis-data/portcullis.db', minLength: 1 }),
    pg_host: Type.String({ default: '127.0.0.1' }),
    pg_port: Type.Integer({ default: 5432, minimum: 1, maximum: 65535 }),
    pg_user: Type.String({ default: 'portcullis' }),
    pg_password: Type.String({ default: '' }),
    pg_database: Type.String({ default: 'portcullis' }),
    pg_ssl: Type.Boolean({ default: false }),
    pg_max_connections: Type.Integer({ default: 10, minimum: 1, maximum: 1000 }),

    proxy_listen: Listen('0.0.0.0:8000'),
    admin_listen: Listen('127.0.0.1:8001'),
    /** Required when admin_listen is not a loopback address; sent as `Authorization: Bearer …`. */
    admin_token: Type.Optional(Type.String({ minLength: 16, maxLength: 512 })),
    node_id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' })),
    log_level: Type.Union(
      [Type.Literal('trace'), Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error'), Type.Literal('fatal'), Type.Literal('silent')],
      { default: 'info' },
    ),

    /** Largest request body the proxy forwards, in bytes (0 = no limit). */
    max_request_body_size: Type.Integer({ default: 10 * 1024 * 1024, minimum: 0 }),
    /** Largest Admin API request body, in bytes. */
    admin_max_body_size: Type.Integer({ default: 1024 * 1024, minimum: 1024, maximum: 64 * 1024 * 1024 }),
    /** Largest total size of request headers, in bytes (both listeners). */
    max_header_size: Type.Integer({ default: 16 * 1024, minimum: 1024, maximum: 1024 * 1024 }),

    upstream_connect_timeout: Ms(60_000, 1, 3_600_000),
    upstream_read_timeout: Ms(60_000, 1, 3_600_000),
    upstream_write_timeout: Ms(60_000, 1, 3_600_000),
    upstream_keepalive_timeout: Ms(60_000, 1000, 3_600_000),
    /** Most open connections per upstream origin. */
    upstream_keepalive_pool_size: Type.Integer({ default: 256, minimum: 1, maximum: 65_536 }),

    /** How often a node reads `cluster_events` written by other processes, in milliseconds. */
    cluster_poll_interval: Ms(200, 10, 60_000),
    /** How long a stopping node waits for in-flight requests, in milliseconds. */
    shutdown_timeout: Ms(10_000, 0, 600_000),

    api_keys: ApiKeysConfigSchema,
  },
  { additionalProperties: false },
);

export type Config = Readonly<Static<typeof ConfigSchema>>;
export type ApiKeysConfig = Static<typeof ApiKeysConfigSchema>;
export type IssuerConfig = Static<typeof IssuerConfigSchema>;
