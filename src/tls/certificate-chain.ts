/**
 * Reads a PEM certificate chain as an operator uploads it: one or more CERTIFICATE blocks, the
 * first the leaf, the others its intermediates. Refuses, with a message that never quotes the
 * input, what cannot be one: no certificate, a private key pasted in the wrong field, another
 * kind of block, more than ten certificates, more than 64 KiB, a block that does not parse.
 */
import { X509Certificate } from 'node:crypto';
import { readPemBlocks } from './pem-blocks.js';

/** Largest certificate chain accepted, in characters of PEM. */
export const MAX_CERTIFICATE_PEM_LENGTH = 64 * 1024;
/** Most certificates in one chain (leaf and intermediates). */
export const MAX_CHAIN_LENGTH = 10;

export type ChainResult = { readonly ok: true; readonly chain: readonly X509Certificate[] } | { readonly ok: false; readonly problem: string };

/** Parses `pem`; `chain[0]` is the leaf. */
export function parseCertificateChain(pem: string): ChainResult {
  if (pem.length > MAX_CERTIFICATE_PEM_LENGTH) return { ok: false, problem: `is larger than ${MAX_CERTIFICATE_PEM_LENGTH / 1024} KiB` };
  const read = readPemBlocks(pem, MAX_CHAIN_LENGTH);
  if (!read.ok) return read;
  const { blocks } = read;
  if (blocks.length === 0) return { ok: false, problem: 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)' };
  // A key pasted into a certificate field would be stored unencrypted and shown: refuse it first.
  if (blocks.some((b) => b.label.includes('PRIVATE KEY'))) return { ok: false, problem: 'holds a private key; only certificates belong here' };
  const other = blocks.find((b) => b.label !== 'CERTIFICATE');
  if (other) return { ok: false, problem: `holds a ${other.label} block; only CERTIFICATE blocks belong here` };
  if (blocks.length > MAX_CHAIN_LENGTH) return { ok: false, problem: `holds more than ${MAX_CHAIN_LENGTH} certificates` };
  const chain: X509Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      chain.push(new X509Certificate(block.text));
    } catch {
      return { ok: false, problem: blocks.length === 1 ? 'is not a valid certificate' : `certificate ${i + 1} of the chain is not a valid certificate` };
    }
  }
  return { ok: true, chain };
}
