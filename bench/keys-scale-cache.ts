/**
 * Memory of the verifier's key cache (part 3 of keys-scale.ts): the heap that M cached keys hold,
 * per key, and the resident memory with them cached. Entries are made by the verifier's own
 * `verifiedKeyOf` from records like those a store read decodes (fresh strings for the public id,
 * row id, owner ids and issuer: rows read from the database share none), under the keyed digest
 * of a distinct presented value each. Keys belong to one service and identify 1,000 consumers.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import type { ApiKeysConfig } from '../src/config/schema.js';
import { createKeyHashers } from '../src/apikeys/hashing/key-hashers.js';
import { createIssuerDirectory } from '../src/apikeys/lifecycle/issuers.js';
import { createApiKeyVerifier } from '../src/apikeys/verifier/api-key-verifier.js';
import { INTERNED_STRINGS } from '../src/apikeys/verifier/api-key-verifier.js';
import { createStringInterner } from '../src/apikeys/verifier/string-interner.js';
import { verifiedKeyOf } from '../src/apikeys/verifier/verified-key.js';
import type { ApiKeyRecord } from '../src/entities/api-keys.js';

/** A copy of `s` that shares no memory with it, as a value decoded from a database row is. */
const fresh = (s: string) => Buffer.from(s, 'latin1').toString('latin1');

function collect(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc (npm run bench:keys-scale passes it)');
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** Markdown lines: heap per cached key for `count` keys (owned by 1,000 consumers), and RSS. */
export async function measureCacheMemory(count: number, config: ApiKeysConfig): Promise<string[]> {
  const verifier = createApiKeyVerifier(
    {
      dao: undefined as never,
      hashers: createKeyHashers('sha256'),
      issuers: createIssuerDirectory(config.issuers),
      logger: pino({ level: 'silent' }),
      findConsumerId: async () => null,
    },
    { ...config, cache_size: count, cache_ttl: 3600 },
  );
  const consumers = Array.from({ length: 1000 }, () => randomUUID());
  const service = randomUUID();
  const intern = createStringInterner(INTERNED_STRINGS);
  const rssBefore = process.memoryUsage().rss;
  const before = collect();
  for (let i = 0; i < count; i++) {
    const record = {
      id: fresh(randomUUID()),
      key_id: randomBytes(8).toString('hex'),
      issuer: fresh('portcullis'),
      service: { id: fresh(service) },
      consumer: { id: fresh(consumers[i % consumers.length]!) },
      expires_at: null,
      previous: null,
    } as unknown as ApiKeyRecord;
    const key = verifiedKeyOf(record, false, intern);
    verifier.cache.set(verifier.cache.digest(`pcg_${randomBytes(36).toString('hex')}`), key);
  }
  const after = collect();
  if (verifier.cache.size !== count) throw new Error(`cached ${verifier.cache.size}, expected ${count}`);
  const rss = process.memoryUsage().rss;
  return [
    `| cached keys | heap per key (bytes) | heap held (MB) | RSS before → after (MB) |`,
    `|---:|---:|---:|---:|`,
    `| ${count.toLocaleString('en')} | ${Math.round((after - before) / count)} | ${((after - before) / 1e6).toFixed(0)} | ${(rssBefore / 1e6).toFixed(0)} → ${(rss / 1e6).toFixed(0)} |`,
  ];
}
