import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { API_KEY_SCAN_REGEX, generateApiKey, keyChecksum, maskApiKey, parseApiKey, type RandomBytes } from './key-format.js';

const counting: RandomBytes = (size) => Uint8Array.from({ length: size }, (_, i) => i);
// Computed independently with Python's zlib.crc32.
const KNOWN_KEY = 'pcg_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f90629556';
const HEX72 = KNOWN_KEY.slice(4);

describe('keyChecksum', () => {
  it('is CRC-32 (IEEE) as 8 lowercase hex chars, matching the standard check value', () => {
    assert.equal(keyChecksum('123456789'), 'cbf43926');
    assert.equal(keyChecksum('The quick brown fox jumps over the lazy dog'), '414fa339');
  });

  it('pads to 8 chars when the CRC has leading zeros', () => {
    assert.match(keyChecksum('a'), /^[0-9a-f]{8}$/);
    assert.equal(keyChecksum(''), '00000000');
  });
});

describe('generateApiKey', () => {
  it('turns a fixed random source into a fixed key (known-answer vector)', () => {
    const generated = generateApiKey('pcg', counting);
    assert.equal(generated.key.reveal(), KNOWN_KEY);
    assert.equal(generated.id, '0001020304050607');
    assert.equal(generated.prefix, 'pcg');
  });

  it('keeps the plaintext out of logs and JSON', () => {
    const generated = generateApiKey('pcg');
    assert.doesNotMatch(JSON.stringify(generated), /[0-9a-f]{72}/);
    assert.doesNotMatch(inspect(generated), /[0-9a-f]{72}/);
  });

  it('produces keys that parse back to the same prefix and id', () => {
    for (const prefix of ['ab', 'pcg', 'abcd1234']) {
      const generated = generateApiKey(prefix);
      const parsed = parseApiKey(generated.key.reveal());
      assert.deepEqual(parsed, { kind: 'portcullis', prefix, id: generated.id, random: generated.key.reveal().slice(prefix.length + 1, prefix.length + 65) });
    }
  });

  it('draws a different key on every call from the CSPRNG', () => {
    const keys = new Set(Array.from({ length: 100 }, () => generateApiKey('pcg').key.reveal()));
    assert.equal(keys.size, 100);
  });

  it('refuses a prefix outside 2-8 chars of [a-z0-9] and a short random source', () => {
    for (const prefix of ['a', 'abcdefghi', 'PCG', 'p_g', 'pcg-', 'рcg']) {
      assert.throws(() => generateApiKey(prefix), RangeError, prefix);
    }
    assert.throws(() => generateApiKey('pcg', () => new Uint8Array(16)), RangeError);
  });
});

