/**
 * The API-key parts of a node, built from `api_keys` and the hashers and issuers of store-parts.ts: the lifecycle service,
 * the verifier with its cache invalidator, and the batched last-use recorder. Remote issuers'
 * tokens may be `{vault://env/…}` references: they are resolved here, at start, so a missing
 * secret stops the start instead of failing requests.
 */
import type { Logger } from 'pino';
import type { ApiKeysConfig } from '../config/schema.js';
import type { Store } from '../store/store.js';
import type { EventSubscriber } from '../cluster/event-bus.js';
import type { KeyHashers } from '../apikeys/hashing/key-hashers.js';
import { NONE_HASHER_WARNING } from '../apikeys/hashing/none-hasher.js';
import type { IssuerDirectory } from '../apikeys/lifecycle/issuers.js';
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
  hashers: KeyHashers;
  issuers: IssuerDirectory;
  env: Readonly<Record<string, string | undefined>>;
}): ApiKeyParts {
  const { store, logger, config, hashers, issuers } = deps;
  if (config.hash_algorithm === 'none') logger.warn(NONE_HASHER_WARNING);
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
