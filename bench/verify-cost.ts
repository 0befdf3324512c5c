/**
 * The cost of one API-key verification through the real verifier (parse → issuer → cache →
 * SQLite store → hash), per algorithm: cached, and uncached (the cache is cleared before every
 * call, so each one pays the store lookup and the hash). Run: `npm run bench:verify`.
 * Figures depend on the machine and what else runs on it: compare them within one run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load-config.js';
import { createStore } from '../src/store/store.js';
import { createKeyHashers } from '../src/apikeys/hashing/key-hashers.js';
import { createIssuerDirectory } from '../src/apikeys/lifecycle/issuers.js';
import { createApiKeyService } from '../src/apikeys/lifecycle/api-key-service.js';
import { createApiKeyVerifier } from '../src/apikeys/verifier/api-key-verifier.js';
import type { HashAlgorithm } from '../src/apikeys/hashing/key-hasher.js';
import { TEST_CIPHER } from '../src/store/testing/test-cipher.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '2' } } });
const seconds = Number(values.seconds);
const dir = mkdtempSync(join(tmpdir(), 'portcullis-verify-bench-'));
const config = loadConfig({ env: { PORTCULLIS_SQLITE_PATH: join(dir, 'db.sqlite'), PORTCULLIS_API_KEYS_SLOW_HASH_CONCURRENCY: '1' } });
const store = createStore({ cipher: TEST_CIPHER, config });
await store.migrate();
const service = await store.services.insert({ name: 'bench', url: 'http://127.0.0.1:9' });
const issuers = createIssuerDirectory(config.api_keys.issuers);
const logger = pino({ level: 'silent' });

async function measure(name: string, op: () => Promise<unknown>, minOps = 5): Promise<void> {
  for (let i = 0; i < 3; i++) await op();
  let done = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000 || done < minOps) {
    await op();
    done++;
  }
  const elapsed = (performance.now() - start) / 1000;
  console.log(`| ${name} | ${Math.round(done / elapsed).toLocaleString('en')} | ${((elapsed / done) * 1e6).toFixed(1)} |`);
}

console.log(`verification cost, ${seconds} s per case, one call at a time, node ${process.version}\n`);
console.log('| case | verifications/s | µs per verification |\n|---|---:|---:|');
const algorithms: HashAlgorithm[] = ['sha256', 'argon2id', 'bcrypt'];
for (const algorithm of algorithms) {
  const hashers = createKeyHashers(algorithm, { bcryptCost: 12 });
  const keys = createApiKeyService({ store, config: config.api_keys, issuers, hashers });
  const { plaintext } = await keys.create({ service: 'bench' }, { name: `bench-${algorithm}` }, { protectedConnection: true });
  const key = plaintext!.reveal();
  const verifier = createApiKeyVerifier({ dao: store.apiKeys, hashers, issuers, logger, findConsumerId: async () => null }, config.api_keys);
  const scope = { serviceId: service.id };
  const check = async () => {
    const result = await verifier.verify(key, scope);
    if (result.status !== 'valid') throw new Error(`unexpected ${result.status}`);
  };
  if (algorithm === 'sha256') await measure('cached (any algorithm)', check);
  await measure(`uncached ${algorithm}`, async () => {
    verifier.cache.clear();
    await check();
  });
}
await store.close();
rmSync(dir, { recursive: true, force: true });
