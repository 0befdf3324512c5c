/**
 * Whether a certificate and a private key, both PEM, make a usable pair: the certificate parses
 * (the first one of a chain is the leaf), the key parses (an encrypted key cannot be used: the
 * node has no passphrase), and the key is the certificate's. Problems are short sentences that
 * never quote the PEM. What a server needs to serve the pair at all, dates aside (an expired
 * default certificate only warns); the Admin API's stricter write-time check is key-pair-check.ts.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';

export type KeyPairCheck = { readonly ok: true; readonly leaf: X509Certificate } | { readonly ok: false; readonly problem: string };

/** Checks `certPem` and `keyPem` belong together; never throws. */
export function usableKeyPair(certPem: string, keyPem: string): KeyPairCheck {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certPem);
  } catch {
    return { ok: false, problem: 'the certificate is not a PEM X.509 certificate' };
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    const encrypted = /passphrase|encrypted/i.test((err as Error).message ?? '') || /ENCRYPTED/.test(keyPem.slice(0, 64));
    return { ok: false, problem: encrypted ? 'the private key is encrypted (give it unencrypted)' : 'the private key is not a PEM private key' };
  }
  let matches = false;
  try {
    matches = leaf.checkPrivateKey(key);
  } catch {
    // A key of another type than the certificate's: not its key either.
  }
  if (!matches) return { ok: false, problem: 'the private key does not belong to the certificate' };
  return { ok: true, leaf };
}
