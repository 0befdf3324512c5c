/**
 * The API key format of DESIGN §3.1: `key = prefix "_" random checksum`. This file owns
 * generating a key, parsing a presented value (ours, somebody else's, or damaged), the masked
 * display form and the pattern secret scanners use. Pure: no store, no cache, no clock.
 *
 * A presented value is classified by these rules, in this order (the first that applies wins):
 *  1. longer than MAX_PRESENTED_KEY_LENGTH            → malformed `too_long` (before any other work)
 *  2. exactly our shape (`[a-z0-9]{2,8}_[0-9a-f]{72}`) → `portcullis` if the CRC-32 matches,
 *                                                        else malformed `checksum_mismatch`
 *  3. a near miss of our shape: same shape ignoring case, or a hex body of 64–80 chars
 *                                                      → malformed `not_lowercase` / `wrong_length`
 *     (a damaged key of ours is never taken for somebody else's key)
 *  4. printable ASCII without spaces (0x21–0x7E), 16–512 chars → `external` (an imported key,
 *     indexed by its SHA-256)
 *  5. anything else: whitespace, control or non-ASCII characters (look-alikes such as Cyrillic
 *     'а' or fullwidth digits), or fewer than 16 chars → malformed
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Secret } from '../observability/secret.js';

/** A source of `size` random bytes; the CSPRNG in production, a fixed buffer in tests. */
export type RandomBytes = (size: number) => Uint8Array;

/** An issuer prefix: 2–8 chars of [a-z0-9]. */
export const KEY_PREFIX_PATTERN = /^[a-z0-9]{2,8}$/;
/** What secret scanners match (DESIGN §3.1); unanchored, to find keys inside other text. */
export const API_KEY_SCAN_PATTERN = '[a-z0-9]{2,8}_[0-9a-f]{72}';
/** {@link API_KEY_SCAN_PATTERN} as a RegExp (no `g` flag, so it holds no `lastIndex` state). */
export const API_KEY_SCAN_REGEX = new RegExp(API_KEY_SCAN_PATTERN);
/** Presented values longer than this are rejected before any other work. */
export const MAX_PRESENTED_KEY_LENGTH = 512;
/** Shortest value accepted as an external (imported) key. */
export const MIN_EXTERNAL_KEY_LENGTH = 16;

const RANDOM_BYTES = 32;
const ID_LENGTH = 16;
const EXACT_SHAPE = /^([a-z0-9]{2,8})_([0-9a-f]{64})([0-9a-f]{8})$/;
const NEAR_MISS_ANY_CASE = /^[a-z0-9]{2,8}_[0-9a-f]{72}$/i;
const NEAR_MISS_LENGTH = /^[a-z0-9]{2,8}_[0-9a-f]{64,80}$/i;
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;
const WHITESPACE_OR_CONTROL = /[\x00-\x20\x7f]/;

/** A freshly generated key. `key` is the plaintext, shown once and never stored. */
export interface GeneratedApiKey {
  readonly key: Secret<string>;
  /** The public id: the first 16 hex chars of `random`, used for the lookup and in listings. */
  readonly id: string;
  readonly prefix: string;
}

/** Why a value was refused; for logs and metrics only, never for the client. */
export type MalformedReason =
  'too_long' | 'too_short' | 'checksum_mismatch' | 'not_lowercase' | 'wrong_length' | 'whitespace_or_control' | 'non_ascii' | 'not_a_string';

/** The classification of a presented value (rules in the header of this file). */
export type ParsedApiKey =
  | { readonly kind: 'portcullis'; readonly prefix: string; readonly id: string; readonly random: string }
  | { readonly kind: 'external' }
  | { readonly kind: 'malformed'; readonly reason: MalformedReason };

/** CRC-32 (IEEE) of `prefix "_" random`, as 8 lowercase hex chars. Not secret: it is in the key. */
export function keyChecksum(prefixAndRandom: string): string {
  return crc32(prefixAndRandom).toString(16).padStart(8, '0');
}

/**
 * Generates a key for an issuer prefix from 32 CSPRNG bytes. Throws on an invalid prefix or a
 * short random source: both are programming errors (prefixes are validated with the config).
 */
export function generateApiKey(prefix: string, randomBytes: RandomBytes = cryptoRandomBytes): GeneratedApiKey {
  if (!KEY_PREFIX_PATTERN.test(prefix)) throw new RangeError('an API key prefix is 2-8 chars of [a-z0-9]');
  const bytes = randomBytes(RANDOM_BYTES);
  if (bytes.length !== RANDOM_BYTES) throw new RangeError(`the random source must return ${RANDOM_BYTES} bytes`);
  const random = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  const body = `${prefix}_${random}`;
  return { key: new Secret(body + keyChecksum(body)), id: random.slice(0, ID_LENGTH), prefix };
}

/** Classifies a presented value by the rules in this file's header. Never throws. */
export function parseApiKey(value: string): ParsedApiKey {
  if (typeof value !== 'string') return malformed('not_a_string');
  if (value.length > MAX_PRESENTED_KEY_LENGTH) return malformed('too_long');
  const exact = EXACT_SHAPE.exec(value);
  if (exact) {
    const [, prefix = '', random = '', checksum = ''] = exact;
    if (keyChecksum(`${prefix}_${random}`) !== checksum) return malformed('checksum_mismatch');
    return { kind: 'portcullis', prefix, id: random.slice(0, ID_LENGTH), random };
  }
  if (NEAR_MISS_ANY_CASE.test(value)) return malformed('not_lowercase');
  if (NEAR_MISS_LENGTH.test(value)) return malformed('wrong_length');
  if (!PRINTABLE_ASCII.test(value)) {
    return malformed(WHITESPACE_OR_CONTROL.test(value) ? 'whitespace_or_control' : 'non_ascii');
  }
  if (value.length < MIN_EXTERNAL_KEY_LENGTH) return malformed('too_short');
  return { kind: 'external' };
}

/**
 * The display form of a key: `pcg_0123456789abcdef…`. Shows at most the public id, whatever is
 * passed: a longer `id` (say, the whole random part by mistake) is cut to 16 chars.
 */
export function maskApiKey(prefix: string, id: string): string {
  return `${prefix}_${id.slice(0, ID_LENGTH)}…`;
}

function malformed(reason: MalformedReason): ParsedApiKey {
  return { kind: 'malformed', reason };
}
