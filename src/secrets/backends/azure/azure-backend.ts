/**
 * The `azure` backend: Azure Key Vault secrets through the official `@azure/keyvault-secrets`
 * `SecretClient.getSecret`, with tokens from `@azure/identity` (client credentials or managed
 * identity, `azure-credential.ts`). `{vault://<prefix>/<secret name>}` reads the current version;
 * `#<version>` a version id (32 hex digits, as Key Vault names them).
 *
 * How a read behaves:
 * - Authentication is Key Vault's challenge: the client's first request goes without a token, the
 *   401 names the tenant and resource, then the token is fetched and cached (by the client and by
 *   MSAL) and reused until shortly before it expires; later reads send it straight away.
 * - No SDK retries (the resolver decides when to try again) and no redirects; every answer is
 *   capped at 1 MiB (Key Vault's own limit for a secret is 25 KB).
 * - One deadline (the resolver's signal, and `deps.timeout`) covers the whole read, token included,
 *   even where the SDK ignores the signal (MSAL's discovery and managed-identity calls).
 * - A token Key Vault refuses after its own second try (revoked, keys rolled) makes the backend
 *   build a new client (a new client-credential MSAL cache) and read once more. Managed-identity
 *   tokens live in MSAL's process-wide cache, so that second read gets the same token; it is
 *   replaced when it nears expiry.
 */
import { SecretClient } from '@azure/keyvault-secrets';
import { VaultBackendError, type VaultBackendFactory, type SecretRead } from '../../vault-backend.js';
import { AzureBackendConfig } from './azure-config.js';
import { createAzureCredential, type CredentialPipeline } from './azure-credential.js';
import { azureFailure } from './azure-failure.js';
import { boundedResponsePolicy } from './bounded-response-policy.js';
import { untilAborted } from '../../until-aborted.js';

/** Key Vault secret names: 1–127 letters, digits and dashes. */
const SECRET_NAME = /^[0-9A-Za-z-]{1,127}$/;
/** Key Vault version ids: 32 hex digits. */
const VERSION_ID = /^[0-9A-Fa-f]{32}$/;
const MAX_ANSWER_BYTES = 1024 * 1024;

export const azureBackend: VaultBackendFactory<AzureBackendConfig> = {
  name: 'azure',
  description: 'Azure Key Vault secrets, read with the official client (client credentials or managed identity).',
  configSchema: AzureBackendConfig,
  supportsVersions: true,
  // Every option would pick another vault, tenant or identity: none is taken from references.
  referenceOptions: [],
  create(config, deps) {
    const pipeline: CredentialPipeline = {
      retryOptions: { maxRetries: 0 },
      additionalPolicies: [{ policy: boundedResponsePolicy(MAX_ANSWER_BYTES), position: 'perRetry' }],
    };
    const build = () =>
      new SecretClient(config.vault_uri, createAzureCredential(config, pipeline), {
        ...pipeline,
        redirectOptions: { maxRetries: 0 },
        disableChallengeResourceVerification: config.disable_challenge_resource_verification === true,
      });
    // Built on first use, so a credential the SDK refuses to construct (a malformed managed-identity
    // endpoint in the environment) is a failed read, not a failed create.
    let client: SecretClient | null = null;

    async function readWith(current: SecretClient, name: string, version: string | null, signal: AbortSignal): Promise<SecretRead> {
      const secret = await untilAborted(current.getSecret(name, { abortSignal: signal, ...(version ? { version } : {}) }), signal, abortError);
      if (typeof secret.value !== 'string') throw new VaultBackendError('unavailable', `Azure Key Vault ${describe(name, version)}: the answer holds no value`);
      return { value: secret.value, ...(secret.properties.version ? { version: secret.properties.version } : {}) };
    }

    return {
      async read(resource, version, _options, signal) {
        const what = describe(resource, version);
        if (!SECRET_NAME.test(resource))
          throw new VaultBackendError('not_found', `Azure Key Vault ${what}: not a Key Vault secret name (1-127 letters, digits, dashes)`);
        if (version !== null && !VERSION_ID.test(version))
          throw new VaultBackendError('not_found', `Azure Key Vault ${what}: not a Key Vault version id (32 hex digits)`);
        const deadline = AbortSignal.any([signal, AbortSignal.timeout(deps.timeout)]);
        let current: SecretClient | undefined;
        try {
          current = client ??= build();
          return await readWith(current, resource, version, deadline);
        } catch (err) {
          if (err instanceof VaultBackendError) throw err;
          if (current === undefined || !isRefusedToken(err)) throw azureFailure(err, what);
        }
        // Key Vault refused a token the client had cached: start over with a new client (unless a
        // concurrent read already did) and read once more.
        deps.logger.warn({ vault_backend: 'azure', resource }, 'Azure Key Vault refused the cached token; reading once more with a new token');
        if (client === current || client === null) client = build();
        const fresh = client;
        try {
          return await readWith(fresh, resource, version, deadline);
        } catch (err) {
          if (err instanceof VaultBackendError) throw err;
          throw azureFailure(err, what);
        }
      },
      close() {
        client = null;
      },
    };
  },
};

function describe(name: string, version: string | null): string {
  return version === null ? `secret ${JSON.stringify(name)}` : `secret ${JSON.stringify(name)} version ${JSON.stringify(version)}`;
}

/** A 401 from Key Vault itself: the SDK answered its challenge with a cached token and was refused again. */
function isRefusedToken(err: unknown): boolean {
  const e = err as { name?: unknown; statusCode?: unknown };
  return e?.name === 'RestError' && e.statusCode === 401;
}

/** What the failure mapping (azure-failure.ts) reads as the deadline passing. */
function abortError(): Error {
  const err = new Error('the read was aborted (timeout)');
  err.name = 'AbortError';
  return err;
}
