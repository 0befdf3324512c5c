/**
 * The keyring envelope: round trips, an envelope made by an independent implementation, and
 * every way an envelope can be wrong: the wrong key, edited metadata or binary parts, truncated,
 * garbage, a weak or non-RSA key, another purpose. No message and no envelope shows key material.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  constants,
  createCipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { PortcullisError } from '../errors/portcullis-error.js';
import { generateKey, keyCheckValue, type KeyringKey } from './keyring.js';
import { MAX_WRAPPED_LENGTH, describeWrappedKeyring, unwrapKeyring, wrapKeyring, type WrapPurpose } from './keyring-wrap.js';

/**
 * A 2048-bit RSA key made for this test only, and an export wrapped under it by a separate
 * implementation of the format (Python's `cryptography`: AESGCM, OAEP with MGF1-SHA256), written
 * from the description at the top of keyring-wrap.ts. It holds keys Vec7ors1 (bytes 00..1f) and
 * Vec7ors2 (bytes 40..5f, active). The key is kept as bare DER so secret scanners do not report it.
 */
const PYTHON_PRIVATE_KEY_DER =
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCj5Qt3dntQKZy39sXdn/qp4U6NXbDEBjXt73xMhcuIWhlVVJWFIVoUD1u4UjdtRKjBDLbghcNn8SxPF4960iiUaF76' +
  '4DtaORCth79abav7rQD6oWRZlNyU8Y7Pt+xXbn+0LkadK2ZlOx7NW1hvHN9PYQCg7NpF31A0B98/80/f2MmGwwwonxyZocOn0DDLBKwUuXb7JcxIeGCMMtlaevG1f39Yjxa/7+2MYAzA' +
  'fRoy1orQNa69XRD73QP4MgjkBeNri47EtkzlW3xa5uFH3LmbVjp9D1eRWDpTxp6QPPZQ3gvAc9g/XbZLGXGq/9q4TTtun28aut7bwZ7ACdMwm2ztAgMBAAECggEAO6OVUJtks/7wcGD0' +
  'D3mvlTHPi9GUCUDZTwPej1oAflWK8modHpzMUpBkJ+aDFNfvMJCX24vRV3mDTiScqWzgJ2Dzbwc5kdNCJmNHVniiJKsHuCwSgCaTPf/In/2lmwsynTZZq8enMx8YTlH3FDfFavU5bVXC' +
  '97oTTVuv+W1om2OKd1wXudgwDJ2m6r618x/2ozyK4ORaCorv+DyJjFcpMzdZz+N3tdzwH2fLN9lzpVDm+ZNIstwTo0nq//vZZBBf9N6gkSIhVU25rjonzDqBMEqUtyiTwGLMhqg88796' +
  '4XCuYaOYX9SsjI8ys8PBsDwKshbtnnlprxQzpWlTHwPPYQKBgQDWWkbuwmrWIIhX4UbU7VRVwV27MzijNuID63WOBZpe+OMyWBjM4Fdo5rosVoEK8g2zv+E3krld6O3ax9GSgFhKPDFG' +
  'n749WpZdXMb1z0W3RTJUOZiRq0ZBqVPQO+zolq8Voaxxmvml4FDYTNMJYoNgnxZH8MLk1cgh7W5K58SaBwKBgQDDvQgawln0fp7AGkrVMNcigd6hcbbExqYi4mMaoTbn/MFCiG9WObeK' +
  'nKG58eDMiikl9VcacGgH7W6e/fqu5cNeN4a1NgeT+If8xWeQB3cBMKhEtbWwl0Ae3ZSEWKUWOCCJM/goWCng0/FmET7hF/sz4qs/1q2a87SVtbMOl8WUawKBgQDQpgWfyS1Xi0lMSaO6' +
  'Bd5urw9+9ifub7DnYd4GxZtzUM9OpQRXART0roqQOA/aSK1fx6oBf1fieqZ0rMZp1XabpCXO+hWjATeWX4Xnpb/V2oxYAcxqFw8HQTytWHeOG4cIBlymJNVXSpdHRNizrOn3NkPo+Qms' +
  '2A+8PrJ6RUpRJwKBgHWp2Ildc33J79xC8eEeLvULZK1gEiJP1+b4d+K2Lq9d/T7ljSgkIfUtGvsQL7ZFB19OEEJQd/jr/aeNvXgNnlewwUWFaSDGMdj9QbgPBLaubTiAkuvIwD7NrE2y' +
  'i+rDaquPlgmKlgIU5fQZQddF9zfFdnQ1tL6E6XVleHG5QohpAoGABec9E85eWHNW9yoT3o9Tj1iDMtGHV4khq4z34rWyRL0enQUHzLQyntGZeY6vnP6CAd1Db9T8oXnLvamPSqedujG2' +
  '50yymlT4I7oxWxzrdKlPfPm5zBoCTStUz7UyRPd7lpUfiFjgno/P9YReklJliJ6g+mxgPmaXKTYzyCOJEJM=';

