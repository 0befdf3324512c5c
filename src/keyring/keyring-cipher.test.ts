/**
 * The keyring's field cipher: known answers from sources independent of this code, the stored
 * format, and every way a stored value can be damaged, moved or unreadable.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PortcullisError } from '../errors/portcullis-error.js';
import { createKeyringHolder, generateKey, withKeys, type KeyringKey } from './keyring.js';
import { ciphertextKeyId, createKeyringCipher, decryptWith, encryptWith, parseCiphertext } from './keyring-cipher.js';

const hex = (text: string) => Buffer.from(text, 'hex');
const ZERO_KEY: KeyringKey = { id: 'McGrewV0', key: Buffer.alloc(32), created_at: 0 };
const MV_KEY: KeyringKey = { id: 'McGrewV1', key: hex('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308'), created_at: 0 };
const KEY_A: KeyringKey = { id: 'k7Q2mZ9a', key: hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'), created_at: 0 };
const KEY_B: KeyringKey = { id: 'Rt8xLq0W', key: hex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4'), created_at: 0 };

/**
 * The AES-256 cases of McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)", test
 * cases 13–15 (no AAD). Cases 13 and 14 have plaintexts expressible as text (empty, 16 NULs); case 15's
 * is not UTF-8, so it is checked only through decryption.
 */
const MCGREW_VIEGA = [
  { name: 'test case 13 (empty plaintext)', key: ZERO_KEY, nonce: '000000000000000000000000', plaintext: '', body: '530f8afbc74536b9a963b4f1c4cb738b' },
  {
    name: 'test case 14 (16 zero bytes)',
    key: ZERO_KEY,
    nonce: '000000000000000000000000',
    plaintext: '\0'.repeat(16),
    body: 'cea7403d4d606b6e074ec5d3baf39d18' + 'd0d1c8a799996bf0265b98b5d48ab919',
  },
];
const MV_CASE_15 = {
  nonce: 'cafebabefacedbaddecaf888',
  plaintext: hex('d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255'),
  body:
    '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad' +
    'b094dac5d93471bdec1a502270e3cc6c',
};

/** `$ke$1$` values computed once with Python's `cryptography` (AESGCM), not with this code. */
const PYTHON_VECTORS = [
  {
    key: KEY_A,
    nonce: '000102030405060708090a0b',
    plaintext: 's3cr3t-password',
    aad: 'basicauth_credentials|password|5f0c1e2a-3b4d-4c6e-8f90-a1b2c3d4e5f6',
    stored: '$ke$1$-k7Q2mZ9a-000102030405060708090a0b-3431b569f691ef6bec32e4fcde9b1c5e4ea13bc57faeaf12eefe6a322afaf0',
  },
  {
    key: KEY_B,
    nonce: 'ffeeddccbbaa998877665544',
    plaintext: 'p\u00e4ssw\u00f6rd \u2713 \u{1f511}',
    aad: 'plugins|config.auth.client_secret|0b6a3c1e-9d2f-4e8a-b7c5-d4e3f2a1b0c9',
    stored: '$ke$1$-Rt8xLq0W-ffeeddccbbaa998877665544-c43a3f6c6a113f4e1e1d2d9aa57c59463f89c1097ba7629ab4dc1e8c7f53c2911c98c7',
  },
  {
    key: KEY_B,
    nonce: 'cafebabefacedbaddecaf888',
    plaintext: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    aad: 'api_keys|hash|7d1f0c2b-5a4e-4b3c-9e8d-1a2b3c4d5e6f',
    stored:
      '$ke$1$-Rt8xLq0W-cafebabefacedbaddecaf888-9e41d0468b76e94aaea64e18e09cf9f53e8b12a8702d5b275301902a095ff0e8' +
      '545af16fbaec34647159493308f61cff6e7ee08fcba30c898fc6d0cd03c41432870c06a0940ee49ba538e2a5313769d1',
  },
  {
    key: KEY_A,
    nonce: '0f0e0d0c0b0a090807060504',
    plaintext: '',
    aad: 'api_keys|prev_salt|7d1f0c2b-5a4e-4b3c-9e8d-1a2b3c4d5e6f',
    stored: '$ke$1$-k7Q2mZ9a-0f0e0d0c0b0a090807060504-a607a2dfd571e41cf92b4ec12c083f54',
  },
];

