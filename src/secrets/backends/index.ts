/**
 * The secret backends this build ships, listed explicitly (no loading by name). A vault entity's
 * `name` (or a config-file vault's) picks one of them; `env` is also always available as the
 * built-in vault of prefix `env`.
 */
import type { VaultBackendFactory } from '../vault-backend.js';
import { envBackend } from './env/env-backend.js';
import { hcvBackend } from './hcv/index.js';
import { conjurBackend } from './conjur/index.js';
import { azureBackend } from './azure/index.js';
import { gcpBackend } from './gcp/index.js';
import { awsBackend } from './aws/index.js';

export const BUILTIN_BACKENDS: readonly VaultBackendFactory[] = [
  envBackend,
  hcvBackend,
  awsBackend,
  gcpBackend,
  azureBackend,
  conjurBackend,
] as readonly VaultBackendFactory[];

export function backendFactory(name: string, backends: readonly VaultBackendFactory[] = BUILTIN_BACKENDS): VaultBackendFactory | undefined {
  return backends.find((b) => b.name === name);
}
