/** Configuration of the basic-auth plugin. */
import Type, { type Static } from 'typebox';

export const BasicAuthConfigSchema = Type.Object(
  {
    /** The Authorization header never reaches the upstream. */
    hide_credentials: Type.Boolean({ default: true }),
    /** A consumer (id or username) to fall back to when no valid credential is given. */
    anonymous: Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Null()], { default: null }),
    run_on_preflight: Type.Boolean({ default: true }),
    realm: Type.String({ default: 'portcullis', minLength: 1, maxLength: 128, pattern: '^[\\x20-\\x7e]+$' }),
  },
  { additionalProperties: false },
);

export type BasicAuthConfig = Static<typeof BasicAuthConfigSchema>;
