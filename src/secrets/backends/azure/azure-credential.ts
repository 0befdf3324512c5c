/**
 * The Microsoft Entra credential an `azure` vault reads with: the specific `@azure/identity` class
 * for its `auth_method`, never `DefaultAzureCredential` (which walks a chain of sources from the
 * environment and cannot turn off instance discovery).
 *
 * Where the SDK reads `process.env` itself (Portcullis passes no environment to it; there is no
 * option to), all of it behind this one function:
 * - `managed_identity`: which managed-identity endpoint exists is the host's environment by design:
 *   App Service/Functions `IDENTITY_ENDPOINT` + `IDENTITY_HEADER`, Service Fabric, Azure Arc, Cloud
 *   Shell `MSI_ENDPOINT`, AKS workload identity `AZURE_FEDERATED_TOKEN_FILE` + `AZURE_TENANT_ID` +
 *   `AZURE_CLIENT_ID`, else the VM metadata service (`AZURE_POD_IDENTITY_AUTHORITY_HOST` moves it).
 *   MSAL decides once per process, on the first managed-identity token request: the source (with
 *   `IDENTITY_HEADER` and the first credential's HTTP pipeline) and the token cache are process-wide.
 * - `client_secret`: `AZURE_REGIONAL_AUTHORITY_NAME` (sends token requests to a regional Entra host)
 *   and `AZURE_IDENTITY_DISABLE_MULTITENANTAUTH`. `AZURE_AUTHORITY_HOST` is not read: the config's
 *   `authority_host` is always passed.
 */
import { ClientSecretCredential, ManagedIdentityCredential, type TokenCredential, type TokenCredentialOptions } from '@azure/identity';
import type { AzureBackendConfig } from './azure-config.js';
import { DEFAULT_AUTHORITY_HOST } from './azure-config.js';

/** Pipeline options shared with the Key Vault client (no retries, the response cap). */
export type CredentialPipeline = Pick<TokenCredentialOptions, 'retryOptions' | 'additionalPolicies'>;

export function createAzureCredential(config: AzureBackendConfig, pipeline: CredentialPipeline): TokenCredential {
  if (config.auth_method === 'managed_identity') {
    return new ManagedIdentityCredential({ ...(config.client_id ? { clientId: config.client_id } : {}), ...pipeline });
  }
  const { tenant_id: tenantId, client_id: clientId, client_secret: secret } = config;
  // The schema requires all three for client credentials; a config that bypassed it fails here, as a credential failure.
  if (!tenantId || !clientId || !secret) throw new MissingCredentialError();
  // Key Vault's challenge names the tenant in lower case, and the credential refuses any other spelling.
  return new ClientSecretCredential(tenantId.toLowerCase(), clientId, secret, {
    authorityHost: config.authority_host ?? DEFAULT_AUTHORITY_HOST,
    // Otherwise MSAL first asks login.microsoftonline.com to validate the authority (a network call
    // outside the configured one, and impossible for sovereign or private clouds). The authority is
    // the operator's config, never a reference's, so it is trusted as written.
    disableInstanceDiscovery: true,
    ...pipeline,
  });
}

export class MissingCredentialError extends Error {
  constructor() {
    super('auth_method client_secret needs tenant_id, client_id and client_secret');
    this.name = 'MissingCredentialError';
  }
}