const SECRET = 'correct horse battery staple';
const AAD = 'basicauth_credentials|password|5f0c1e2a-3b4d-4c6e-8f90-a1b2c3d4e5f6';

function cipherWith(keys: readonly KeyringKey[], active: string | null) {
  const holder = createKeyringHolder();
  holder.replace(withKeys(holder.current(), keys, active));
  return createKeyringCipher(holder);
}

/** Asserts `fn` throws a PortcullisError with `code` whose message matches `says` and never shows `SECRET`. */
function assertFails(fn: () => unknown, code: string, says: RegExp, label: string): void {
  assert.throws(
    fn,
    (err: unknown) => {
      assert.ok(err instanceof PortcullisError, `${label}: ${String(err)}`);
      assert.equal(err.code, code, `${label}: ${err.message}`);
      assert.match(err.message, says, label);
      assert.ok(!err.message.includes(SECRET), `${label}: the message shows the plaintext`);
      return true;
    },
    label,
  );
}

/** Replaces the hex digit at `index` of `text` by another one. */
function changeDigit(text: string, index: number): string {
  const next = text[index] === '0' ? '1' : '0';
  return text.slice(0, index) + next + text.slice(index + 1);
}

describe('keyring cipher', () => {
  describe('known answers', () => {
    for (const c of MCGREW_VIEGA) {
      it(`encrypts and decrypts McGrew–Viega ${c.name} exactly`, () => {
        const stored = encryptWith(c.key, c.plaintext, '', hex(c.nonce));
        assert.equal(stored, `$ke$1$-${c.key.id}-${c.nonce}-${c.body}`);
        assert.equal(decryptWith(c.key, parseCiphertext(stored)!, ''), c.plaintext);
      });
    }

    it('decrypts McGrew–Viega test case 15 (its tag verifies) and refuses it with one tag bit changed', () => {
      const stored = `$ke$1$-${MV_KEY.id}-${MV_CASE_15.nonce}-${MV_CASE_15.body}`;
      assert.equal(decryptWith(MV_KEY, parseCiphertext(stored)!, ''), MV_CASE_15.plaintext.toString('utf8'));
      const tampered = stored.slice(0, -1) + (stored.endsWith('c') ? 'd' : 'c');
      assertFails(() => decryptWith(MV_KEY, parseCiphertext(tampered)!, ''), 'PC_KEYRING_DECRYPT_FAILED', /authentication tag/, 'case 15 tampered');
    });

    for (const [i, v] of PYTHON_VECTORS.entries()) {
      it(`produces and reads the $ke$1$ value computed with Python's cryptography (vector ${i + 1})`, () => {
        assert.equal(encryptWith(v.key, v.plaintext, v.aad, hex(v.nonce)), v.stored);
        assert.equal(cipherWith([KEY_A, KEY_B], KEY_A.id).decrypt(v.stored, v.aad), v.plaintext);
      });
    }
  });

  describe('format', () => {
    it('stores $ke$1$-<active key id>-<24 hex nonce>-<ciphertext + 16-byte tag in lowercase hex>', () => {
      const cipher = cipherWith([KEY_A, KEY_B], KEY_B.id);
      for (const plaintext of ['', 'a', SECRET, 'é'.repeat(300), '{"nested":[1,2,3]}']) {
        const stored = cipher.encrypt(plaintext, AAD);
        const m = /^\$ke\$1\$-([A-Za-z0-9]{8})-([0-9a-f]{24})-([0-9a-f]+)$/.exec(stored);
        assert.ok(m, stored);
        assert.equal(m[1], KEY_B.id);
        assert.equal(m[3]!.length, 2 * (Buffer.byteLength(plaintext) + 16), `body of ${JSON.stringify(plaintext)}`);
        assert.equal(ciphertextKeyId(stored), KEY_B.id);
        assert.equal(cipher.decrypt(stored, AAD), plaintext);
      }
    });

    it('draws a fresh nonce for each of 10,000 encryptions of the same value', () => {
      const cipher = cipherWith([KEY_A], KEY_A.id);
      const nonces = new Set<string>();
      const values = new Set<string>();
      for (let i = 0; i < 10_000; i++) {
        const stored = cipher.encrypt(SECRET, AAD);
        nonces.add(parseCiphertext(stored)!.nonce.toString('hex'));
        values.add(stored);
      }
      assert.equal(nonces.size, 10_000);
      assert.equal(values.size, 10_000);
    });

    it('decrypts values of a key that is no longer the active one', () => {
      const holder = createKeyringHolder();
      holder.replace(withKeys(holder.current(), [KEY_A], KEY_A.id));
      const cipher = createKeyringCipher(holder);
      const old = cipher.encrypt(SECRET, AAD);
      holder.replace(withKeys(holder.current(), [KEY_B], KEY_B.id));
      assert.equal(ciphertextKeyId(cipher.encrypt(SECRET, AAD)), KEY_B.id);
      assert.equal(cipher.decrypt(old, AAD), SECRET);
    });

    it('reports each encryption with the key it used', () => {
      const holder = createKeyringHolder();
      holder.replace(withKeys(holder.current(), [KEY_A, KEY_B], KEY_A.id));
      const used: string[] = [];
      const cipher = createKeyringCipher(holder, { onEncrypt: (id) => used.push(id) });
      cipher.encrypt(SECRET, AAD);
      holder.replace(withKeys(holder.current(), [], KEY_B.id));
      cipher.encrypt(SECRET, AAD);
      cipher.decrypt(cipher.encrypt(SECRET, AAD), AAD);
      assert.deepEqual(used, [KEY_A.id, KEY_B.id, KEY_B.id]);
    });
  });

  describe('refusals', () => {
    const cipher = cipherWith([KEY_A, KEY_B], KEY_A.id);
    const stored = cipher.encrypt(SECRET, AAD);
    const nonceAt = '$ke$1$-'.length + 9;
    const bodyAt = nonceAt + 25;
    const tagAt = stored.length - 32;

    it('refuses a value whose nonce, ciphertext or tag was changed with PC_KEYRING_DECRYPT_FAILED naming the key and the row', () => {
      const positions = {
        nonce: [nonceAt, nonceAt + 11, nonceAt + 23],
        ciphertext: [bodyAt, bodyAt + 17, tagAt - 1],
        tag: [tagAt, tagAt + 15, stored.length - 1],
      };
      for (const [part, indexes] of Object.entries(positions)) {
        for (const index of indexes) {
          assertFails(
            () => cipher.decrypt(changeDigit(stored, index), AAD),
            'PC_KEYRING_DECRYPT_FAILED',
            /basicauth_credentials 5f0c1e2a-3b4d-4c6e-8f90-a1b2c3d4e5f6 field password \(keyring key k7Q2mZ9a\).*tag does not match/,
            `${part} digit ${index}`,
          );
        }
      }
    });

    it('refuses a value relabelled with another held key id with PC_KEYRING_DECRYPT_FAILED', () => {
      assertFails(() => cipher.decrypt(stored.replace(KEY_A.id, KEY_B.id), AAD), 'PC_KEYRING_DECRYPT_FAILED', /keyring key Rt8xLq0W/, 'relabelled');
    });

    it('refuses a value of a key the node does not hold with PC_KEYRING_KEY_MISSING naming the key id', () => {
      for (const id of ['Zz9Yy8Xx', 'k7Q2mZ9b', 'K7Q2MZ9A']) {
        assertFails(
          () => cipher.decrypt(stored.replace(KEY_A.id, id), AAD),
          'PC_KEYRING_KEY_MISSING',
          new RegExp(`keyring key ${id}, which this node does not hold`),
          id,
        );
      }
      assertFails(() => cipherWith([KEY_B], KEY_B.id).decrypt(stored, AAD), 'PC_KEYRING_KEY_MISSING', /keyring key k7Q2mZ9a/, 'key removed');
    });

    it('refuses a value moved to another row, field or entity (its AAD) with PC_KEYRING_DECRYPT_FAILED', () => {
      for (const aad of [
        'basicauth_credentials|password|5f0c1e2a-3b4d-4c6e-8f90-a1b2c3d4e5f7',
        'basicauth_credentials|username|5f0c1e2a-3b4d-4c6e-8f90-a1b2c3d4e5f6',
        'api_keys|password|5f0c1e2a-3b4d-4c6e-8f90-a1b2c3d4e5f6',
        'basicauth_credentials|password|',
        'password|basicauth_credentials|5f0c1e2a-3b4d-4c6e-8f90-a1b2c3d4e5f6',
        `${AAD} `,
        '',
      ]) {
        assertFails(() => cipher.decrypt(stored, aad), 'PC_KEYRING_DECRYPT_FAILED', /cannot be decrypted/, `aad ${aad}`);
      }
    });

    it('refuses a truncated value with PC_KEYRING_DECRYPT_FAILED', () => {
      for (const length of [0, 4, 7, 10, nonceAt + 5, bodyAt - 1, bodyAt, bodyAt + 31, bodyAt + 32, stored.length - 2, stored.length - 1]) {
        assertFails(() => cipher.decrypt(stored.slice(0, length), AAD), 'PC_KEYRING_DECRYPT_FAILED', /cannot be decrypted/, `cut at ${length}`);
      }
      // The empty plaintext's value is its tag alone: one byte less and it is not a value at all.
      const empty = cipher.encrypt('', AAD);
      assertFails(() => cipher.decrypt(empty.slice(0, -2), AAD), 'PC_KEYRING_DECRYPT_FAILED', /not a well-formed/, 'tag cut');
    });

    it('refuses upper-case hex, extra or missing separators and other versions as not well formed', () => {
      const variants = {
        'upper-case nonce': stored.slice(0, nonceAt) + stored.slice(nonceAt, nonceAt + 24).toUpperCase() + stored.slice(nonceAt + 24),
        'upper-case body': stored.slice(0, bodyAt) + stored.slice(bodyAt).toUpperCase(),
        'upper-case marker': stored.replace('$ke$', '$KE$'),
        'separator inside the body': `${stored.slice(0, bodyAt + 8)}-${stored.slice(bodyAt + 8)}`,
        'trailing separator': `${stored}-`,
        'doubled separator': stored.replace(`${KEY_A.id}-`, `${KEY_A.id}--`),
        'missing separator': stored.replace(`${KEY_A.id}-`, KEY_A.id),
        'odd number of hex digits': `${stored}0`,
        'version 2': stored.replace('$ke$1$', '$ke$2$'),
        'trailing newline': `${stored}\n`,
        'leading space': ` ${stored}`,
        'short key id': stored.replace(KEY_A.id, KEY_A.id.slice(1)),
        'key id with a symbol': stored.replace(KEY_A.id, 'k7Q2mZ9_'),
        'marker only': '$ke$1$-',
      };
      for (const [name, value] of Object.entries(variants)) {
        assertFails(() => cipher.decrypt(value, AAD), 'PC_KEYRING_DECRYPT_FAILED', /not a well-formed \$ke\$1\$ value/, name);
        assert.equal(ciphertextKeyId(value), null, name);
      }
    });

    it('refuses to encrypt without an active key with PC_KEYRING_EMPTY', () => {
      assertFails(() => cipherWith([], null).encrypt(SECRET, AAD), 'PC_KEYRING_EMPTY', /no active key/, 'empty keyring');
      assertFails(() => cipherWith([generateKey(0)], null).encrypt(SECRET, AAD), 'PC_KEYRING_EMPTY', /no active key/, 'keys, none active');
    });
  });
});
