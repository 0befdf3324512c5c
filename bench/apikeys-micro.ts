/**
 * Micro benchmark of API-key verification costs: the cached path (parse + keyed digest + cache
 * read), and a hash + verify for each algorithm. Run: `node --import tsx bench/apikeys-micro.ts`.
 * Each case runs for about `--seconds` (default 2) after a short warm-up, one operation at a time
 * ("serial"); slow hashes are also run with 4 in flight ("4 in flight", libuv's default pool),
 * which is how a node under load runs them. Figures depend on the machine (and on what else runs
 * on it): they are printed, never asserted.
 */
import { parseArgs } from 'node:util';
import { generateApiKey, parseApiKey } from '../src/apikeys/key-format.js';
import { createKeyHasher } from '../src/apikeys/hashing/key-hashers.js';
import { createVerificationCache, type CachedKeyIdentity } from '../src/credentials/verification-cache.js';

interface Result {
  readonly name: string;
  readonly opsPerSecond: number;
  readonly microsPerOp: number;
}

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '2' } } });
const seconds = Number(values.seconds);

/** Runs a synchronous `op` in batches of 1000 for about `seconds`, after a tenth of that as warm-up. */
function measureSync(name: string, op: () => void): Result {
  const runFor = (ms: number): number => {
    const end = performance.now() + ms;
    let done = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 1000; i += 1) op();
      done += 1000;
    }
    return done;
  };
  runFor(seconds * 100);
  const start = performance.now();
  const done = runFor(seconds * 1000);
  return result(name, done, (performance.now() - start) / 1000);
}

/** Runs an asynchronous `op`, `inFlight` at a time, for about `seconds`, after a warm-up. */
async function measure(name: string, op: () => Promise<unknown>, inFlight = 1): Promise<Result> {
  const runFor = async (ms: number): Promise<number> => {
    const end = performance.now() + ms;
    let done = 0;
    const worker = async () => {
      while (performance.now() < end) {
        await op();
        done += 1;
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    return done;
  };
  await runFor(seconds * 100);
  const start = performance.now();
  const done = await runFor(seconds * 1000);
  return result(name, done, (performance.now() - start) / 1000);
}

function result(name: string, done: number, elapsedSeconds: number): Result {
  return { name, opsPerSecond: done / elapsedSeconds, microsPerOp: (elapsedSeconds * 1e6) / done };
}

const key = generateApiKey('pcg').key.reveal();
const cache = createVerificationCache<CachedKeyIdentity>({}, { cache_ttl: 300, neg_cache_ttl: 30, cache_size: 100_000, neg_cache_size: 10_000 });
for (let i = 0; i < 99_999; i += 1) cache.set(cache.digest(`filler-${i}`), { keyId: `k${i}`, consumerId: `c${i % 100}`, expiresAt: null });
cache.set(cache.digest(key), { keyId: 'k', consumerId: 'c', expiresAt: null });

const results: Result[] = [];
results.push(
  measureSync('cached lookup (parse + HMAC digest + get, 100k entries)', () => {
    if (parseApiKey(key).kind !== 'portcullis' || cache.get(cache.digest(key)).kind !== 'hit') throw new Error('bench setup');
  }),
);
results.push(measureSync('  of which parseApiKey (regex + CRC-32)', () => void parseApiKey(key)));
results.push(measureSync('  of which HMAC-SHA256 digest', () => void cache.digest(key)));

for (const [algorithm, options] of [
  ['sha256', {}],
  ['argon2id', {}],
  ['bcrypt', { bcryptCost: 12 }],
] as const) {
  const hasher = createKeyHasher(algorithm, options);
  const stored = await hasher.hash(key);
  results.push(await measure(`${algorithm} hash`, () => hasher.hash(key)));
  results.push(await measure(`${algorithm} verify, serial`, () => hasher.verify(key, stored)));
  if (algorithm !== 'sha256') results.push(await measure(`${algorithm} verify, 4 in flight`, () => hasher.verify(key, stored), 4));
}

console.log(`node ${process.version}, ${seconds}s per case`);
console.table(results.map((r) => ({ case: r.name, 'ops/s': Math.round(r.opsPerSecond), 'µs/op': r.microsPerOp.toFixed(2) })));
