/**
 * Checks a certificate and its private key as a TLS listener (or an mTLS client) will use them:
 * the chain parses, its leaf is valid now (not expired, not yet valid), both use a supported key
 * type, and the key is the leaf's (`X509Certificate.checkPrivateKey`). Either side may be unknown
 * (null: a `{vault://…}` reference not resolved at write time); what can be checked still is.
 * The Admin API checks at write time; the node checks again after resolving references, before
 * it builds a secure context, so a pair that fails never serves.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import { parseCertificateChain } from './certificate-chain.js';
import { parsePrivateKey, tlsKeyType, type TlsKeyType } from './private-key.js';
import { certificateValidity } from './certificate-facts.js';

/** The key problem of a readable pair whose key is not the certificate's. */
export const KEY_MISMATCH = 'does not match the certificate';

export interface KeyPairInput {
  /** The PEM chain, leaf first; null when it cannot be known now. */
  readonly cert: string | null;
  /** The PEM private key; null when it cannot be known now. */
  readonly key: string | null;
}

export interface KeyPairReport {
  /** What is wrong with the certificate, or null. */
  readonly certProblem: string | null;
  /** What is wrong with the key (including: it does not match the certificate), or null. */
  readonly keyProblem: string | null;
  /** The pair's key type, read from the certificate or else from the key; null when neither was read. */
  readonly keyType: TlsKeyType | null;
  /** The parsed chain, leaf first, when the certificate was read. */
  readonly chain: readonly X509Certificate[] | null;
}

/** Checks what of `input` is known, at `nowMs`. */
export function checkKeyPair(input: KeyPairInput, nowMs: number): KeyPairReport {
  let certProblem: string | null = null;
  let keyProblem: string | null = null;
  let keyType: TlsKeyType | null = null;
  let chain: readonly X509Certificate[] | null = null;
  let key: KeyObject | null = null;
  if (input.cert !== null) {
    const parsed = parseCertificateChain(input.cert);
    if (!parsed.ok) certProblem = parsed.problem;
    else {
      chain = parsed.chain;
      const leaf = parsed.chain[0]!;
      const type = tlsKeyType(leaf.publicKey);
      certProblem = certificateValidity(leaf, nowMs) ?? ('problem' in type ? `has a public key that ${type.problem}` : null);
      if ('type' in type) keyType = type.type;
    }
  }
  if (input.key !== null) {
    const parsed = parsePrivateKey(input.key);
    if (!parsed.ok) keyProblem = parsed.problem;
    else {
      const type = tlsKeyType(parsed.key);
      if ('problem' in type) keyProblem = type.problem;
      else {
        key = parsed.key;
        keyType ??= type.type;
      }
    }
  }
  if (chain && key && keyProblem === null && !chain[0]!.checkPrivateKey(key)) keyProblem = KEY_MISMATCH;
  return { certProblem, keyProblem, keyType, chain };
}
