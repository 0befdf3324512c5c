/**
 * The secret backends this build ships, listed explicitly (no loading by name). A vault entity's
 * `name` (or a config-file vault's) picks one of them; `env` is also always available as the
 * built-in vault of prefix `env`. The cloud backends load their SDKs on first use (cloud-backends.ts).
 */
import type { VaultBackendFactory } from '../vault-backend.js';
import { envBackend } from './env/env-backend.js';
import { hcvBackend } from './hcv/index.js';
import { conjurBackend } from './conjur/index.js';
import { lazyAwsBackend, lazyAzureBackend, lazyGcpBackend } from './cloud-backends.js';

export const BUILTIN_BACKENDS: readonly VaultBackendFactory[] = [
  envBackend,
  hcvBackend,
  lazyAwsBackend,
  lazyGcpBackend,
  lazyAzureBackend,
  conjurBackend,
] as readonly VaultBackendFactory[];

export function backendFactory(name: string, backends: readonly VaultBackendFactory[] = BUILTIN_BACKENDS): VaultBackendFactory | undefined {
  return backends.find((b) => b.name === name);
}
