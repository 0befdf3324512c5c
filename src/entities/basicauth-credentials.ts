/**
 * Basic-auth credentials of a consumer: a unique username and a password stored as an argon2id
 * hash, itself encrypted by the keyring (never SHA-1, never returned). The plaintext exists only in the request that sets it.
 */
import Type from 'typebox';
import type { BaseEntity, EntityDefinition, ForeignRef } from './entity.js';
import { ForeignInput, Tags } from './common-schemas.js';
import { SafeText } from '../schema/safe-text.js';

export interface BasicAuthCredential extends BaseEntity {
  readonly consumer: ForeignRef;
  readonly username: string;
  /** The argon2id PHC string; hidden from the Admin API. */
  readonly password: string;
  readonly tags: readonly string[];
}

/** PHC strings start like this; a submitted password may not, so a stored hash is recognisable. */
export const PASSWORD_HASH_PREFIX = '$argon2id$';

export const BasicAuthCredentialInput = Type.Object(
  {
    consumer: Type.Optional(ForeignInput),
    // RFC 7617: the user-id cannot contain a colon; no control characters in either part. The
    // username is a name (no invisible characters, NFC); the password is a secret, kept as sent.
    username: SafeText({ maxLength: 256, alsoRefuse: ':' }),
    password: Type.String({ minLength: 1, maxLength: 1024, pattern: '^(?!\\$argon2)[^\\x00-\\x1f\\x7f]*$' }),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);

export const basicAuthCredentialsDefinition: EntityDefinition<BasicAuthCredential> = {
  name: 'basicauth_credentials',
  singular: 'basic-auth credential',
  endpointKey: 'username',
  inputSchema: BasicAuthCredentialInput,
  fields: {
    consumer: { kind: 'foreign', foreign: 'consumers', onDelete: 'cascade' },
    username: { kind: 'string', unique: true },
    password: { kind: 'string', hidden: true, encrypted: true },
    tags: { kind: 'json' },
  },
  defaults: { tags: [] },
};
