/**
 * How the aws credential-chain tests build and read a backend: silent logger, the process
 * environment as `deps.env` (each test file seals it first; see test/support/aws-environment.ts),
 * and, for a single read, a backend closed again after it.
 */
import { createLogger } from '../../../../observability/logger.js';
import type { SecretRead, VaultBackend } from '../../../vault-backend.js';
import type { AwsBackendConfig } from '../aws-backend-config.js';
import { awsBackend } from '../aws-backend.js';

/** An aws backend with a silent logger that finds its credentials through `process.env`. */
export function silentBackend(config: AwsBackendConfig, timeout = 2000): VaultBackend {
  return awsBackend.create(config, { logger: createLogger({ level: 'silent' }), env: process.env, timeout });
}

/** Reads `resource` once with a fresh `silentBackend`, which is closed whatever the read did. */
export async function readOnce(config: AwsBackendConfig, resource: string, { timeout = 2000, readTimeout = 5000 } = {}): Promise<SecretRead> {
  const backend = silentBackend(config, timeout);
  try {
    return await backend.read(resource, null, {}, AbortSignal.timeout(readTimeout));
  } finally {
    await backend.close?.();
  }
}
