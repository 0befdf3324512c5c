/**
 * SNI names, as the `snis` entity and a certificate's `snis` shorthand take them: a DNS host name
 * of letters, digits and hyphens (labels of 1–63 characters, at most 253 in all), exact or with
 * one leading wildcard label (`*.example.com`, which matches one label as TLS clients match a
 * wildcard certificate; `*.internal` is allowed: which certificate answers a private suffix is the
 * operator's call). Stored lowercase. Refused, each with its own message: a port, a trailing
 * dot, an IP address (clients send no SNI for one), a wildcard anywhere but the whole leftmost
 * label, a bare `*` (that is the default certificate's job), and non-ASCII (give the punycode).
 */

export const MAX_SNI_NAME_LENGTH = 253;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** The stored form of a name: lowercase. */
export function normalizeSniName(name: string): string {
  return name.toLowerCase();
}

/** Why `name` cannot be an SNI name, or null. */
export function sniNameProblem(name: string): string | null {
  if (name.length === 0) return 'must not be empty';
  if (name.length > MAX_SNI_NAME_LENGTH) return `is longer than ${MAX_SNI_NAME_LENGTH} characters`;
  if (/[\u0080-\uffff]/.test(name)) return 'holds non-ASCII characters; give an internationalised name in its punycode form (xn--…)';
  if (/^[^:]+:[0-9]*$/.test(name)) return 'must not carry a port';
  if (name.includes(':') || /^\[.*\]$/.test(name)) return 'is an IP address; TLS clients send no SNI for an address (the default certificate answers them)';
  if (name.endsWith('.')) return 'must not end with a dot';
  if (name === '*') return 'a bare * would match every name: that is what the default certificate (tls_default_cert) is for';
  const labels = name.startsWith('*.') ? name.slice(2).split('.') : name.split('.');
  if (labels.some((l) => l.includes('*'))) return 'may hold one wildcard, as its whole leftmost label (*.example.com)';
  for (const label of labels) {
    if (label.length === 0) return 'has an empty label (two dots in a row, or a leading dot)';
    if (label.length > 63) return 'has a label longer than 63 characters';
    if (!LABEL.test(label)) {
      return /^[a-z0-9-]+$/i.test(label) ? 'has a label that starts or ends with a hyphen' : 'may hold only letters, digits, hyphens and dots';
    }
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return 'is an IP address or ends in an all-numeric label; TLS clients send no SNI for an address';
  return null;
}
