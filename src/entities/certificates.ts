/**
 * Certificates (Kong's entity): a PEM chain (`cert`, leaf first) and its private key (`key`),
 * optionally an alternate pair of the other key type (`cert_alt`/`key_alt`: ECDSA beside RSA),
 * and `snis`, shorthand for the SNI entities naming it (store/certificate-dao.ts). The keys are
 * encrypted by the keyring and never shown; every field may hold a `{vault://…}` reference.
 * Checked at write time (certificate-checks.ts); shown with their facts (certificate-output.ts).
 */
import Type from 'typebox';
import type { BaseEntity, EntityDefinition } from './entity.js';
import { Tags } from './common-schemas.js';
import { MAX_CERTIFICATE_PEM_LENGTH } from '../tls/certificate-chain.js';
import { MAX_PRIVATE_KEY_PEM_LENGTH } from '../tls/private-key.js';
import { MAX_SNI_NAME_LENGTH, normalizeSniName } from '../tls/sni-name.js';
import { certificateProblems } from './certificate-checks.js';
import { certificateOutput } from './certificate-output.js';

export interface Certificate extends BaseEntity {
  readonly cert: string;
  readonly key: string;
  readonly cert_alt: string | null;
  readonly key_alt: string | null;
  readonly tags: readonly string[];
}

/** A certificate as the store returns it: with the names of its SNIs, sorted. */
export interface CertificateWithSnis extends Certificate {
  readonly snis: readonly string[];
}

/** Most SNI names one certificate's `snis` may set. */
export const MAX_SNIS_PER_CERTIFICATE = 500;

const CertPem = Type.String({
  minLength: 1,
  maxLength: MAX_CERTIFICATE_PEM_LENGTH,
  description: 'PEM certificate chain, leaf first (at most 10), or a {vault://…} reference',
});
const KeyPem = Type.String({ minLength: 1, maxLength: MAX_PRIVATE_KEY_PEM_LENGTH, description: 'PEM private key (unencrypted), or a {vault://…} reference' });

export const CertificateInput = Type.Object(
  {
    cert: CertPem,
    key: KeyPem,
    cert_alt: Type.Optional(Type.Union([CertPem, Type.Null()])),
    key_alt: Type.Optional(Type.Union([KeyPem, Type.Null()])),
    snis: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: MAX_SNI_NAME_LENGTH }), {
        maxItems: MAX_SNIS_PER_CERTIFICATE,
        description: 'Sets the SNIs of this certificate to exactly these names (absent: unchanged)',
      }),
    ),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);

export const certificatesDefinition: EntityDefinition<Certificate> = {
  name: 'certificates',
  singular: 'certificate',
  inputSchema: CertificateInput,
  fields: {
    cert: { kind: 'string', referenceable: true },
    key: { kind: 'string', encrypted: true, referenceable: true, writeOnly: true },
    cert_alt: { kind: 'string', referenceable: true },
    key_alt: { kind: 'string', encrypted: true, referenceable: true, writeOnly: true },
    tags: { kind: 'json' },
  },
  defaults: { cert_alt: null, key_alt: null, tags: [] },
  normalize(input) {
    const snis = input['snis'];
    return Array.isArray(snis) ? { ...input, snis: snis.map((n) => (typeof n === 'string' ? normalizeSniName(n) : n)) } : { ...input };
  },
  check: (certificate) => certificateProblems(certificate, Date.now()),
  output: certificateOutput(),
};
