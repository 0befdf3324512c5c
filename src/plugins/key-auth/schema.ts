/** Configuration of the key-auth plugin (the "API Key Authentication" policy). */
import Type, { type Static } from 'typebox';

const HeaderOrParamName = Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$" });

export const KeyAuthConfigSchema = Type.Object(
  {
    key_names: Type.Array(HeaderOrParamName, { default: ['apikey', 'x-api-key'], minItems: 1, maxItems: 16, uniqueItems: true }),
    key_in_header: Type.Boolean({ default: true }),
    /** Off by default: keys in URLs end up in logs and browser histories. */
    key_in_query: Type.Boolean({ default: false }),
    key_in_body: Type.Boolean({ default: false }),
    /** A prefix the header value must carry, such as `Bearer ` (compared case-insensitively). */
    value_prefix: Type.Union([Type.String({ minLength: 1, maxLength: 32, pattern: '^[\\x21-\\x7e]+ ?$' }), Type.Null()], { default: null }),
    /** The key never reaches the upstream. */
    hide_credentials: Type.Boolean({ default: true }),
    /** A consumer (id or username) to fall back to when no valid key is given. */
    anonymous: Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Null()], { default: null }),
    run_on_preflight: Type.Boolean({ default: true }),
    realm: Type.String({ default: 'portcullis', minLength: 1, maxLength: 128, pattern: '^[\\x20-\\x7e]+$' }),
    /** Issuer names whose keys this route accepts (`external` for imported keys); all when null. */
    issuers: Type.Union([Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 64, uniqueItems: true }), Type.Null()], { default: null }),
    /** A WebSocket opened with a key is closed (1008) when that key is revoked or deleted (or its consumer, or the service it is scoped to, deleted) while it is open. */
    close_on_revoke: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);

export type KeyAuthConfig = Static<typeof KeyAuthConfigSchema>;
