/**
 * The `conjur` backend's vault config, with Kong's names (`endpoint_url`, `auth_method`, `account`,
 * `login`, `api_key`) so a Kong vault entity carries over as it is, plus `ca_cert` for a Conjur
 * whose certificate comes from a private CA. The descriptions go into docs/secrets.md.
 */
import Type, { type Static } from 'typebox';

/** Printable text: no control characters (they cannot travel in a URL path segment unnoticed). */
const PRINTABLE = '^[^\\u0000-\\u001f\\u007f]+$';

export const ConjurBackendConfig = Type.Object(
  {
    endpoint_url: Type.String({
      pattern: '^https?://',
      maxLength: 2048,
      description:
        "Conjur's address, e.g. `https://conjur.example.com` (a path is kept: Conjur Cloud is `https://<tenant>.secretsmgr.cyberark.cloud/api`). Redirects are not followed.",
    }),
    auth_method: Type.Literal('api_key', {
      default: 'api_key',
      description: "How Portcullis authenticates: `api_key` (the login's API key, exchanged for short-lived access tokens), the only method, as in Kong.",
    }),
    account: Type.String({
      minLength: 1,
      maxLength: 128,
      pattern: '^[^\\u0000-\\u001f\\u007f:/\\s]+$',
      description: 'The Conjur organization account (`CONJUR_ACCOUNT`), e.g. `myorg`.',
    }),
    login: Type.String({
      minLength: 1,
      maxLength: 512,
      pattern: PRINTABLE,
      description: 'The role Portcullis logs in as: a user name, or `host/<host id>` for a host (e.g. `host/apps/portcullis`).',
    }),
    api_key: Type.String({
      minLength: 1,
      maxLength: 4096,
      encrypted: true,
      referenceable: true,
      description: "The login's API key; may be a `{vault://env/…}` reference. Never logged nor shown.",
    }),
    ca_cert: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 65_536,
        description: "CA certificate(s) (PEM text or a file path) that Conjur's TLS certificate is verified against, instead of the system store.",
      }),
    ),
  },
  { additionalProperties: false },
);

export type ConjurConfig = Static<typeof ConjurBackendConfig>;