describe('parseApiKey', () => {
  it('accepts a well-formed key and returns its prefix, public id and random part', () => {
    assert.deepEqual(parseApiKey(KNOWN_KEY), {
      kind: 'portcullis',
      prefix: 'pcg',
      id: '0001020304050607',
      random: HEX72.slice(0, 64),
    });
  });

  it('rejects a key whose checksum does not match (a single mistyped char)', () => {
    const typo = KNOWN_KEY.replace('0a0b', '0a0c');
    assert.deepEqual(parseApiKey(typo), { kind: 'malformed', reason: 'checksum_mismatch' });
    const badChecksum = KNOWN_KEY.slice(0, -1) + (KNOWN_KEY.endsWith('6') ? '7' : '6');
    assert.deepEqual(parseApiKey(badChecksum), { kind: 'malformed', reason: 'checksum_mismatch' });
  });

  it('rejects a truncated or extended key as malformed, not as an external key', () => {
    assert.deepEqual(parseApiKey(KNOWN_KEY.slice(0, -1)), { kind: 'malformed', reason: 'wrong_length' });
    assert.deepEqual(parseApiKey(KNOWN_KEY.slice(0, -8)), { kind: 'malformed', reason: 'wrong_length' });
    assert.deepEqual(parseApiKey(KNOWN_KEY + '0'), { kind: 'malformed', reason: 'wrong_length' });
  });

  it('rejects uppercase hex or an uppercase prefix', () => {
    assert.deepEqual(parseApiKey(KNOWN_KEY.toUpperCase()), { kind: 'malformed', reason: 'not_lowercase' });
    assert.deepEqual(parseApiKey('pcg_' + HEX72.replace('a', 'A')), { kind: 'malformed', reason: 'not_lowercase' });
    assert.deepEqual(parseApiKey('PCG_' + HEX72), { kind: 'malformed', reason: 'not_lowercase' });
  });

  it('rejects look-alike characters: Cyrillic letters, fullwidth digits, Unicode hyphens', () => {
    const lookAlikes = [
      KNOWN_KEY.replace('a', '\u0430'), // Cyrillic small a
      '\u0440cg_' + HEX72, // Cyrillic er for p
      KNOWN_KEY.replace('0', '\uff10'), // fullwidth zero
      KNOWN_KEY.replace('_', '\uff3f'), // fullwidth low line
      KNOWN_KEY.replace('e', '\u0435'), // Cyrillic ie
    ];
    for (const value of lookAlikes) assert.deepEqual(parseApiKey(value), { kind: 'malformed', reason: 'non_ascii' }, value);
  });

  it('rejects whitespace and control characters anywhere, without trimming', () => {
    for (const value of [` ${KNOWN_KEY}`, `${KNOWN_KEY} `, `${KNOWN_KEY}\n`, KNOWN_KEY.replace('_', '\t'), `${KNOWN_KEY}\0`, `${KNOWN_KEY}\x7f`]) {
      assert.deepEqual(parseApiKey(value), { kind: 'malformed', reason: 'whitespace_or_control' }, JSON.stringify(value));
    }
  });

  it('rejects overlong input before any other check, even if it contains a valid key', () => {
    assert.deepEqual(parseApiKey(KNOWN_KEY + 'x'.repeat(513 - KNOWN_KEY.length)), { kind: 'malformed', reason: 'too_long' });
    assert.deepEqual(parseApiKey('x'.repeat(1_000_000)), { kind: 'malformed', reason: 'too_long' });
  });

  it('classifies printable ASCII of 16-512 chars that is not our shape as external', () => {
    for (const value of [
      'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
      'x'.repeat(16),
      'x'.repeat(512),
      'key_0123456789abcdef0123456789abcdef',
      '!#$%&()*+,-./:;<=>?@[]^`{|}~0123',
    ]) {
      assert.deepEqual(parseApiKey(value), { kind: 'external' }, value);
    }
  });

  it('rejects values too short to be any key, including the empty string', () => {
    for (const value of ['', 'abc', 'x'.repeat(15)]) assert.deepEqual(parseApiKey(value), { kind: 'malformed', reason: 'too_short' });
  });

  it('rejects a non-string at run time instead of throwing', () => {
    assert.deepEqual(parseApiKey(['a'] as unknown as string), { kind: 'malformed', reason: 'not_a_string' });
  });
});

describe('maskApiKey', () => {
  it('shows the prefix and the public id followed by an ellipsis', () => {
    assert.equal(maskApiKey('pcg', '0001020304050607'), 'pcg_0001020304050607…');
  });

  it('never shows more than the 16-char public id, even when given the whole random part', () => {
    assert.equal(maskApiKey('pcg', HEX72), 'pcg_0001020304050607…');
  });
});

describe('API_KEY_SCAN_REGEX', () => {
  it('finds a key inside other text and ignores values without the 72 hex chars', () => {
    assert.equal(API_KEY_SCAN_REGEX.exec(`export TOKEN="${KNOWN_KEY}"`)?.[0], KNOWN_KEY);
    assert.equal(API_KEY_SCAN_REGEX.test('pcg_' + HEX72.slice(0, 71)), false);
  });

  it('matches every generated key', () => {
    for (let i = 0; i < 50; i += 1) assert.match(generateApiKey('pcg').key.reveal(), API_KEY_SCAN_REGEX);
  });
});