const PYTHON_ENVELOPE =
  'eyJmb3JtYXQiOiJwb3J0Y3VsbGlzLWtleXJpbmciLCJ2ZXJzaW9uIjoxLCJwdXJwb3NlIjoiZXhwb3J0IiwiY3JlYXRlZF9hdCI6MTcwMDAwMTAwMCwiYWN0aXZlIjoiVmVjN29yczIi' +
  'LCJyZWNpcGllbnQiOiJkN2NiNDE5MjZlN2E0YzRjYTJmOTU3MTFlYmZjOGFkNDZjNWE4MzUwNTliMmM4ODVlNzk1OGY4ODVjMWI0Y2ZjIiwia2V5cyI6W3siaWQiOiJWZWM3b3JzMSIs' +
  'ImNyZWF0ZWRfYXQiOjE3MDAwMDAwMDAsImtjdiI6IjQ2OTA4NWU0In0seyJpZCI6IlZlYzdvcnMyIiwiY3JlYXRlZF9hdCI6MTcwMDAwMDUwMCwia2N2IjoiODYzNzhjZGIifV0sIndy' +
  'YXBwZWRfa2V5IjoiYkhkeFZMOU1hcnB4Q01vWm5kZzFwVUhyeTJWUkdaVmVsQlhrYTFieVZkbUxIdXZvc2UyR3FELTlUWU5GaTBtOFM0WkZzeTFHMDl4RzhsSXRBbWRjX3M5aFlLMjVw' +
  'dXoxYXBOSUo0em1Nc2Q0b2tLYlpVR3JWZVAzWVZ3OUtWdGVSUV9DX1JYRWlmcTF1UmQ3MHFXMFBFbWl2SEVUWnNNZ0tQcUlSOElOY3gxbGFXMmlCZDNlbVJVSWUzaDFPZU1WYU1kc2kt' +
  'YU1rdW9MeFg4S0g3MWo0Z0N6VGNyS3lyVHRZRnQtcmpRWTd2M1BEVm5EUXMtNHY4RmNUdS13WEltYVYxQlpCQ25IS3diNEZkTVlheFo3YkdXQklBaU9fTjVyRW82c0xpa244NEpjUUZV' +
  'VEUxRmUyMmlvVWxXUk5PcEpHSXNoQklFXzZES2tEaVRELWxPX1N3Iiwibm9uY2UiOiJQc3hGWUx2NG1nRm82VEN5IiwiY2lwaGVydGV4dCI6IndlbWprdjFuUUdPMGhYTTZpNlV6Ymox' +
  'OWhHaEV4VTYyeUFmbmh2NkRnNGQtY0dueVJ2Z1VUb0R0Y0RfU3prWGJEdmhGSG1vcGJpQkwzMDRRNFgzMUF3IiwidGFnIjoiWVV6cW1SeFNDQzhnTjYxR3NXdy13QSJ9';

const PYTHON_PRIVATE_KEY_PEM = createPrivateKey({ key: Buffer.from(PYTHON_PRIVATE_KEY_DER, 'base64'), format: 'der', type: 'pkcs8' }).export({
  type: 'pkcs8',
  format: 'pem',
}) as string;

const pem = (key: KeyObject, kind: 'public' | 'private') =>
  (kind === 'public' ? key.export({ type: 'spki', format: 'pem' }) : key.export({ type: 'pkcs8', format: 'pem' })) as string;

interface Pair {
  readonly publicPem: string;
  readonly privatePem: string;
}

function rsaPair(bits: number): Pair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return { publicPem: pem(publicKey, 'public'), privatePem: pem(privateKey, 'private') };
}

const KEYS: readonly KeyringKey[] = Array.from({ length: 5 }, (_, i) => generateKey(1_700_000_000 + i));
const MANY: readonly KeyringKey[] = Array.from({ length: 300 }, (_, i) => generateKey(i));

