/**
 * The cost of one API-key verification through the real verifier (parse → issuer → cache →
 * SQLite store → hash), per algorithm: cached, and uncached (the cache is cleared before every
 * call, so each one pays the store lookup and the hash). Run: `npm run bench:verify`.
 * Figures depend on the machine and what else runs on it: compare them within one run.
 *
 * For sha256 it also measures what encrypting the stored hash and salt (the keyring) costs an
 * uncached verification: the same key with its row's hash and salt put back in plaintext (read as
 * legacy values, no decryption), alternated with the encrypted row, three rounds each.
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

async function measure(name: string, op: () => Promise<unknown>, minOps = 5): Promise<number> {
  for (let i = 0; i < 3; i++) await op();
  let done = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000 || done < minOps) {
    await op();
    done++;
  }
  const elapsed = (performance.now() - start) / 1000;
  console.log(`| ${name} | ${Math.round(done / elapsed).toLocaleString('en')} | ${((elapsed / done) * 1e6).toFixed(1)} |`);
  return (elapsed / done) * 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

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
  const uncached = async () => {
    verifier.cache.clear();
    await check();
  };
  if (algorithm !== 'sha256') {
    await measure(`uncached ${algorithm}`, uncached);
    continue;
  }
  // Encrypted (as stored) vs the same row with hash and salt in plaintext (before the keyring).
  const record = (await store.apiKeys.list({ service_id: service.id })).data.find((r) => r.name === `bench-${algorithm}`)!;
  const encryptedRow = await store.db.selectFrom('api_keys').select(['hash', 'salt']).where('id', '=', record.id).executeTakeFirstOrThrow();
  const plainRow = { hash: record.secret.hash, salt: record.secret.salt };
  const encrypted: number[] = [];
  const plain: number[] = [];
  for (let round = 1; round <= 3; round++) {
    await store.db.updateTable('api_keys').set(encryptedRow).where('id', '=', record.id).execute();
    encrypted.push(await measure(`uncached sha256, hash and salt encrypted (round ${round})`, uncached));
    await store.db.updateTable('api_keys').set(plainRow).where('id', '=', record.id).execute();
    plain.push(await measure(`uncached sha256, hash and salt in plaintext (round ${round})`, uncached));
  }
  await store.db.updateTable('api_keys').set(encryptedRow).where('id', '=', record.id).execute();
  console.log(
    `| **uncached sha256: encrypted ÷ plaintext (medians)** | | **${(median(encrypted) / median(plain)).toFixed(2)}× (${median(encrypted).toFixed(1)} vs ${median(plain).toFixed(1)} µs)** |`,
  );
}
await store.close();
rmSync(dir, { recursive: true, force: true });
