/**
 * What the Admin API shows of certificates and CA certificates besides their stored fields, read
 * from the PEM on each response: subject, issuer, the names it serves (`sans`), validity (Unix
 * seconds), SHA-256 fingerprint, and `warnings` when it expires within 30 days (or has expired
 * since it was stored). A certificate's alternate pair shows the same facts under `alt`. A field
 * holding a `{vault://…}` reference shows null facts: the node reads it when it resolves it.
 */
import Type, { type TSchema } from 'typebox';
import { parseCertificateChain } from '../tls/certificate-chain.js';
import { certificateFacts, expiryWarning, type CertificateFacts } from '../tls/certificate-facts.js';
import type { EntityOutput } from './entity.js';

const nullable = (schema: TSchema) => Type.Union([schema, Type.Null()]);

/** What a CA certificate shows; a certificate shows its names (`sans`) too. */
const CA_FACTS = {
  subject: nullable(Type.String({ description: 'Subject of the (leaf) certificate, e.g. `CN=api.example.com`' })),
  issuer: nullable(Type.String()),
  not_before: nullable(Type.Integer({ description: 'Unix time in seconds' })),
  not_after: nullable(Type.Integer({ description: 'Unix time in seconds' })),
  fingerprint_sha256: nullable(Type.String({ description: 'SHA-256 of the DER, lowercase hex' })),
};
const FACTS = { ...CA_FACTS, sans: nullable(Type.Array(Type.String(), { description: 'DNS names and IP addresses of its subjectAltName' })) };
const NO_FACTS = { subject: null, issuer: null, sans: null, not_before: null, not_after: null, fingerprint_sha256: null };
const Warnings = Type.Array(Type.String(), { description: 'e.g. that the certificate expires within 30 days' });

/** The facts of the leaf of a PEM chain; null for a reference or anything unreadable. */
export function pemFacts(pem: unknown): CertificateFacts | null {
  if (typeof pem !== 'string' || pem.includes('{vault://')) return null;
  const parsed = parseCertificateChain(pem);
  return parsed.ok ? certificateFacts(parsed.chain[0]!) : null;
}

function warnings(nowMs: number, facts: Readonly<Record<string, CertificateFacts | null>>): string[] {
  return Object.entries(facts).flatMap(([label, f]) => (f ? [expiryWarning(f, nowMs, label)].filter((w): w is string => w !== null) : []));
}

/** A certificate's output: its SNI names (from the store), the facts of `cert` and of `cert_alt` (`alt`), warnings. */
export function certificateOutput(now: () => number = Date.now): EntityOutput {
  return {
    properties: {
      snis: Type.Array(Type.String(), { description: 'Names of the SNIs of this certificate, sorted' }),
      ...FACTS,
      alt: nullable(Type.Object(FACTS, { description: 'The facts of cert_alt' })),
      warnings: Warnings,
    },
    show(shown) {
      const main = pemFacts(shown['cert']);
      const alt = shown['cert_alt'] == null ? null : pemFacts(shown['cert_alt']);
      return {
        snis: Array.isArray(shown['snis']) ? shown['snis'] : [],
        ...(main ?? NO_FACTS),
        alt: shown['cert_alt'] == null ? null : (alt ?? NO_FACTS),
        warnings: warnings(now(), { cert: main, cert_alt: alt }),
      };
    },
  };
}

/** A CA certificate's output: the facts of `cert` but its names, and warnings. */
export function caCertificateOutput(now: () => number = Date.now): EntityOutput {
  return {
    properties: { ...CA_FACTS, warnings: Warnings },
    show(shown) {
      const f = pemFacts(shown['cert']);
      return {
        subject: f?.subject ?? null,
        issuer: f?.issuer ?? null,
        not_before: f?.not_before ?? null,
        not_after: f?.not_after ?? null,
        fingerprint_sha256: f?.fingerprint_sha256 ?? null,
        warnings: warnings(now(), { cert: f }),
      };
    },
  };
}
