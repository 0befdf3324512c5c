/**
 * The `azure` vault's config (Kong's names where Kong has them): the vault, and one of two ways to
 * get Microsoft Entra tokens for it. `client_secret` (the default) is an app registration's client
 * credentials; `managed_identity` is the identity of the Azure host Portcullis runs on (App Service,
 * Functions, VMs, AKS …), system-assigned or, with `client_id`, user-assigned.
 *
 * The schema refuses what a mode would silently ignore (a client secret for a managed identity), and
 * asks for what it needs (tenant, client id and secret for client credentials), so a vault entity
 * that validates is one that can work.
 */
import Type, { type Static } from 'typebox';

/** An https origin (no path): Key Vault and the Entra authority are addressed by host alone. */
const HTTPS_ORIGIN = '^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$';
/** Entra directory and application ids are GUIDs. */
const GUID = '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$';

const MANAGED_IDENTITY = { properties: { auth_method: { const: 'managed_identity' } }, required: ['auth_method'] };

export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';

export const AzureBackendConfig = Type.Object(
  {
    vault_uri: Type.String({
      maxLength: 256,
      pattern: HTTPS_ORIGIN,
      description: 'The vault\'s URI, as the portal shows it ("Vault URI"): `https://<vault name>.vault.azure.net`. Must be https.',
    }),
    auth_method: Type.Optional(
      Type.Union([Type.Literal('client_secret'), Type.Literal('managed_identity')], {
        default: 'client_secret',
        description:
          "`client_secret`: an app registration's client credentials (`tenant_id`, `client_id`, `client_secret`). `managed_identity`: the managed identity of the Azure host Portcullis runs on, found from the host's environment (App Service `IDENTITY_ENDPOINT`/`IDENTITY_HEADER`, the VM metadata service …).",
      }),
    ),
    tenant_id: Type.Optional(
      Type.String({
        pattern: GUID,
        description:
          "The directory (tenant) id, a GUID, of the app registration (`client_secret` only). It must be the vault's own tenant: Key Vault names its tenant in its challenge and the client refuses to fetch a token for another one.",
      }),
    ),
    client_id: Type.Optional(
      Type.String({
        pattern: GUID,
        description:
          "The application (client) id, a GUID. With `client_secret`: the app registration's. With `managed_identity`: a user-assigned identity's; leave it out for the system-assigned identity.",
      }),
    ),
    client_secret: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        encrypted: true,
        referenceable: true,
        description:
          "The app registration's client secret value (`client_secret` only). Stored encrypted; may itself be a reference such as `{vault://env/azure-client-secret}`.",
      }),
    ),
    authority_host: Type.String({
      maxLength: 256,
      pattern: HTTPS_ORIGIN,
      default: DEFAULT_AUTHORITY_HOST,
      description:
        "The Microsoft Entra authority tokens come from (`client_secret` only): `https://login.microsoftonline.com`, or a sovereign cloud's (`https://login.microsoftonline.us`, `https://login.chinacloudapi.cn`). Must be https. Portcullis trusts it as written: Entra instance discovery (a call to login.microsoftonline.com that validates the authority) is turned off, so this must be a host you trust.",
    }),
    disable_challenge_resource_verification: Type.Boolean({
      default: false,
      description:
        "Skip the client's check that the vault's host is under the resource its 401 challenge names (`*.vault.azure.net`). Needed only for a vault reached under another name (a private endpoint alias, a local test stand-in); leave it off otherwise.",
    }),
  },
  {
    additionalProperties: false,
    description: 'An Azure Key Vault, read with the official client (`@azure/keyvault-secrets`).',
    // Client credentials need all three; a managed identity takes no client secret nor tenant (the
    // host's identity has both). Absent `auth_method` is `client_secret`. Both rules are written as
    // `else` branches because TypeBox reports the failing fields of an `else`, not of a `then`.
    allOf: [
      { if: MANAGED_IDENTITY, else: { required: ['tenant_id', 'client_id', 'client_secret'] } },
      { if: { not: MANAGED_IDENTITY }, else: { properties: { tenant_id: false, client_secret: false } } },
    ],
  },
);

export type AzureBackendConfig = Static<typeof AzureBackendConfig>;
