/**
 * Configuration of `upstream-auth`: the credentials Portcullis presents to a service's upstream,
 * so clients never hold them. One `type` per configuration, each with its own fields; a field of
 * another type is refused, so a configuration says exactly what it does. Secret fields are
 * `encrypted` (stored through the keyring) and `referenceable` (may be a `{vault://…}` reference;
 * `header_value` may embed one, as in `Bearer {vault://aws/payments/token}`), flagged next to their
 * own definitions. Defaults of type-specific fields are applied by the plugin, not the schema, so
 * a stored configuration holds only the fields of its type.
 */
import Type, { type Static, type TObject } from 'typebox';

export type AuthType = 'header' | 'basic' | 'oauth2_client_credentials' | 'aws_sigv4';

/** Defaults of type-specific fields (documented in their descriptions). */
export const OAUTH2_DEFAULTS = Object.freeze({
  token_auth_method: 'client_secret_basic',
  token_timeout: 10_000,
  token_expiry_margin: 10,
} as const);

/** A header value: no control character but horizontal tab (RFC 9110 §5.5). */
const HEADER_VALUE = '^[^\\x00-\\x08\\x0a-\\x1f\\x7f]*$';
/** Text without control characters. */
const NO_CONTROLS = '^[^\\x00-\\x1f\\x7f]*$';
const secret = (maxLength: number, description: string) =>
  Type.String({ minLength: 1, maxLength, pattern: NO_CONTROLS, encrypted: true, referenceable: true, description });

const BaseSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('header'), Type.Literal('basic'), Type.Literal('oauth2_client_credentials'), Type.Literal('aws_sigv4')], {
      description: 'How the upstream is authenticated: `header`, `basic`, `oauth2_client_credentials` or `aws_sigv4`',
    }),
    retry_on_status: Type.Array(Type.Integer({ minimum: 400, maximum: 599 }), {
      default: [401],
      maxItems: 16,
      uniqueItems: true,
      description:
        'Upstream statuses that mean "credentials refused": the plugin re-resolves its references (and drops an OAuth2 token) and the request is sent once more, when its body is absent or buffered',
    }),
    max_buffered_body_size: Type.Integer({
      minimum: 0,
      maximum: 64 * 1024 * 1024,
      default: 1024 * 1024,
      description:
        'Request bodies with a Content-Length up to this many bytes are buffered, so they can be sent again on a retry and signed with their SHA-256 (aws_sigv4); longer and chunked bodies stream, are never retried, and aws_sigv4 signs them UNSIGNED-PAYLOAD',
    }),

    // header
    header_name: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
        description: 'type header: the header that carries the credential (any case); a client copy of it never reaches the upstream',
      }),
    ),
    header_value: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 8192,
        pattern: HEADER_VALUE,
        encrypted: true,
        referenceable: true,
        description: 'type header: the value, which may embed one reference (`Bearer {vault://aws/payments/token}`)',
      }),
    ),

    // basic
    username: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        pattern: NO_CONTROLS,
        referenceable: true,
        description: 'type basic: the user-id (no colon, RFC 7617)',
      }),
    ),
    password: Type.Optional(secret(1024, 'type basic: the password')),

    // oauth2_client_credentials
    token_url: Type.Optional(
      Type.String({ maxLength: 2048, pattern: '^https?://[^\\s]+$', description: 'type oauth2_client_credentials: the token endpoint (RFC 6749 §4.4)' }),
    ),
    client_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 512, pattern: NO_CONTROLS, referenceable: true, description: 'type oauth2_client_credentials: the client id' }),
    ),
    client_secret: Type.Optional(secret(4096, 'type oauth2_client_credentials: the client secret')),
    scopes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 256, pattern: '^[\\x21\\x23-\\x5b\\x5d-\\x7e]+$' }), {
        maxItems: 64,
        uniqueItems: true,
        description: 'type oauth2_client_credentials: scopes asked for (`scope`, space-separated); none by default',
      }),
    ),
    audience: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        pattern: NO_CONTROLS,
        description: 'type oauth2_client_credentials: an `audience` parameter sent with the token request (Auth0, Okta …)',
      }),
    ),
    token_auth_method: Type.Optional(
      Type.Union([Type.Literal('client_secret_basic'), Type.Literal('client_secret_post')], {
        description:
          'type oauth2_client_credentials: how the client authenticates to the token endpoint: HTTP Basic (default) or `client_id`/`client_secret` in the form body',
      }),
    ),
    token_timeout: Type.Optional(
      Type.Integer({ minimum: 100, maximum: 60_000, description: 'type oauth2_client_credentials: milliseconds a token request may take (default 10000)' }),
    ),
    token_expiry_margin: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 3600,
        description:
          'type oauth2_client_credentials: seconds before `expires_in` ends when a token stops being used (default 10; at most a quarter of its lifetime); a new one is fetched in the background before that',
      }),
    ),

    // aws_sigv4
    access_key_id: Type.Optional(secret(128, 'type aws_sigv4: the access key id')),
    secret_access_key: Type.Optional(secret(256, 'type aws_sigv4: the secret access key')),
    session_token: Type.Optional(secret(8192, 'type aws_sigv4: a session token (temporary credentials), sent as X-Amz-Security-Token')),
    region: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$', description: 'type aws_sigv4: the signing region (`us-east-1`)' }),
    ),
    service: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        pattern: '^[a-z0-9-]+$',
        description: 'type aws_sigv4: the signing service (`execute-api`, `lambda`, `es`, `s3` …)',
      }),
    ),
  },
  { additionalProperties: false },
);

