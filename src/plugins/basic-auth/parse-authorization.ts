/**
 * Parses an `Authorization: Basic …` header strictly (RFC 7617 over RFC 7235):
 * `credentials = "Basic" 1*SP token68`, the scheme matched case-insensitively, the token68 being
 * canonical standard base64 (alphabet A–Z a–z 0–9 + /, padding exactly as needed, nothing that
 * re-encodes differently), decoding to valid UTF-8 `user-id ":" password`, split at the first
 * colon (the password may contain colons; the user-id cannot). Control characters (0x00–0x1F,
 * 0x7F) are refused in both, and an empty user-id is refused; an empty password is allowed.
 * The header length is capped before any decoding. Pure: failures are values, for the log only.
 */
import { isUtf8 } from 'node:buffer';
import { Secret } from '../../observability/secret.js';

/** Headers longer than this are refused before decoding. */
export const MAX_AUTHORIZATION_LENGTH = 4096;

/** Why a header was refused; for logs only (every failure answers the client the same way). */
export type BasicAuthFailure =
  'missing' | 'too_long' | 'not_basic' | 'invalid_base64' | 'invalid_utf8' | 'missing_colon' | 'empty_username' | 'control_character';

/** The parsed credentials, the password wrapped so it cannot be logged by accident. */
export type BasicCredentials =
  { readonly ok: true; readonly username: string; readonly password: Secret<string> } | { readonly ok: false; readonly reason: BasicAuthFailure };

const CREDENTIALS = /^([A-Za-z]+)(?: +(.*))?$/s;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const CONTROL = /[\x00-\x1f\x7f]/;

/** Parses the value of an Authorization header; `undefined` when the request has none. */
export function parseBasicAuthorization(header: string | undefined): BasicCredentials {
  if (header === undefined || header === '') return fail('missing');
  if (header.length > MAX_AUTHORIZATION_LENGTH) return fail('too_long');
  const match = CREDENTIALS.exec(header);
  if (match === null || match[1]?.toLowerCase() !== 'basic') return fail('not_basic');
  const token = match[2] ?? '';
  if (token === '' || !BASE64.test(token)) return fail('invalid_base64');
  const bytes = Buffer.from(token, 'base64');
  // Canonical form only: refuses non-zero padding bits, which decode to the same bytes.
  if (bytes.toString('base64') !== token) return fail('invalid_base64');
  if (!isUtf8(bytes)) return fail('invalid_utf8');
  const decoded = bytes.toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return fail('missing_colon');
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (username === '') return fail('empty_username');
  if (CONTROL.test(username) || CONTROL.test(password)) return fail('control_character');
  return { ok: true, username, password: new Secret(password) };
}

function fail(reason: BasicAuthFailure): BasicCredentials {
  return { ok: false, reason };
}
