/**
 * Which TLS certificate answers a handshake: the SNI bindings of one runtime state, compiled into
 * an exact-name table and a wildcard table. Lookup: the exact name first, then the wildcard whose
 * suffix matches (`*.example.com` covers `a.example.com`, neither `a.b.example.com` nor
 * `example.com`), case-insensitive, a trailing dot ignored.
 *
 * Each certificate's TLS lane (`tls-lane.ts`: its secure context) is made at most once per state,
 * when a handshake first asks for it: a state is rebuilt on every configuration change, and making
 * thousands of contexts each time would hold the event loop for seconds. What can be known
 * without OpenSSL (a PEM that could not be loaded) is checked when the state is built.
 *
 * It fails closed: a name bound to a certificate that could not be loaded (its key unreadable with
 * the keyring, a vault reference that failed, a bad PEM, a key that does not match) is
 * `'unusable'`, and the listener refuses the handshake rather than answer with the default
 * certificate, which would look like a working site to a client that ignores name errors.
 */
import type { Server as TlsServer } from 'node:tls';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { createTlsLane, type TlsPairs, type TlsProtocolOptions } from './tls-lane.js';

/** A certificate entity with its PEMs resolved (references and encrypted fields already read). */
export interface CertificateMaterial {
  readonly id: string;
  /** Null when it could not be loaded (unreadable with the keyring, or its vault reference failed). */
  readonly cert: string | null;
  readonly key: string | null;
  /** The optional second pair (e.g. ECDSA beside RSA); null when absent or not loaded. */
  readonly cert_alt: string | null;
  readonly key_alt: string | null;
}

/** An SNI entity: a name (exact, or one leading `*.` label) bound to a certificate. */
export interface SniBinding {
  readonly name: string;
  readonly certificate: { readonly id: string };
}

export interface CertificateIndexOptions extends TlsProtocolOptions {
  readonly logger: Logger;
}

/** A certificate ready to serve: the lane its connections are handed to. */
export interface ServedCertificate {
  readonly id: string;
  readonly lane: TlsServer;
}

/** The certificates of one runtime state; immutable once built. */
export interface CertificateIndex {
  /**
   * The certificate for a handshake's server name; `'none'` when no SNI binding matches (the
   * listener then uses its default certificate, or refuses with `tls_require_sni`); `'unusable'`
   * when the matching certificate cannot be served (refuse the handshake).
   */
  contextFor(serverName: string | undefined): ServedCertificate | 'none' | 'unusable';
}

/** A DNS name is at most 253 characters (plus the trailing dot); longer matches nothing. */
const MAX_NAME_LENGTH = 254;

/** Builds the index; every bound certificate's lane is made here, failures logged once per id. */
export function createCertificateIndex(
  certificates: readonly CertificateMaterial[],
  snis: readonly SniBinding[],
  options: CertificateIndexOptions,
): CertificateIndex {
  const materials = new Map(certificates.map((c) => [c.id, c] as const));
  const refuse = (id: string, reason: string): 'unusable' => {
    // The reason names what failed, never the material (no PEM in logs).
    options.logger.warn({ certificate: id, reason }, 'TLS certificate cannot be used: handshakes for its names are refused');
    return 'unusable';
  };
  // Per certificate id, shared by all its names: its pairs (checked now), then its lane (made on first use).
  const pairsById = new Map<string, TlsPairs | 'unusable'>();
  const served = new Map<string, ServedCertificate | 'unusable'>();
  const pairsOf = (id: string): TlsPairs | 'unusable' => {
    let pairs = pairsById.get(id);
    if (pairs === undefined) {
      const checked = pairsFrom(materials.get(id));
      pairs = typeof checked === 'string' ? refuse(id, checked) : checked;
      pairsById.set(id, pairs);
    }
    return pairs;
  };
  const servedOf = (id: string): ServedCertificate | 'unusable' => {
    let found = served.get(id);
    if (found === undefined) {
      const pairs = pairsById.get(id)!;
      found = pairs === 'unusable' ? pairs : laneOf(id, pairs, options, refuse);
      served.set(id, found);
    }
    return found;
  };

  const exact = new Map<string, string>();
  const wildcard = new Map<string, string>();
  for (const sni of snis) {
    const name = normalise(sni.name);
    if (name === null) continue;
    const table = name.startsWith('*.') ? wildcard : exact;
    const key = table === wildcard ? name.slice(1) : name;
    // Names are unique in the store; should two ever collide, the first binding keeps the name.
    if (table.has(key)) continue;
    table.set(key, sni.certificate.id);
    pairsOf(sni.certificate.id);
  }

  return Object.freeze({
    contextFor(serverName: string | undefined) {
      const name = serverName === undefined ? null : normalise(serverName);
      if (name === null) return 'none';
      let id = exact.get(name);
      if (id === undefined) {
        // An IP address has no labels to wildcard (clients do not send one as SNI anyway).
        const dot = name.indexOf('.');
        if (dot <= 0 || isIP(name) !== 0) return 'none';
        id = wildcard.get(name.slice(dot));
        if (id === undefined) return 'none';
      }
      return servedOf(id);
    },
  });
}

/** Lower-cased without one trailing dot; null for what can name no certificate. */
function normalise(name: string): string | null {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) return null;
  const lower = name.toLowerCase();
  const bare = lower.endsWith('.') ? lower.slice(0, -1) : lower;
  return bare.length === 0 ? null : bare;
}

/** The pairs of a certificate whose PEMs were all loaded, or why it cannot be served. */
function pairsFrom(material: CertificateMaterial | undefined): TlsPairs | string {
  if (material === undefined) return 'the certificate does not exist';
  if (material.cert === null || material.key === null) return 'its certificate or key could not be loaded';
  if (material.cert_alt === null && material.key_alt === null) return { cert: material.cert, key: material.key };
  if (material.cert_alt === null || material.key_alt === null) return 'its alternate certificate or key could not be loaded';
  // One chain per key: OpenSSL picks the pair the client's signature algorithms allow.
  return { cert: [material.cert, material.cert_alt], key: [material.key, material.key_alt] };
}

function laneOf(
  id: string,
  pairs: TlsPairs,
  options: CertificateIndexOptions,
  refuse: (id: string, reason: string) => 'unusable',
): ServedCertificate | 'unusable' {
  try {
    return Object.freeze({ id, lane: createTlsLane(pairs, options) });
  } catch (err) {
    return refuse(id, safeReason(err));
  }
}

/** OpenSSL's reason (`key values mismatch`, `no start line`): short, and never the PEM itself. */
function safeReason(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : '';
  const reason = /::([^:]+)$/.exec(message.trim())?.[1];
  if (reason !== undefined && !reason.includes('-----')) return reason;
  return typeof code === 'string' ? code : 'the secure context could not be created';
}
