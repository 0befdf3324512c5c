/** Reading an uploaded private key (PKCS#8, PKCS#1, SEC1) and the key types a TLS certificate may use. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createSelfSignedTestCertificate } from '../../test/support/certificates.js';
import { MAX_PRIVATE_KEY_PEM_LENGTH, parsePrivateKey, tlsKeyType } from './private-key.js';

const rsa = (bits: number, type: 'pkcs8' | 'pkcs1' = 'pkcs8') =>
  generateKeyPairSync('rsa', { modulusLength: bits, privateKeyEncoding: { type, format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
const ec = (namedCurve: string, type: 'pkcs8' | 'sec1' = 'pkcs8') =>
  generateKeyPairSync('ec', { namedCurve, privateKeyEncoding: { type, format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

describe('parsePrivateKey', () => {
  const accepted: [string, string][] = [
    ['PKCS#8 RSA', rsa(2048).privateKey],
    ['PKCS#1 RSA (RSA PRIVATE KEY)', rsa(2048, 'pkcs1').privateKey],
    ['PKCS#8 ECDSA', ec('prime256v1').privateKey],
    ['SEC1 ECDSA (EC PRIVATE KEY)', ec('secp384r1', 'sec1').privateKey],
    [
      'SEC1 ECDSA after an EC PARAMETERS block',
      `-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n${ec('prime256v1', 'sec1').privateKey}`,
    ],
  ];
  for (const [what, pem] of accepted) {
    it(`reads ${what}`, () => {
      const parsed = parsePrivateKey(pem);
      assert.ok(parsed.ok, 'problem' in parsed ? parsed.problem : '');
      assert.equal(parsed.key.type, 'private');
    });
  }

  it('refuses, naming the problem and never quoting the input:', async (t) => {
    const key = rsa(2048).privateKey;
    const body = key.split('\n')[1]!;
    const encrypted = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    }).privateKey;
    const legacyEncrypted = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    }).privateKey;
    const self = await createSelfSignedTestCertificate({ names: ['key.test'] });
    const cases: [string, string, RegExp][] = [
      ['garbage', 'not a key', /holds no PEM private key/],
      ['a certificate', self.cert, /holds a certificate/],
      ['a key followed by its certificate', self.key + self.cert, /holds a certificate/],
      ['a public key', rsa(2048).publicKey, /holds a PUBLIC KEY block/],
      ['an encrypted PKCS#8 key', encrypted, /encrypted with a passphrase/],
      ['an encrypted PKCS#1 key', legacyEncrypted, /encrypted with a passphrase/],
      ['two keys', key + self.key, /more than one PEM block/],
      ['a corrupt body', key.replace(body, body.slice(0, 10) + 'AAAA' + body.slice(14)), /is not a valid private key/],
      ['more than 16 KiB', key + ' '.repeat(MAX_PRIVATE_KEY_PEM_LENGTH), /larger than 16 KiB/],
    ];
    for (const [what, pem, problem] of cases) {
      await t.test(what, () => {
        const parsed = parsePrivateKey(pem);
        assert.ok(!parsed.ok);
        assert.match(parsed.problem, problem);
        assert.ok(!parsed.problem.includes(body.slice(0, 16)));
      });
    }
  });
});

describe('tlsKeyType', () => {
  const cases: [string, () => string, string][] = [
    ['RSA 2048', () => rsa(2048).privateKey, 'rsa'],
    ['RSA 3072', () => rsa(3072).privateKey, 'rsa'],
    ['ECDSA P-256', () => ec('prime256v1').privateKey, 'ecdsa'],
    ['ECDSA P-384', () => ec('secp384r1').privateKey, 'ecdsa'],
    ['ECDSA P-521', () => ec('secp521r1').privateKey, 'ecdsa'],
  ];
  for (const [what, make, type] of cases) {
    it(`says ${what} is ${type}`, () => {
      const parsed = parsePrivateKey(make());
      assert.ok(parsed.ok);
      assert.deepEqual(tlsKeyType(parsed.key), { type });
    });
  }

  const refused: [string, () => string, RegExp][] = [
    ['RSA 1024', () => rsa(1024).privateKey, /RSA key of 1024 bits; at least 2048/],
    ['ECDSA secp256k1', () => ec('secp256k1').privateKey, /curve secp256k1/],
    ['Ed25519', () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), /ed25519 key; RSA and ECDSA/],
  ];
  for (const [what, make, problem] of refused) {
    it(`refuses ${what}`, () => {
      const parsed = parsePrivateKey(make());
      assert.ok(parsed.ok);
      const type = tlsKeyType(parsed.key);
      assert.ok('problem' in type);
      assert.match(type.problem, problem);
    });
  }
});
