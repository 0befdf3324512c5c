/**
 * Heap per cached API key alone (part 3 of keys-scale.ts without the store runs):
 * `npm run bench:cache-memory -- [count]` (default 1,000,000).
 */
import { loadConfig } from '../src/config/load-config.js';
import { measureCacheMemory } from './keys-scale-cache.js';

const count = Number(process.argv[2] ?? 1_000_000);
const config = loadConfig({ env: {} });
for (const line of await measureCacheMemory(count, config.api_keys)) console.log(line);
