import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from './crc32c.js';

const bytes = (length: number, at: (i: number) => number) => Uint8Array.from({ length }, (_, i) => at(i));

describe('crc32c', () => {
  // The check value of the CRC catalogue, and the four test vectors of RFC 3720 appendix B.4 (iSCSI),
  // whose CRC bytes are listed there least significant first.
  const vectors: ReadonlyArray<readonly [string, Uint8Array, number]> = [
    ['the empty input', new Uint8Array(0), 0x00000000],
    ['"123456789" (the catalogue check value)', new TextEncoder().encode('123456789'), 0xe3069283],
    ['32 bytes of zeros', bytes(32, () => 0x00), 0x8a9136aa],
    ['32 bytes of 0xff', bytes(32, () => 0xff), 0x62a8ab43],
    ['32 incrementing bytes 00..1f', bytes(32, (i) => i), 0x46dd794e],
    ['32 decrementing bytes 1f..00', bytes(32, (i) => 31 - i), 0x113fdb5c],
  ];
  for (const [name, input, expected] of vectors) {
    it(`gives the known answer for ${name}`, () => {
      assert.equal(crc32c(input).toString(16).padStart(8, '0'), expected.toString(16).padStart(8, '0'));
    });
  }

  it('is not the IEEE CRC-32 of zlib (cbf43926 for "123456789")', () => {
    assert.notEqual(crc32c(new TextEncoder().encode('123456789')), 0xcbf43926);
  });

  it('returns an unsigned 32-bit integer, as Secret Manager writes it in decimal', () => {
    const value = crc32c(bytes(32, () => 0xff));
    assert.ok(Number.isInteger(value) && value >= 0 && value <= 0xffffffff);
    assert.equal(String(value), '1655221059');
  });

  it('changes when a single bit of the input flips', () => {
    const input = new TextEncoder().encode('s3cr3t value');
    const flipped = Uint8Array.from(input);
    flipped[3]! ^= 0x01;
    assert.notEqual(crc32c(flipped), crc32c(input));
  });
});
