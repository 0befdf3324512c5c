import { it } from 'node:test';
import assert from 'node:assert/strict';
import { VaultBackendError } from '../../vault-backend.js';
import { crc32c } from './crc32c.js';
import { decodeSecretPayload } from './secret-payload.js';

const NAME = 'projects/p-123456/secrets/db/versions/latest';
const bytes = (s: string) => Buffer.from(s, 'utf8');

it('decodes the payload and reads the version number from the answer name, global or regional', () => {
  const data = bytes('s3cr3t ✓');
  const cases = [
    [
      { name: 'projects/123/secrets/db/versions/7', payload: { data, dataCrc32c: String(crc32c(data)) } },
      { value: 's3cr3t ✓', version: '7' },
    ],
    [
      { name: 'projects/123/locations/europe-west1/secrets/db/versions/12', payload: { data, dataCrc32c: crc32c(data) } },
      { value: 's3cr3t ✓', version: '12' },
    ],
    [
      { name: 'projects/123/secrets/db/versions/3', payload: { data: new Uint8Array(0), dataCrc32c: '0' } },
      { value: '', version: '3' },
    ],
    [{ payload: { data } }, { value: 's3cr3t ✓' }],
  ] as const;
  for (const [response, expected] of cases) assert.deepEqual(decodeSecretPayload(response, NAME), expected);
});

it('accepts a version stored before Secret Manager kept checksums (no dataCrc32c)', () => {
  assert.equal(decodeSecretPayload({ payload: { data: bytes('old'), dataCrc32c: null } }, NAME).value, 'old');
});

it('refuses a checksum that does not match, whether sent as a string or a number, as unavailable', () => {
  const data = bytes('value');
  for (const dataCrc32c of [String(crc32c(data) ^ 1), crc32c(data) + 1, '0', String(crc32c(bytes('other')))]) {
    assert.throws(
      () => decodeSecretPayload({ payload: { data, dataCrc32c } }, NAME),
      (err: unknown) => err instanceof VaultBackendError && err.kind === 'unavailable' && err.message.includes(NAME) && !err.message.includes('value'),
    );
  }
});
