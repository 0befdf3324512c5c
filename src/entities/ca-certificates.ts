/**
 * CA certificates (Kong's entity): a trusted CA for verifying upstreams (a service's
 * `ca_certificates`) and, later, clients. `cert` is one PEM certificate that is a CA
 * (basicConstraints CA:TRUE) and valid now; `cert_digest`, the SHA-256 of its DER in lowercase
 * hex, is computed and unique, so the same CA stored twice is 409. A CA certificate a service
 * lists cannot be deleted (409 naming the services).
 */
import Type from 'typebox';
import type { BaseEntity, EntityDefinition } from './entity.js';
import { Tags } from './common-schemas.js';
import { MAX_CERTIFICATE_PEM_LENGTH, parseCertificateChain } from '../tls/certificate-chain.js';
import { certificateValidity, sha256Hex } from '../tls/certificate-facts.js';
import { caCertificateOutput } from './certificate-output.js';

export interface CaCertificate extends BaseEntity {
  readonly cert: string;
  readonly cert_digest: string;
  readonly tags: readonly string[];
}

export const CaCertificateInput = Type.Object(
  {
    cert: Type.String({ minLength: 1, maxLength: MAX_CERTIFICATE_PEM_LENGTH, description: 'One PEM CA certificate' }),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);

/** Why `pem` cannot be a CA certificate at `nowMs`, or null. */
export function caCertificateProblem(pem: unknown, nowMs: number): string | null {
  if (typeof pem !== 'string') return 'is required';
  const parsed = parseCertificateChain(pem);
  if (!parsed.ok) return parsed.problem;
  if (parsed.chain.length > 1) return `holds ${parsed.chain.length} certificates; a CA certificate holds one (add each CA on its own)`;
  const cert = parsed.chain[0]!;
  if (!cert.ca) return 'is not a CA certificate (its basicConstraints extension does not say CA:TRUE)';
  return certificateValidity(cert, nowMs);
}

export const caCertificatesDefinition: EntityDefinition<CaCertificate> = {
  name: 'ca_certificates',
  singular: 'CA certificate',
  path: 'ca_certificates',
  inputSchema: CaCertificateInput,
  fields: {
    cert: { kind: 'string' },
    cert_digest: { kind: 'string', unique: true },
    tags: { kind: 'json' },
  },
  defaults: { tags: [] },
  normalize(input) {
    // Computed from the certificate on every write, whatever was stored before.
    const parsed = typeof input['cert'] === 'string' ? parseCertificateChain(input['cert']) : null;
    return { ...input, cert_digest: parsed?.ok ? sha256Hex(parsed.chain[0]!.raw) : null };
  },
  check(ca) {
    const problem = caCertificateProblem(ca.cert, Date.now());
    return problem ? [{ path: 'cert', message: problem }] : [];
  },
  output: caCertificateOutput(),
};
