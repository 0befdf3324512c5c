/**
 * UUID version 7 (RFC 9562 §5.7): the Unix time in milliseconds (48 bits), then 74 random bits.
 * Ids made one after the other sort in the order they were made, so a bulk insert appends to the
 * primary key's index instead of writing to a random page of it per row (an import of a million
 * keys). Not secret, like every row id: the random part comes from keyring/random-pool.ts.
 */
import { randomNonce } from '../keyring/random-pool.js';

export function uuidV7(nowMs: number = Date.now()): string {
  if (!Number.isSafeInteger(nowMs) || nowMs < 0 || nowMs >= 2 ** 48) throw new RangeError('a UUIDv7 time is 0 to 2^48 - 1 ms');
  const bytes = randomNonce(16);
  bytes.writeUIntBE(nowMs, 0, 6);
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