/** The fields each type requires, and those it may have; every other type-specific field is refused. */
export const TYPE_FIELDS: Readonly<Record<AuthType, { readonly required: readonly string[]; readonly optional: readonly string[] }>> = {
  header: { required: ['header_name', 'header_value'], optional: [] },
  basic: { required: ['username', 'password'], optional: [] },
  oauth2_client_credentials: {
    required: ['token_url', 'client_id', 'client_secret'],
    optional: ['scopes', 'audience', 'token_auth_method', 'token_timeout', 'token_expiry_margin'],
  },
  aws_sigv4: { required: ['access_key_id', 'secret_access_key', 'region', 'service'], optional: ['session_token'] },
};

const COMMON_FIELDS: ReadonlySet<string> = new Set(['type', 'retry_on_status', 'max_buffered_body_size']);

/**
 * Headers the proxy owns (framing, routing, hop-by-hop): a configured credential header cannot
 * replace them.
 */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'proxy-authorization',
  'proxy-authenticate',
]);

/** What is wrong with a configuration across fields, or undefined. Never quotes a value. */
export function configProblem(config: Static<typeof BaseSchema>): string | undefined {
  const fields = TYPE_FIELDS[config.type];
  const missing = fields.required.filter((name) => (config as Record<string, unknown>)[name] === undefined);
  if (missing.length > 0) return `type ${config.type} needs ${missing.join(', ')}`;
  const foreign = Object.keys(config).filter((name) => !COMMON_FIELDS.has(name) && !fields.required.includes(name) && !fields.optional.includes(name));
  if (foreign.length > 0) return `type ${config.type} does not use ${foreign.join(', ')}`;
  if (config.header_name !== undefined && RESERVED_HEADERS.has(config.header_name.toLowerCase())) {
    return `header_name cannot be ${config.header_name.toLowerCase()}: the proxy sets that header itself`;
  }
  return undefined;
}

/** The schema with the cross-field rules (typed as the object schema it refines, which is what the registry takes). */
export const UpstreamAuthSchema: TObject<(typeof BaseSchema)['properties']> = Type.Refine(
  BaseSchema,
  (config) => configProblem(config) === undefined,
  (config) => configProblem(config) ?? 'is not valid',
);

export type UpstreamAuthConfig = Static<typeof BaseSchema>;
