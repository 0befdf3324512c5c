/**
 * A service's TLS settings toward its upstream, resolved once per runtime state: whether the
 * upstream's certificate is verified (and how deep its chain may be), the extra CAs it is
 * verified against, the client certificate presented for mTLS, and the SNI sent. `identity` is a
 * digest of all of it, so the pool can keep one set of connections per distinct setting (a
 * rotated CA or client certificate gets new connections; connections never mix settings).
 *
 * A service that references a CA or client certificate that is missing or could not be loaded is
 * `'unusable'`: the proxy refuses it (502 PC_PROXY_UPSTREAM_TLS_CONFIG) rather than connect with
 * less than it was configured with (no client certificate, the system store alone).
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { Service } from '../entities/services.js';

/** What the pool needs to open verified TLS connections to one service's upstream. */
export interface UpstreamTls {
  /** Verify the upstream's certificate chain and host name (`tls_verify`, default on). */
  readonly verify: boolean;
  /** `tls_verify_depth`: most intermediate CA certificates between the leaf and the trust anchor; null = no limit of ours. */
  readonly depth: number | null;
  /** Extra CA PEMs trusted besides the system store (`ca_certificates`), or null for the system store alone. */
  readonly ca: readonly string[] | null;
  /** The client certificate (PEM, chain allowed) and its key for mTLS, or both null. */
  readonly cert: string | null;
  readonly key: string | null;
  /** The SNI sent: the service host, or null when the host is an IP literal (RFC 6066 forbids IP SNI). */
  readonly servername: string | null;
  /** A stable digest of every field above (never the key itself): what pools are keyed by. */
  readonly identity: string;
}

/** Where the certificates a service references are found, already resolved (vault references, keyring). */
export interface UpstreamTlsLookup {
  /** The CA PEM of `id`: undefined when no such CA certificate exists, null when it could not be loaded. */
  caCertificate(id: string): string | null | undefined;
  /** The certificate and key of `id`: undefined when no such certificate exists, null when it could not be loaded. */
  clientCertificate(id: string): { readonly cert: string; readonly key: string } | null | undefined;
}

/** Which reference made a service unusable: `ca_certificates.<i>` or `client_certificate`, and the id it names. */
export interface UpstreamTlsProblem {
  readonly field: string;
  readonly id: string;
  readonly reason: 'missing' | 'unloadable';
}

/** The TLS fields a service gains (read defensively: older rows and test objects may lack them). */
interface ServiceTlsFields {
  readonly tls_verify?: boolean | null;
  readonly tls_verify_depth?: number | null;
  readonly ca_certificates?: readonly string[] | null;
  readonly client_certificate?: { readonly id: string } | null;
}

/** The TLS settings of `service`, or `'unusable'` (with `onProblem` told why) when a reference cannot be honoured. */
export function upstreamTlsFor(service: Service, lookup: UpstreamTlsLookup, onProblem?: (problem: UpstreamTlsProblem) => void): UpstreamTls | 'unusable' {
  const fields = service as Service & ServiceTlsFields;
  const ca: string[] = [];
  const caIds = fields.ca_certificates ?? [];
  for (let i = 0; i < caIds.length; i++) {
    const pem = lookup.caCertificate(caIds[i]!);
    if (pem == null) return unusable(onProblem, `ca_certificates.${i}`, caIds[i]!, pem);
    ca.push(pem);
  }
  let cert: string | null = null;
  let key: string | null = null;
  const client = fields.client_certificate;
  if (client != null) {
    const pair = lookup.clientCertificate(client.id);
    if (pair == null) return unusable(onProblem, 'client_certificate', client.id, pair);
    ({ cert, key } = pair);
  }
  const verify = fields.tls_verify ?? true;
  const depth = fields.tls_verify_depth ?? null;
  const servername = sniOf(service.host);
  const settings = { verify, depth, ca: ca.length > 0 ? ca : null, cert, key, servername };
  return Object.freeze({ ...settings, identity: identityOf(settings) });
}

/** The SNI for `host`: none for an IP literal (bracketed IPv6 included). */
export function sniOf(host: string): string | null {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return isIP(bare) === 0 ? bare : null;
}

function unusable(onProblem: ((problem: UpstreamTlsProblem) => void) | undefined, field: string, id: string, found: null | undefined): 'unusable' {
  onProblem?.({ field, id, reason: found === undefined ? 'missing' : 'unloadable' });
  return 'unusable';
}

/**
 * SHA-256 over the settings in a fixed order, each length-prefixed so no two settings collide.
 * The key is high-entropy material, so its digest reveals nothing; the digest is only ever a map
 * key inside this process.
 */
function identityOf(settings: Omit<UpstreamTls, 'identity'>): string {
  const hash = createHash('sha256').update('portcullis upstream tls v1');
  const part = (value: string | null) => hash.update(value === null ? '~;' : `${value.length}:${value};`);
  part(String(settings.verify));
  part(String(settings.depth));
  part(String(settings.ca?.length ?? -1));
  for (const pem of settings.ca ?? []) part(pem);
  part(settings.cert);
  part(settings.key);
  part(settings.servername);
  return hash.digest('hex');
}
