/**
 * The `conjur` backend as the registry lists it: CyberArk Conjur's REST API, API key auth
 * (`conjur-backend.ts`), configured by `conjur-config.ts`. Versions: `#3` reads version 3 of the
 * last 20 Conjur keeps. No reference options: nothing in a reference may pick the account, the
 * login or the endpoint.
 */
import type { VaultBackendFactory } from '../../vault-backend.js';
import { createConjurBackend } from './conjur-backend.js';
import { ConjurBackendConfig, type ConjurConfig } from './conjur-config.js';

export { ConjurBackendConfig, type ConjurConfig } from './conjur-config.js';

export const conjurBackend: VaultBackendFactory<ConjurConfig> = {
  name: 'conjur',
  description: 'CyberArk Conjur (Secrets Manager, Self-Hosted and Open Source) variables, read with a host or user API key.',
  configSchema: ConjurBackendConfig,
  supportsVersions: true,
  referenceOptions: [],
  create: (config, deps) => createConjurBackend(config, deps),
};
