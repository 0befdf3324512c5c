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
import type { SecretResolver } from '../secrets/secret-resolver.js';
import type { RemoteCallObserver } from '../apikeys/verifier/verifier-metrics.js';

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
  /** Config key (`config:api_keys.issuers.0.token`) → its value as written, when it held a reference. */
  configFields?: ReadonlyMap<string, string>;
  secrets?: SecretResolver;
  /** Observes calls to remote issuers (metrics). */
  onRemoteCall?: RemoteCallObserver;
}): ApiKeyParts {
  const { store, logger, config, hashers, issuers } = deps;
  if (config.hash_algorithm === 'none') logger.warn(NONE_HASHER_WARNING);
  // Remote issuers whose token came from a vault reference get it from the resolver: current at
  // each call (cached, rotated on its ttl) and fetched anew when the issuer refuses it.
  const tokenFields = new Map<string, string>();
  config.issuers.forEach((issuer, i) => {
    const field = deps.configFields?.get(`config:api_keys.issuers.${i}.token`);
    if (issuer.type === 'remote' && field) tokenFields.set(issuer.name, field);
  });
  const lastUsed = createLastUsedRecorder({ dao: store.apiKeys, logger }, config.last_used_flush_interval);
  const verifier = createApiKeyVerifier(
    {
      dao: store.apiKeys,
      hashers,
      issuers,
      logger,
      remoteToken: (issuer, fresh) => {
        const field = tokenFields.get(issuer);
        return field && deps.secrets ? deps.secrets.resolveField(field, { fresh }) : null;
      },
      onUsed: (id) => lastUsed.record(id),
      ...(deps.onRemoteCall ? { onRemoteCall: deps.onRemoteCall } : {}),
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
