/**
 * The `hcv` vault's `config`: Kong's names for the same settings (`protocol`, `host`, `port`,
 * `mount`, `kv`, `namespace`, `auth_method`, `token`, `approle_*`, `kube_*`), so a Kong user's vault
 * config carries over, plus `ca_cert`. One deliberate difference: `protocol` defaults to `https`
 * (Kong: `http`), so a Vault token never crosses the network in clear unless someone wrote `http`.
 * Each auth method requires its own credentials (`allOf` of if/then below).
 */
import Type, { type Static } from 'typebox';

/** One path segment of a mount or auth path: no `.`/`..` (URL normalisation would move them). */
const SEGMENT = '[A-Za-z0-9_-][A-Za-z0-9._-]*';
/** `a/b`, with Kong's tolerance of one leading and one trailing slash (trimmed before use). */
const MOUNT_PATH = `^/?${SEGMENT}(/${SEGMENT})*/?$`;
const HOST_NAME = '[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*';
/** An IPv6 address, bare or in brackets (at least two colons; an IPv4 tail allowed). */
const IPV6_ADDRESS = '[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7}(:[0-9]{1,3}(\\.[0-9]{1,3}){3})?';
const IPV6 = `${IPV6_ADDRESS}|\\[${IPV6_ADDRESS}\\]`;
/** Header-safe credential text: visible ASCII only (no CR/LF to split a header with). */
const VISIBLE_ASCII = '^[\\x21-\\x7e]+$';

const credential = (description: string) =>
  Type.Optional(Type.String({ minLength: 1, maxLength: 4096, pattern: VISIBLE_ASCII, encrypted: true, referenceable: true, description }));

const requires = (method: string, fields: readonly string[]) => ({
  if: { properties: { auth_method: { const: method } }, required: ['auth_method'] },
  then: { required: fields },
});

export const HcvBackendConfig = Type.Object(
  {
    protocol: Type.Union([Type.Literal('https'), Type.Literal('http')], {
      default: 'https',
      description: 'How to reach Vault: `https` (default) or `http` (a dev server or a local agent only: the token would travel in clear).',
    }),
    host: Type.String({
      default: '127.0.0.1',
      maxLength: 253,
      pattern: `^(${HOST_NAME}|${IPV6})$`,
      description: "Vault's host name or IP address (no scheme, port or path).",
    }),
    port: Type.Integer({ default: 8200, minimum: 1, maximum: 65_535, description: "Vault's port." }),
    mount: Type.String({ default: 'secret', maxLength: 256, pattern: MOUNT_PATH, description: 'Mount path of the KV secrets engine (`secret`, `kv/team`).' }),
    kv: Type.Union([Type.Literal('v1'), Type.Literal('v2')], {
      default: 'v1',
      description: 'Version of the KV engine at `mount`: `v1` (default, as in Kong) or `v2` (versioned: `#<version>` reads an older version).',
    }),
    namespace: Type.Optional(
      Type.String({
        maxLength: 256,
        pattern: MOUNT_PATH,
        description: 'Vault Enterprise / HCP namespace (`admin/team`), sent as `X-Vault-Namespace` with every request, logins too.',
      }),
    ),
    auth_method: Type.Union([Type.Literal('token'), Type.Literal('approle'), Type.Literal('kubernetes')], {
      default: 'token',
      description: 'How Portcullis gets its Vault token: `token` (given), `approle` (role ID and secret ID) or `kubernetes` (the pod’s service-account JWT).',
    }),
    token: credential('Vault token for `auth_method: token`; e.g. `{vault://env/vault-token}`. Never logged.'),
    approle_auth_path: Type.String({
      default: 'approle',
      maxLength: 256,
      pattern: MOUNT_PATH,
      description: 'Where the AppRole auth method is enabled (`auth/<path>/login`).',
    }),
    approle_role_id: credential('AppRole role ID for `auth_method: approle`.'),
    approle_secret_id: credential('AppRole secret ID for `auth_method: approle`. Never logged.'),
    kube_role: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        pattern: '^[A-Za-z0-9._@-]+$',
        description: 'Vault role bound to the pod’s service account, for `auth_method: kubernetes`.',
      }),
    ),
    kube_auth_path: Type.String({
      default: 'kubernetes',
      maxLength: 256,
      pattern: MOUNT_PATH,
      description: 'Where the Kubernetes auth method is enabled (`auth/<path>/login`).',
    }),
    kube_api_token_file: Type.String({
      default: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      minLength: 1,
      maxLength: 4096,
      pattern: '^[^\\x00-\\x1f]+$',
      description: 'File holding the service-account JWT; read again at each login, so a rotated (projected) token is picked up.',
    }),
    ca_cert: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 65_536,
        description: "CA certificate(s), PEM text or a file path, that Vault's TLS certificate is verified against instead of the system store.",
      }),
    ),
  },
  {
    additionalProperties: false,
    allOf: [requires('token', ['token']), requires('approle', ['approle_role_id', 'approle_secret_id']), requires('kubernetes', ['kube_role'])],
  },
);

export type HcvConfig = Static<typeof HcvBackendConfig>;