/** Every encoding in which a key's material could leak. */
function materialForms(keys: readonly KeyringKey[]): string[] {
  return keys.flatMap((k) => [k.key.toString('hex'), k.key.toString('base64'), k.key.toString('base64url'), k.key.toString('base64').slice(0, 40)]);
}

function assertRefused(fn: () => unknown, says: RegExp, label: string): void {
  assert.throws(
    fn,
    (err: unknown) => {
      assert.ok(err instanceof PortcullisError, `${label}: ${String(err)}`);
      assert.equal(err.code, 'PC_KEYRING_EXPORT_INVALID', label);
      assert.equal(err.status, 400, label);
      assert.match(err.message, says, label);
      for (const form of materialForms([...KEYS, ...MANY])) assert.ok(!err.message.includes(form), `${label}: the message shows key material`);
      return true;
    },
    label,
  );
}

/** The envelope's JSON, to edit it as an attacker or a careless copy would. */
const decode = (data: string): Record<string, any> => JSON.parse(Buffer.from(data, 'base64url').toString('utf8'));
const encode = (envelope: unknown): string => Buffer.from(JSON.stringify(envelope), 'utf8').toString('base64url');
const edit = (data: string, change: (envelope: Record<string, any>) => void): string => {
  const envelope = decode(data);
  change(envelope);
  return encode(envelope);
};
/** Flips one bit of a base64url binary field at byte `index` (negative: from the end). */
const flip = (value: string, index: number): string => {
  const bytes = Buffer.from(value, 'base64url');
  bytes[(index + bytes.length) % bytes.length]! ^= 0x01;
  return bytes.toString('base64url');
};

