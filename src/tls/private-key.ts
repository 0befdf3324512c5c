/**
 * Reads a PEM private key as an operator uploads it (PKCS#8 `PRIVATE KEY`, or the traditional
 * `RSA PRIVATE KEY` / `EC PRIVATE KEY`, an `EC PARAMETERS` block before it allowed), and says
 * which keys a TLS certificate may use: RSA of at least 2048 bits, or ECDSA on P-256, P-384 or
 * P-521 — what every TLS client accepts. Messages never quote the input.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readPemBlocks } from './pem-blocks.js';

/** Largest private key accepted, in characters of PEM (an RSA key of 16384 bits fits). */
export const MAX_PRIVATE_KEY_PEM_LENGTH = 16 * 1024;
export const MIN_RSA_BITS = 2048;

/** The key types a certificate pair may have; an alternate pair must use the other one. */
export type TlsKeyType = 'rsa' | 'ecdsa';

const KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);
const CURVES: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

export type KeyResult = { readonly ok: true; readonly key: KeyObject } | { readonly ok: false; readonly problem: string };

/** Parses `pem` into a private KeyObject. */
export function parsePrivateKey(pem: string): KeyResult {
  if (pem.length > MAX_PRIVATE_KEY_PEM_LENGTH) return { ok: false, problem: `is larger than ${MAX_PRIVATE_KEY_PEM_LENGTH / 1024} KiB` };
  const read = readPemBlocks(pem, 2);
  if (!read.ok) return read;
  const blocks = read.blocks.filter((b) => b.label !== 'EC PARAMETERS');
  if (blocks.some((b) => b.label === 'CERTIFICATE')) return { ok: false, problem: 'holds a certificate; only the private key belongs here' };
  if (blocks.some((b) => b.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(b.text))) {
    return { ok: false, problem: 'is encrypted with a passphrase; give it unencrypted (the keyring encrypts it at rest)' };
  }
  if (blocks.length === 0) return { ok: false, problem: 'holds no PEM private key (-----BEGIN PRIVATE KEY-----)' };
  if (blocks.length > 1) return { ok: false, problem: 'holds more than one PEM block; give one private key' };
  const [block] = blocks as [(typeof blocks)[0]];
  if (!KEY_LABELS.has(block.label)) return { ok: false, problem: `holds a ${block.label} block, not a private key` };
  try {
    return { ok: true, key: createPrivateKey({ key: block.text, format: 'pem' }) };
  } catch {
    // OpenSSL's message says nothing useful to an operator and is not echoed.
    return { ok: false, problem: 'is not a valid private key' };
  }
}

/** The TLS key type of a public or private key, or why a certificate cannot use it. */
export function tlsKeyType(key: KeyObject): { readonly type: TlsKeyType } | { readonly problem: string } {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    return bits >= MIN_RSA_BITS ? { type: 'rsa' } : { problem: `is an RSA key of ${bits} bits; at least ${MIN_RSA_BITS} are required` };
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = details.namedCurve ?? 'unknown';
    return CURVES[curve] ? { type: 'ecdsa' } : { problem: `uses the elliptic curve ${curve}; P-256, P-384 and P-521 are supported` };
  }
  return { problem: `is a ${key.asymmetricKeyType ?? 'unknown'} key; RSA and ECDSA keys are supported` };
}
