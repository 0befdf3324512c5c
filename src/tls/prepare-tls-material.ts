/**
 * The prepare step for TLS (before the proxy state's synchronous build): every certificate's and CA
 * certificate's fields with their `{vault://…}` references resolved, and the references in use for
 * the resolver's rotation (a rotated certificate rebuilds the secure contexts). A certificate that
 * cannot be loaded — unreadable with the keyring, a reference that fails, a resolved pair that does
 * not match — keeps its id with null PEMs: the SNI index and the upstream client then fail closed
 * for it instead of serving something else. Nothing here logs or returns PEM text.
 */
import type { Logger } from 'pino';
import type { SecretResolver } from '../secrets/secret-resolver.js';
import { findFieldReference } from '../secrets/reference.js';
import { unreadableError } from '../store/unreadable.js';
import { checkKeyPair } from './key-pair-check.js';
import type { CertificateMaterial } from '../proxy/tls/certificate-index.js';

/** The fields of a stored certificate this step reads. */
export interface StoredCertificate {
  readonly id: string;
  readonly cert: string;
  readonly key: string;
  readonly cert_alt: string | null;
  readonly key_alt: string | null;
}

export interface CaMaterial {
  readonly id: string;
  readonly cert: string | null;
}

export interface PreparedTlsMaterial {
  readonly certificates: CertificateMaterial[];
  readonly caCertificates: CaMaterial[];
  /** Each reference in use → where (`certificates/<id>:key`). */
  readonly uses: Map<string, string[]>;
}

const PAIR_FIELDS = ['cert', 'key', 'cert_alt', 'key_alt'] as const;

export async function prepareTlsMaterial(
  certificates: readonly StoredCertificate[],
  caCertificates: readonly { readonly id: string; readonly cert: string }[],
  resolver: Pick<SecretResolver, 'resolveField'>,
  logger: Logger,
): Promise<PreparedTlsMaterial> {
  const uses = new Map<string, string[]>();
  const use = (value: string | null, where: string) => {
    const found = value === null ? null : findFieldReference(value);
    if (found?.kind === 'reference') uses.set(found.reference, [...(uses.get(found.reference) ?? []), where]);
    return found?.kind === 'reference';
  };
  const unloadable = (id: string): CertificateMaterial => ({ id, cert: null, key: null, cert_alt: null, key_alt: null });

  const prepared = await Promise.all(
    certificates.map(async (stored): Promise<CertificateMaterial> => {
      if (unreadableError(stored)) {
        logger.error({ certificate: stored.id }, 'certificate unreadable with the keyring: its SNIs refuse handshakes');
        return unloadable(stored.id);
      }
      let referenced = false;
      for (const field of PAIR_FIELDS) referenced = use(stored[field], `certificates/${stored.id}:${field}`) || referenced;
      try {
        const [cert, key, certAlt, keyAlt] = await Promise.all(PAIR_FIELDS.map((f) => (stored[f] === null ? null : resolver.resolveField(stored[f]!))));
        const material = { id: stored.id, cert: cert!, key: key!, cert_alt: certAlt ?? null, key_alt: keyAlt ?? null };
        // Literal pairs were checked at write time; resolved ones only now.
        if (referenced) {
          const problem = pairProblem(material.cert, material.key) ?? (material.cert_alt ? pairProblem(material.cert_alt, material.key_alt ?? '') : null);
          if (problem) {
            logger.error({ certificate: stored.id, problem }, 'certificate from a vault reference cannot be used: its SNIs refuse handshakes');
            return unloadable(stored.id);
          }
        }
        return material;
      } catch (err) {
        logger.error(
          { certificate: stored.id, code: (err as { code?: string }).code },
          'certificate reference could not be resolved: its SNIs refuse handshakes',
        );
        return unloadable(stored.id);
      }
    }),
  );

  const cas = await Promise.all(
    caCertificates.map(async (ca): Promise<CaMaterial> => {
      if (unreadableError(ca)) return { id: ca.id, cert: null };
      use(ca.cert, `ca_certificates/${ca.id}:cert`);
      try {
        return { id: ca.id, cert: await resolver.resolveField(ca.cert) };
      } catch (err) {
        logger.error({ ca_certificate: ca.id, code: (err as { code?: string }).code }, 'CA certificate reference could not be resolved');
        return { id: ca.id, cert: null };
      }
    }),
  );
  return { certificates: prepared, caCertificates: cas, uses };
}

/** Why a resolved pair cannot be used (never quoting it), or null. */
function pairProblem(cert: string, key: string): string | null {
  const report = checkKeyPair({ cert, key }, Date.now());
  return report.certProblem ? `cert ${report.certProblem}` : report.keyProblem ? `key ${report.keyProblem}` : null;
}