describe('keyring wrap', () => {
  let owner: Pair;
  let stranger: Pair;
  let envelope: string;

  before(() => {
    owner = rsaPair(2048);
    stranger = rsaPair(2048);
    envelope = wrapKeyring({ keys: KEYS, active: KEYS[2]!.id }, owner.publicPem, { purpose: 'export', nowSeconds: 1_700_000_100 });
  });

  describe('round trip', () => {
    const cases: { name: string; keys: readonly KeyringKey[]; active: string | null; purpose: WrapPurpose }[] = [
      { name: 'no keys', keys: [], active: null, purpose: 'export' },
      { name: 'one key, none active', keys: KEYS.slice(0, 1), active: null, purpose: 'blob' },
      { name: 'one key, active', keys: KEYS.slice(0, 1), active: KEYS[0]!.id, purpose: 'recovery' },
      { name: 'five keys, the third active', keys: KEYS, active: KEYS[2]!.id, purpose: 'export' },
      { name: '300 keys, the last active', keys: MANY, active: MANY[299]!.id, purpose: 'blob' },
    ];
    for (const c of cases) {
      it(`returns exactly what was wrapped: ${c.name}`, () => {
        const data = wrapKeyring({ keys: c.keys, active: c.active }, owner.publicPem, { purpose: c.purpose, nowSeconds: 1_700_000_123 });
        assert.match(data, /^[A-Za-z0-9_-]+$/);
        const opened = unwrapKeyring(data, owner.privatePem, { purpose: c.purpose });
        assert.equal(opened.active, c.active);
        assert.equal(opened.created_at, 1_700_000_123);
        assert.equal(opened.purpose, c.purpose);
        assert.deepEqual(
          opened.keys.map((k) => [k.id, k.key.toString('hex'), k.created_at]),
          c.keys.map((k) => [k.id, k.key.toString('hex'), k.created_at]),
        );
      });
    }

    it('opens an envelope made by an independent implementation of the format', () => {
      const opened = unwrapKeyring(PYTHON_ENVELOPE, PYTHON_PRIVATE_KEY_PEM, { purpose: 'export' });
      assert.equal(opened.active, 'Vec7ors2');
      assert.equal(opened.created_at, 1_700_001_000);
      assert.deepEqual(
        opened.keys.map((k) => [k.id, k.key.toString('hex'), k.created_at]),
        [
          ['Vec7ors1', '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 1_700_000_000],
          ['Vec7ors2', '404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f', 1_700_000_500],
        ],
      );
    });

    it('makes a fresh data key and nonce for every envelope of the same keyring', () => {
      const again = decode(wrapKeyring({ keys: KEYS, active: KEYS[2]!.id }, owner.publicPem, { purpose: 'export', nowSeconds: 1_700_000_100 }));
      const first = decode(envelope);
      for (const field of ['wrapped_key', 'nonce', 'ciphertext', 'tag']) assert.notEqual(again[field], first[field], field);
    });

    it('still opens once copied through a terminal: line breaks, standard base64 alphabet and padding', () => {
      const standard = Buffer.from(envelope, 'base64url').toString('base64');
      const wrapped = `${standard.replace(/(.{64})/g, '$1\n')}\n`;
      assert.equal(unwrapKeyring(wrapped, owner.privatePem).keys.length, KEYS.length);
      assert.equal(unwrapKeyring(`  ${envelope}\r\n`, owner.privatePem).keys.length, KEYS.length);
    });

    it('accepts the private key in place of the public key to wrap', () => {
      const data = wrapKeyring({ keys: KEYS, active: null }, owner.privatePem, { purpose: 'blob', nowSeconds: 1 });
      assert.equal(unwrapKeyring(data, owner.privatePem).keys.length, KEYS.length);
    });
  });

  describe('what it shows', () => {
    it('never holds key material, in the string, its decoded JSON or its binary parts', () => {
      const forms = materialForms(KEYS);
      const text = Buffer.from(envelope, 'base64url').toString('utf8');
      for (const form of forms) {
        assert.ok(!envelope.includes(form), 'envelope');
        assert.ok(!text.includes(form), 'decoded envelope');
      }
      const parsed = decode(envelope);
      for (const field of ['wrapped_key', 'nonce', 'ciphertext', 'tag']) {
        const bytes = Buffer.from(parsed[field], 'base64url');
        for (const k of KEYS) assert.equal(bytes.indexOf(k.key.subarray(0, 8)), -1, field);
      }
    });

    it('describes itself without the private key: purpose, time, active id, and each key id with its key check value', () => {
      assert.deepEqual(describeWrappedKeyring(envelope), {
        format: 'portcullis-keyring',
        version: 1,
        purpose: 'export',
        created_at: 1_700_000_100,
        active: KEYS[2]!.id,
        recipient: decode(envelope)['recipient'],
        keys: KEYS.map((k) => ({ id: k.id, created_at: k.created_at, kcv: keyCheckValue(k.key) })),
      });
      assert.match(decode(envelope)['recipient'], /^[0-9a-f]{64}$/);
    });
  });

  describe('refusals (400 PC_KEYRING_EXPORT_INVALID)', () => {
    it('refuses the wrong private key, naming both key fingerprints', () => {
      assertRefused(
        () => unwrapKeyring(envelope, stranger.privatePem),
        /^Wrong private key: a keyring export was wrapped for the RSA key with fingerprint [0-9a-f]{16}…, this private key's is [0-9a-f]{16}…$/,
        'stranger',
      );
      assertRefused(() => unwrapKeyring(envelope, PYTHON_PRIVATE_KEY_PEM), /^Wrong private key/, 'another known key');
    });

    it('refuses an envelope whose clear metadata was edited', () => {
      const edits: Record<string, (e: Record<string, any>) => void> = {
        'active id → another of its keys': (e) => (e['active'] = KEYS[0]!.id),
        'active id → none': (e) => (e['active'] = null),
        'a key id': (e) => (e['keys'][1].id = 'Edited01'),
        'a key check value': (e) => (e['keys'][1].kcv = '00000000'),
        "a key's created_at": (e) => (e['keys'][1].created_at += 1),
        'the envelope created_at': (e) => (e['created_at'] = 1_800_000_000),
        'two keys swapped': (e) => e['keys'].reverse(),
      };
      for (const [name, change] of Object.entries(edits)) {
        assertRefused(
          () => unwrapKeyring(edit(envelope, change), owner.privatePem),
          /^A keyring export was edited or damaged: it fails its authentication check/,
          name,
        );
      }
      // An edited purpose is caught by the purpose check when one is asked, else by the tag.
      for (const asked of [undefined, 'blob'] as const) {
        const edited = edit(envelope, (e) => (e['purpose'] = 'blob'));
        assertRefused(
          () => unwrapKeyring(edited, owner.privatePem, { purpose: asked }),
          /^A node's keyring blob file was edited or damaged/,
          `the purpose, asked ${asked}`,
        );
      }
      assertRefused(
        () =>
          unwrapKeyring(
            edit(envelope, (e) => e['keys'].pop()),
            owner.privatePem,
          ),
        /lists 4 keys but holds 160 bytes/,
        'a key dropped',
      );
      assertRefused(
        () =>
          unwrapKeyring(
            edit(envelope, (e) => (e['recipient'] = '0'.repeat(64))),
            owner.privatePem,
          ),
        /^Wrong private key/,
        'the recipient',
      );
      assertRefused(
        () =>
          unwrapKeyring(
            edit(envelope, (e) => (e['version'] = 2)),
            owner.privatePem,
          ),
        /version 2 is not supported/,
        'the version',
      );
      assertRefused(
        () =>
          unwrapKeyring(
            edit(envelope, (e) => (e['format'] = 'other')),
            owner.privatePem,
          ),
        /not a Portcullis keyring export/,
        'the format',
      );
    });

    it('refuses an envelope whose wrapped key, nonce, ciphertext or tag was edited', () => {
      const parts: Record<string, [field: string, index: number][]> = {
        'wrapped key': [
          ['wrapped_key', 0],
          ['wrapped_key', 100],
          ['wrapped_key', -1],
        ],
        nonce: [
          ['nonce', 0],
          ['nonce', -1],
        ],
        ciphertext: [
          ['ciphertext', 0],
          ['ciphertext', 77],
          ['ciphertext', -1],
        ],
        tag: [
          ['tag', 0],
          ['tag', -1],
        ],
      };
      for (const [part, edits] of Object.entries(parts)) {
        for (const [field, index] of edits) {
          const says =
            part === 'wrapped key' ? /edited or damaged: its wrapped data key does not open/ : /edited or damaged: it fails its authentication check/;
          assertRefused(
            () =>
              unwrapKeyring(
                edit(envelope, (e) => (e[field] = flip(e[field], index))),
                owner.privatePem,
              ),
            says,
            `${part} byte ${index}`,
          );
        }
      }
      const shorten = (field: string) => edit(envelope, (e) => (e[field] = Buffer.from(e[field], 'base64url').subarray(1).toString('base64url')));
      assertRefused(() => unwrapKeyring(shorten('wrapped_key'), owner.privatePem), /wrapped data key is 255 bytes, not 256/, 'wrapped key shortened');
      assertRefused(() => unwrapKeyring(shorten('nonce'), owner.privatePem), /malformed: nonce is not 12 bytes/, 'nonce shortened');
      assertRefused(() => unwrapKeyring(shorten('tag'), owner.privatePem), /malformed: tag is not 16 bytes/, 'tag shortened');
      assertRefused(() => unwrapKeyring(shorten('ciphertext'), owner.privatePem), /holds 159 bytes/, 'ciphertext shortened');
    });

    it('refuses an envelope sealed correctly under the public key but inconsistent inside (made by someone else)', () => {
      const [a, b] = [KEYS[0]!, KEYS[1]!];
      const kcv = (k: KeyringKey) => keyCheckValue(k.key);
      const forgeries: Record<string, [keys: { id: string; created_at: number; kcv: string }[], material: Buffer, dataKeyBytes: number, says: RegExp]> = {
        'a key check value that does not match its key': [
          [
            { id: a.id, created_at: 1, kcv: kcv(a) },
            { id: b.id, created_at: 1, kcv: kcv(a) },
          ],
          Buffer.concat([a.key, b.key]),
          32,
          new RegExp(`^A keyring export is inconsistent: key ${b.id} does not match its key check value`),
        ],
        'keys in another order than their metadata': [
          [
            { id: a.id, created_at: 1, kcv: kcv(a) },
            { id: b.id, created_at: 1, kcv: kcv(b) },
          ],
          Buffer.concat([b.key, a.key]),
          32,
          new RegExp(`key ${a.id} does not match its key check value`),
        ],
        'a 16-byte data key': [[{ id: a.id, created_at: 1, kcv: kcv(a) }], a.key, 16, /its data key is not 32 bytes/],
      };
      for (const [name, [keys, material, dataKeyBytes, says]] of Object.entries(forgeries)) {
        const forged = forge(owner.publicPem, { purpose: 'export', created_at: 1, active: null, keys }, material, dataKeyBytes);
        assertRefused(() => unwrapKeyring(forged, owner.privatePem), says, name);
      }
      // The forger itself is right: with consistent contents, its envelope opens.
      const honest = forge(owner.publicPem, { purpose: 'export', created_at: 1, active: a.id, keys: [{ id: a.id, created_at: 1, kcv: kcv(a) }] }, a.key, 32);
      assert.equal(unwrapKeyring(honest, owner.privatePem).keys[0]!.key.toString('hex'), a.key.toString('hex'));
    });

    it('refuses the envelope truncated at any of several lengths', () => {
      for (const length of [1, 4, 10, 30, 100, Math.floor(envelope.length / 2), envelope.length - 100, envelope.length - 3, envelope.length - 1]) {
        assertRefused(() => unwrapKeyring(envelope.slice(0, length), owner.privatePem), /truncated/, `cut at ${length}`);
      }
    });

    it('refuses garbage and lookalikes', () => {
      const garbage: Record<string, [data: string, says: RegExp]> = {
        empty: ['', /is empty/],
        blanks: [' \n\t ', /is empty/],
        words: ['hello world!', /not a Portcullis keyring export: it is not base64/],
        'a field ciphertext': ['$ke$1$-k7Q2mZ9a-000102030405060708090a0b-3431b569f691', /not base64/],
        'a PEM key': [
          '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n',
          /^This is a PEM key, not a Portcullis keyring export$/,
        ],
        'random base64': [Buffer.from('x'.repeat(300)).toString('base64'), /^This is not a Portcullis keyring export$/],
        'an empty JSON object': [encode({}), /^This is not a Portcullis keyring export$/],
        'a JSON array': [encode([1, 2]), /^This is not a Portcullis keyring export$/],
        'another format': [encode({ format: 'vault-keyring', version: 1 }), /^This is not a Portcullis keyring export$/],
        'a future version': [
          encode({ format: 'portcullis-keyring', version: 2, purpose: 'export' }),
          /version 2 is not supported \(this Portcullis reads version 1\)/,
        ],
        'an extra field': [edit(envelope, (e) => (e['comment'] = 'hi')), /malformed: unexpected field "comment"/],
        'a missing field': [edit(envelope, (e) => delete e['tag']), /malformed: tag is not base64url/],
        'an unknown purpose': [edit(envelope, (e) => (e['purpose'] = 'backup')), /malformed: unknown purpose/],
        'a bad key id': [edit(envelope, (e) => (e['keys'][0].id = 'bad id!!')), /malformed: keys\[0\]\.id is not a keyring key id/],
        'a duplicated key id': [edit(envelope, (e) => (e['keys'][1].id = e['keys'][0].id)), /malformed: key \S{8} is listed twice/],
        'an active id not among the keys': [edit(envelope, (e) => (e['active'] = 'Absent01')), /malformed: the active key is not one of its keys/],
        'a KCV in upper case': [edit(envelope, (e) => (e['keys'][0].kcv = e['keys'][0].kcv.toUpperCase() + 'A')), /malformed: keys\[0\]\.kcv/],
        'a key with an extra field': [edit(envelope, (e) => (e['keys'][0].key = 'AAAA')), /malformed: keys\[0\] is not \{id, created_at, kcv\}/],
        'a negative time': [edit(envelope, (e) => (e['created_at'] = -1)), /malformed: created_at is not a time in seconds/],
        'a fractional time': [edit(envelope, (e) => (e['keys'][0].created_at = 1.5)), /malformed: keys\[0\]\.created_at/],
        'too large': ['A'.repeat(MAX_WRAPPED_LENGTH + 1), /too large/],
      };
      for (const [name, [data, says]] of Object.entries(garbage)) assertRefused(() => unwrapKeyring(data, owner.privatePem), says, name);
      for (const [name, [data, says]] of Object.entries(garbage)) assertRefused(() => describeWrappedKeyring(data), says, `described: ${name}`);
    });

    it('refuses an envelope made for another purpose when a purpose is asked, naming both', () => {
      const purposes: WrapPurpose[] = ['export', 'blob', 'recovery', 'exchange'];
      const names = {
        export: 'a keyring export',
        blob: "a node's keyring blob file",
        recovery: "the database's recovery copy",
        exchange: 'a keyring exchange answer',
      };
      for (const made of purposes) {
        const data = wrapKeyring({ keys: KEYS, active: null }, owner.publicPem, { purpose: made, nowSeconds: 1 });
        for (const asked of purposes.filter((p) => p !== made)) {
          assertRefused(
            () => unwrapKeyring(data, owner.privatePem, { purpose: asked }),
            new RegExp(`^This is ${names[made]}, not ${names[asked]}`),
            `${made} as ${asked}`,
          );
        }
      }
    });

    it('refuses RSA keys under 2048 bits and keys that are not RSA, to wrap and to open', () => {
      const weak = rsaPair(1024);
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const ed = generateKeyPairSync('ed25519');
      const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
      const encrypted = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
        cipher: 'aes-256-cbc',
        passphrase: 'pw',
      }) as string;
      const publicKeys: Record<string, [pem: string, says: RegExp]> = {
        'a 1024-bit RSA key': [weak.publicPem, /it is a 1024-bit RSA key; at least 2048 bits are required/],
        'an EC key': [pem(ec.publicKey, 'public'), /it is not an RSA key \(its type is ec\)/],
        'an Ed25519 key': [pem(ed.publicKey, 'public'), /it is not an RSA key \(its type is ed25519\)/],
        'an RSA-PSS key': [pem(pss.publicKey, 'public'), /it is not an RSA key \(its type is rsa-pss\)/],
        'not a key': ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', /it is not a PEM public key/],
        'empty text': ['', /it is not a PEM public key/],
      };
      for (const [name, [key, says]] of Object.entries(publicKeys)) {
        assertRefused(
          () => wrapKeyring({ keys: KEYS, active: null }, key, { purpose: 'export', nowSeconds: 1 }),
          new RegExp(`^The RSA public key cannot wrap the keyring: ${says.source}`),
          name,
        );
      }
      const privateKeys: Record<string, [pem: string, says: RegExp]> = {
        'a 1024-bit RSA key': [weak.privatePem, /it is a 1024-bit RSA key/],
        'an EC key': [pem(ec.privateKey, 'private'), /it is not an RSA key \(its type is ec\)/],
        'an RSA-PSS key': [pem(pss.privateKey, 'private'), /it is not an RSA key \(its type is rsa-pss\)/],
        'the public key': [owner.publicPem, /it is not a PEM private key/],
        'a passphrase-protected key': [encrypted, /it is not a PEM private key \(or it is encrypted with a passphrase/],
      };
      for (const [name, [key, says]] of Object.entries(privateKeys)) {
        assertRefused(() => unwrapKeyring(envelope, key), new RegExp(`^The RSA private key cannot open a keyring export: ${says.source}`), name);
      }
    });
  });

  it('refuses, as a bug of its caller, to wrap keys that break the keyring invariants', () => {
    const bad: Record<string, { keys: KeyringKey[]; active: string | null }> = {
      'a short key': { keys: [{ ...KEYS[0]!, key: KEYS[0]!.key.subarray(0, 31) }], active: null },
      'a bad id': { keys: [{ ...KEYS[0]!, id: 'short' }], active: null },
      'a duplicate id': { keys: [KEYS[0]!, { ...KEYS[1]!, id: KEYS[0]!.id }], active: null },
      'an active key not in it': { keys: [KEYS[0]!], active: KEYS[1]!.id },
    };
    for (const [name, content] of Object.entries(bad)) {
      assert.throws(
        () => wrapKeyring(content, owner.publicPem, { purpose: 'export', nowSeconds: 1 }),
        (err: Error) => !(err instanceof PortcullisError) && /cannot wrap/.test(err.message),
        name,
      );
    }
  });
});

/** Seals an envelope from scratch with node:crypto, as anyone holding the public key can. */
function forge(
  publicPem: string,
  meta: { purpose: WrapPurpose; created_at: number; active: string | null; keys: { id: string; created_at: number; kcv: string }[] },
  material: Buffer,
  dataKeyBytes: number,
): string {
  const publicKey = createPublicKey(publicPem);
  const info = {
    format: 'portcullis-keyring',
    version: 1,
    purpose: meta.purpose,
    created_at: meta.created_at,
    active: meta.active,
    recipient: createHash('sha256')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex'),
    keys: meta.keys,
  };
  const dataKey = randomBytes(dataKeyBytes);
  const nonce = randomBytes(12);
  const cipher = createCipheriv(dataKeyBytes === 32 ? 'aes-256-gcm' : 'aes-128-gcm', dataKey, nonce, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(JSON.stringify(info)));
  const ciphertext = Buffer.concat([cipher.update(material), cipher.final()]);
  return encode({
    ...info,
    wrapped_key: publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, dataKey).toString('base64url'),
    nonce: nonce.toString('base64url'),
    ciphertext: ciphertext.toString('base64url'),
    tag: cipher.getAuthTag().toString('base64url'),
  });
}
