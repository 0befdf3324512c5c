/**
 * What the `hcv` backend says when Vault answers with a status it cannot use: Vault's own `errors`
 * text, short, on one line, with every credential the backend holds cut out and anything shaped
 * like a Vault token (`hvs.…`, `hvb.…`, `s.…`) masked, should a proxy in front of Vault echo a
 * request into its error. Statuses other than 403 and 404 are `unavailable`: 3xx (not followed),
 * 412 (an Enterprise replica not caught up), 429 (a rate limit quota), 5xx and 503 (sealed) are
 * worth trying again later; a 400 on a read means a Vault this client does not understand.
 */
import { VaultBackendError } from '../../vault-backend.js';

const TOKEN_SHAPED = /\b(?:hv[sbr]|s|b|r)\.[A-Za-z0-9_-]{16,}/g;

/** Vault's `errors` as one line of at most 200 characters, credentials cut out; '' when none. */
export function vaultErrorText(body: unknown, credentials: readonly string[]): string {
  const list = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(list)) return '';
  let text = list.filter((e): e is string => typeof e === 'string').join('; ');
  for (const secret of credentials) if (secret !== '') text = text.split(secret).join('[redacted]');
  return text.replace(TOKEN_SHAPED, '[redacted]').replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** `unavailable` for an answer that is neither success nor a refusal the caller handles itself. */
export function unexpectedAnswer(status: number, body: unknown, what: string, credentials: readonly string[]): VaultBackendError {
  if (status >= 300 && status < 400) {
    return new VaultBackendError(
      'unavailable',
      `hcv: Vault answered with a redirect (${status}) ${what}, which is not followed: point host at the active node`,
    );
  }
  const said = vaultErrorText(body, credentials);
  return new VaultBackendError('unavailable', `hcv: Vault answered ${status} ${what}${said === '' ? '' : ` (${said})`}`);
}
