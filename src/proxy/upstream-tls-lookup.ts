/**
 * The CA and client certificates services reference, as the runtime snapshot holds them (PEMs
 * already resolved from the keyring and vault references), checked before use: a CA must parse
 * and be a CA; a client certificate must parse and its key must match it. Each is checked once,
 * on the first service that references it, and reported once when it cannot be used, by id and
 * reason only (never PEM text).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { UpstreamTlsLookup } from './upstream-tls.js';

/** A CA certificate of the snapshot; `cert` null = could not be loaded (unreadable, its reference failed). */
export interface CaCertificateMaterial {
  readonly id: string;
  readonly cert: string | null;
}

/** A certificate of the snapshot usable as a client certificate; null fields = could not be loaded. */
export interface ClientCertificateMaterial {
  readonly id: string;
  readonly cert: string | null;
  readonly key: string | null;
}

/** Why a referenced certificate is not used: its kind (as the Admin API names it), id and a short reason. */
export type UnloadableCertificate = (kind: 'ca_certificates' | 'certificates', id: string, reason: string) => void;

/** Bounds of what is parsed: a chain of a few certificates, one key (as the certificates entity allows). */
const MAX_CERT_CHARS = 64 * 1024;
const MAX_KEY_CHARS = 16 * 1024;

/** A lookup over the snapshot's certificates; `onUnloadable` hears of each one that cannot be used. */
export function createUpstreamTlsLookup(
  material: { readonly caCertificates?: readonly CaCertificateMaterial[]; readonly clientCertificates?: readonly ClientCertificateMaterial[] },
  onUnloadable: UnloadableCertificate = () => {},
): UpstreamTlsLookup {
  const cas = new Map((material.caCertificates ?? []).map((c) => [c.id, c] as const));
  const clients = new Map((material.clientCertificates ?? []).map((c) => [c.id, c] as const));
  const checkedCas = new Map<string, string | null>();
  const checkedClients = new Map<string, { cert: string; key: string } | null>();

  return {
    caCertificate(id) {
      const found = cas.get(id);
      if (found === undefined) return undefined;
      let checked = checkedCas.get(id);
      if (checked === undefined) {
        const problem = caProblem(found.cert);
        if (problem !== null) onUnloadable('ca_certificates', id, problem);
        checked = problem === null ? found.cert : null;
        checkedCas.set(id, checked);
      }
      return checked;
    },
    clientCertificate(id) {
      const found = clients.get(id);
      if (found === undefined) return undefined;
      let checked = checkedClients.get(id);
      if (checked === undefined) {
        const problem = clientProblem(found.cert, found.key);
        if (problem !== null) onUnloadable('certificates', id, problem);
        checked = problem === null ? { cert: found.cert!, key: found.key! } : null;
        checkedClients.set(id, checked);
      }
      return checked;
    },
  };
}

function caProblem(pem: string | null): string | null {
  if (pem === null) return 'its certificate could not be loaded';
  if (pem.length > MAX_CERT_CHARS) return `its certificate is over ${MAX_CERT_CHARS} characters`;
  const parsed = parse(pem);
  if (parsed === null) return 'its certificate is not a PEM certificate';
  return parsed.ca ? null : 'its certificate is not a CA certificate (basicConstraints CA:TRUE)';
}

function clientProblem(cert: string | null, key: string | null): string | null {
  if (cert === null || key === null) return `its ${cert === null ? 'certificate' : 'key'} could not be loaded`;
  if (cert.length > MAX_CERT_CHARS) return `its certificate is over ${MAX_CERT_CHARS} characters`;
  if (key.length > MAX_KEY_CHARS) return `its key is over ${MAX_KEY_CHARS} characters`;
  const parsed = parse(cert);
  if (parsed === null) return 'its certificate is not a PEM certificate';
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    return 'its key is not a PEM private key';
  }
  return parsed.checkPrivateKey(privateKey) ? null : 'its key does not match its certificate';
}

/** The first certificate of `pem`, or null when it does not parse (the error text is not kept: it may quote input). */
function parse(pem: string): X509Certificate | null {
  try {
    return new X509Certificate(pem);
  } catch {
    return null;
  }
}
