/**
 * The write-time rules of a certificate, checked by its definition: each pair parses, is valid
 * now and matches (tls/key-pair-check.ts); `cert_alt` and `key_alt` come together, and the
 * alternate pair uses the other key type (an ECDSA pair beside an RSA one, as Kong requires); the
 * `snis` shorthand holds valid, distinct SNI names. A field holding a `{vault://…}` reference is
 * not read (its value is unknown until the node resolves it, and checks it then); what can be
 * checked without it still is. A field that mentions a reference without being one is refused.
 */
import type { FieldError } from '../errors/portcullis-error.js';
import { findFieldReference } from '../secrets/reference.js';
import { checkKeyPair, KEY_MISMATCH } from '../tls/key-pair-check.js';
import type { TlsKeyType } from '../tls/private-key.js';
import { normalizeSniName, sniNameProblem } from '../tls/sni-name.js';

const TYPE_NAMES: Readonly<Record<TlsKeyType, string>> = { rsa: 'an RSA', ecdsa: 'an ECDSA' };

/** The PEM text of a field; null when it holds a reference or nothing; or why it is neither. */
export function literalPem(value: unknown): { readonly pem: string | null } | { readonly problem: string } {
  if (typeof value !== 'string') return { pem: null };
  const found = findFieldReference(value);
  if (found.kind === 'none') return { pem: value };
  if (found.kind === 'malformed') return { problem: found.problem };
  if (found.before !== '' || found.after !== '') return { problem: 'holds a vault reference inside other text; a reference must be the whole value' };
  return { pem: null };
}

/** Every problem of a certificate about to be written, at `nowMs`. */
export function certificateProblems(entity: Readonly<Record<string, unknown>>, nowMs: number): FieldError[] {
  const errors: FieldError[] = [];
  for (const field of ['cert', 'key']) if (typeof entity[field] !== 'string') errors.push({ path: field, message: 'is required' });
  const main = pairProblems(entity, 'cert', 'key', nowMs, errors);
  const certAlt = entity['cert_alt'] != null;
  if (certAlt !== (entity['key_alt'] != null)) {
    errors.push({ path: certAlt ? 'key_alt' : 'cert_alt', message: 'is required with the other: give cert_alt and key_alt together, or neither' });
  } else if (certAlt) {
    const alt = pairProblems(entity, 'cert_alt', 'key_alt', nowMs, errors);
    if (main !== null && main === alt) {
      errors.push({ path: 'cert_alt', message: `uses ${TYPE_NAMES[alt]} key like cert; the alternate pair must use the other type (RSA beside ECDSA)` });
    }
  }
  errors.push(...sniListProblems(entity['snis']));
  return errors;
}

/** Checks one pair into `errors`; returns its key type when known. */
function pairProblems(entity: Readonly<Record<string, unknown>>, certField: string, keyField: string, nowMs: number, errors: FieldError[]): TlsKeyType | null {
  const cert = literalPem(entity[certField]);
  const key = literalPem(entity[keyField]);
  if ('problem' in cert) errors.push({ path: certField, message: cert.problem });
  if ('problem' in key) errors.push({ path: keyField, message: key.problem });
  const report = checkKeyPair({ cert: 'pem' in cert ? cert.pem : null, key: 'pem' in key ? key.pem : null }, nowMs);
  if (report.certProblem) errors.push({ path: certField, message: report.certProblem });
  if (report.keyProblem) errors.push({ path: keyField, message: report.keyProblem === KEY_MISMATCH ? `${KEY_MISMATCH} in ${certField}` : report.keyProblem });
  return report.keyType;
}

/** Problems of the `snis` shorthand: each a valid SNI name, none twice (compared lowercase). */
export function sniListProblems(snis: unknown): FieldError[] {
  if (snis === undefined || snis === null) return [];
  if (!Array.isArray(snis)) return [{ path: 'snis', message: 'must be an array of names' }];
  const errors: FieldError[] = [];
  const seen = new Map<string, number>();
  snis.forEach((name, i) => {
    const problem = typeof name === 'string' ? sniNameProblem(name) : 'must be a string';
    if (problem) return void errors.push({ path: `snis.${i}`, message: problem });
    const normal = normalizeSniName(name as string);
    const first = seen.get(normal);
    if (first !== undefined) errors.push({ path: `snis.${i}`, message: `repeats snis.${first}` });
    else seen.set(normal, i);
  });
  return errors;
}
