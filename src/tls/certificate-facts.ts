/**
 * What the Admin API shows of a certificate (and the proxy logs of one it loads): subject,
 * issuer, the names it is valid for, its validity window in Unix seconds and its SHA-256
 * fingerprint (lowercase hex of the DER, as a CA certificate's `cert_digest`); whether it is
 * valid at a given time; and the warning given when it expires within 30 days.
 */
import { createHash, type X509Certificate } from 'node:crypto';

export interface CertificateFacts {
  /** RFC 4514-style, most significant first as the certificate lists it: `C=…, O=…, CN=…`. */
  readonly subject: string;
  readonly issuer: string;
  /** The DNS names and IP addresses of its subjectAltName extension (the names TLS clients check). */
  readonly sans: readonly string[];
  readonly not_before: number;
  readonly not_after: number;
  readonly fingerprint_sha256: string;
}

/** A certificate that expires within this many days gets a warning. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_SECONDS = 86_400;

export function certificateFacts(cert: X509Certificate): CertificateFacts {
  return {
    subject: cert.subject.split('\n').join(', '),
    issuer: cert.issuer.split('\n').join(', '),
    sans: subjectAltNames(cert.subjectAltName),
    not_before: unixSeconds(cert.validFrom),
    not_after: unixSeconds(cert.validTo),
    fingerprint_sha256: sha256Hex(cert.raw),
  };
}

/** SHA-256 of a certificate's DER, lowercase hex. */
export function sha256Hex(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/** Why `cert` cannot be used at `nowMs` (expired, or not valid yet), or null. */
export function certificateValidity(cert: X509Certificate, nowMs: number): string | null {
  const now = Math.floor(nowMs / 1000);
  const from = unixSeconds(cert.validFrom);
  const to = unixSeconds(cert.validTo);
  if (to < now) return `has expired (not after ${isoDate(to)})`;
  if (from > now) return `is not valid yet (not before ${isoDate(from)})`;
  return null;
}

/** The warning for a certificate whose validity ends within EXPIRY_WARNING_DAYS of `nowMs` (or has ended), or null. */
export function expiryWarning(facts: Pick<CertificateFacts, 'not_after'>, nowMs: number, label: string): string | null {
  const left = facts.not_after - Math.floor(nowMs / 1000);
  if (left < 0) return `${label} has expired (not after ${isoDate(facts.not_after)})`;
  if (left > EXPIRY_WARNING_DAYS * DAY_SECONDS) return null;
  const days = Math.floor(left / DAY_SECONDS);
  return `${label} expires in ${days === 0 ? 'less than a day' : `${days} day${days === 1 ? '' : 's'}`} (not after ${isoDate(facts.not_after)})`;
}

/**
 * The DNS and IP entries of Node's subjectAltName text (`DNS:a.test, IP Address:127.0.0.1`). Node
 * writes a value holding a comma or a quote as a JSON string (`DNS:"a, b"`), read as such here;
 * IPv6 addresses come back in their short form (`::1`).
 */
export function subjectAltNames(text: string | undefined): string[] {
  const names: string[] = [];
  let rest = text ?? '';
  while (rest.length > 0) {
    const colon = rest.indexOf(':');
    if (colon === -1) break;
    const type = rest.slice(0, colon).trim();
    let value: string;
    rest = rest.slice(colon + 1);
    if (rest.startsWith('"')) {
      const close = closingQuote(rest);
      value = jsonString(rest.slice(0, close + 1));
      rest = rest.slice(close + 1);
    } else {
      const comma = rest.indexOf(', ');
      value = comma === -1 ? rest : rest.slice(0, comma);
      rest = comma === -1 ? '' : rest.slice(comma);
    }
    rest = rest.replace(/^, /, '');
    if (type === 'DNS') names.push(value);
    else if (type === 'IP Address') names.push(value.includes(':') ? shortIpv6(value) : value);
  }
  return names;
}

function closingQuote(text: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return text.length - 1;
}

function jsonString(quoted: string): string {
  try {
    return String(JSON.parse(quoted));
  } catch {
    return quoted;
  }
}

function shortIpv6(value: string): string {
  try {
    return new URL(`http://[${value}]/`).hostname.slice(1, -1);
  } catch {
    return value;
  }
}

function unixSeconds(text: string): number {
  return Math.floor(Date.parse(text) / 1000);
}

function isoDate(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
