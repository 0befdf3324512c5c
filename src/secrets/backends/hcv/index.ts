/**
 * The `hcv` secret backend: HashiCorp Vault's KV v1 and v2 engines, `{vault://<prefix>/<path>/<json
 * key>[#<version>]}`, with token, AppRole or Kubernetes auth, namespaces and a custom CA. It takes
 * no reference options: every one of Vault's settings (address, mount, namespace, credentials)
 * would let a reference's author choose where secrets come from.
 */
import type { VaultBackendFactory } from '../../vault-backend.js';
import { HcvBackendConfig, type HcvConfig } from './hcv-config.js';
import { createHcvBackend } from './hcv-backend.js';

export { HcvBackendConfig, type HcvConfig } from './hcv-config.js';

export const hcvBackend: VaultBackendFactory<HcvConfig> = {
  name: 'hcv',
  description: 'HashiCorp Vault KV v1/v2 secrets, with token, AppRole or Kubernetes auth.',
  configSchema: HcvBackendConfig,
  supportsVersions: true,
  referenceOptions: [],
  create: (config, deps) => createHcvBackend(config, deps),
};
