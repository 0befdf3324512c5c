/**
 * What the azure backend's tests share: the Entra ID and Key Vault fakes started together for one
 * tenant (or for a managed identity, with the environment sealed and the backend config to read
 * with it), a silent or capturing logger, and the check that a failure is a `VaultBackendError` of
 * the expected kind that carries no credential, token or value anywhere a logger could reach.
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { createLogger } from '../../src/observability/logger.js';
import { VaultBackendError, type VaultBackendDeps, type VaultFailureKind } from '../../src/secrets/vault-backend.js';
import type { AzureBackendConfig } from '../../src/secrets/backends/azure/azure-config.js';
import {
  sealAzureEnvironment,
  startAzureIdentityFake,
  type AzureIdentityFake,
  type AzureIdentityFakeOptions,
  type AzureManagedIdentities,
} from '../fakes/azure-identity.js';
import { startAzureKeyVaultFake, type AzureKeyVaultFake } from '../fakes/azure-keyvault.js';

export interface AzureFakes {
  readonly tenantId: string;
  readonly identity: AzureIdentityFake;
  readonly vault: AzureKeyVaultFake;
  close(): Promise<void>;
}

/** An identity fake and a vault in `tenantId` that trusts its tokens. */
export async function startAzureFakes(tenantId: string, options: AzureIdentityFakeOptions): Promise<AzureFakes> {
  const identity = await startAzureIdentityFake(options);
  const vault = await startAzureKeyVaultFake({ tenantId, identity });
  return {
    tenantId,
    identity,
    vault,
    async close() {
      await vault.close();
      await identity.close();
    },
  };
}

/**
 * Fakes for the managed identities of `tenantId`, then the process environment sealed with the
 * variables `env` gives for the identity fake (the SDK picks the identity source from them once per
 * process, so set them before any credential exists), and the `managed_identity` config that reads
 * the fake vault.
 */
export async function startManagedIdentityFakes(
  tenantId: string,
  managedIdentities: AzureManagedIdentities,
  env: (identity: AzureIdentityFake) => Readonly<Record<string, string>>,
): Promise<{ readonly fakes: AzureFakes; readonly config: AzureBackendConfig }> {
  const fakes = await startAzureFakes(tenantId, { managedIdentities });
  sealAzureEnvironment(env(fakes.identity));
  const config: AzureBackendConfig = {
    vault_uri: fakes.vault.url,
    auth_method: 'managed_identity',
    authority_host: 'https://login.microsoftonline.com',
    disable_challenge_resource_verification: true,
  };
  return { fakes, config };
}

/** Backend deps whose log lines are kept in `lines`. */
export function capturingDeps(timeout = 5000): VaultBackendDeps & { readonly lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
  return { logger, env: {}, timeout, lines };
}

/**
 * Awaits a read that must fail with `kind`; checks that the message names `mentions` and that no
 * string of `secrets` is in its message, stack, JSON or inspection, and that it carries no cause
 * (an SDK error holds the request and its bearer token).
 */
export async function expectFailure(
  read: Promise<unknown>,
  kind: VaultFailureKind,
  mentions: readonly string[],
  secrets: readonly string[],
): Promise<VaultBackendError> {
  let err: unknown;
  try {
    await read;
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof VaultBackendError, `expected a VaultBackendError, got ${inspect(err)}`);
  assert.equal(err.kind, kind, err.message);
  for (const m of mentions) assert.ok(err.message.includes(m), `"${err.message}" should mention ${m}`);
  assert.equal(err.cause, undefined, 'the SDK error is not kept as the cause');
  const shown = [err.message, String(err.stack), JSON.stringify(err), inspect(err, { depth: 8 })].join('\n');
  for (const s of secrets) assert.ok(!shown.includes(s), `the error shows a secret: ${err.message}`);
  return err;
}
