/**
 * The API-key parts of a node, built from `api_keys`: hashers, issuers, the lifecycle service,
 * the verifier with its cache invalidator, and the batched last-use recorder. Remote issuers'
 * tokens may be `{vault://env/…}` references: they are resolved here, at start, so a missing
 * secret stops the start instead of failing requests.
 */
import type { Logger } from 'pino';
import type { ApiKeysConfig } from '../config/schema.js';
import type { Store } from '../store/store.js';
import type { EventSubscriber } from '../cluster/event-bus.js';
import { createKeyHashers } from '../apikeys/hashing/key-hashers.js';
import { NONE_HASHER_WARNING } from '../apikeys/hashing/none-hasher.js';
import { createIssuerDirectory } from '../apikeys/lifecycle/issuers.js';
import { createApiKeyService, type ApiKeyService } from '../apikeys/lifecycle/api-key-service.js';
import { createApiKeyVerifier, type ApiKeyVerifier } from '../apikeys/verifier/api-key-verifier.js';
import { createCacheInvalidator } from '../apikeys/verifier/cache-invalidator.js';
import { createLastUsedRecorder } from '../apikeys/verifier/last-used-recorder.js';
import { isVaultReference } from '../secrets/reference.js';
import { resolveEnvReference } from '../secrets/env-backend.js';

export interface ApiKeyParts {
  readonly service: ApiKeyService;
  readonly verifier: ApiKeyVerifier;
  readonly invalidator: EventSubscriber;
  close(): Promise<void>;
}

export function createApiKeyParts(deps: {
  store: Store;
  logger: Logger;
  config: ApiKeysConfig;
  env: Readonly<Record<string, string | undefined>>;
}): ApiKeyParts {
  const { store, logger, config } = deps;
  if (config.hash_algorithm === 'none') logger.warn(NONE_HASHER_WARNING);
  const hashers = createKeyHashers(config.hash_algorithm, { bcryptCost: config.bcrypt_cost });
  const issuers = createIssuerDirectory(config.issuers);
  const remoteTokens = new Map<string, string>();
  for (const issuer of config.issuers) {
    if (issuer.type === 'remote' && issuer.token) {
      remoteTokens.set(issuer.name, isVaultReference(issuer.token) ? resolveEnvReference(issuer.token, deps.env) : issuer.token);
    }
  }
  const lastUsed = createLastUsedRecorder({ dao: store.apiKeys, logger }, config.last_used_flush_interval);
  const verifier = createApiKeyVerifier(
    {
      dao: store.apiKeys,
      hashers,
      issuers,
      logger,
      remoteTokens,
      onUsed: (id) => lastUsed.record(id),
      findConsumerId: async (ref) => (await store.consumers.get(ref))?.id ?? null,
    },
    config,
  );
  return {
    service: createApiKeyService({ store, config, issuers, hashers }),
    verifier,
    invalidator: createCacheInvalidator(verifier.cache),
    close: () => lastUsed.stop(),
  };
}
