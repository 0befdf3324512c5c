/**
 * The two Conjur REST paths the backend calls, built from the endpoint and percent-encoded as the
 * Conjur OpenAPI spec asks: the account, the login and the variable id are each ONE path segment,
 * so `host/apps/portcullis` travels as `host%2Fapps%2Fportcullis` and `prod/db/pass` as
 * `prod%2Fdb%2Fpass` (`@ + & =` and spaces are encoded too: `%40 %2B %26 %3D %20`).
 *
 * - authenticate: `POST {endpoint}/authn/{account}/{login}/authenticate`
 * - read a secret: `GET {endpoint}/secrets/{account}/variable/{id}[?version=N]`
 */

/** A version as Conjur numbers them: 1, 2, … (it keeps the last 20). */
const VERSION = /^[1-9][0-9]{0,9}$/;

export interface ConjurPaths {
  /** Where the login's API key is exchanged for an access token. */
  readonly authenticate: string;
  /** The URL of variable `id` (version `version`, or the current value for null); null when `id` or `version` cannot be one. */
  variable(id: string, version: string | null): string | null;
}

/**
 * The endpoint without trailing slashes (a path such as Conjur Cloud's `/api` is kept); null when
 * it is not an http(s) URL, or carries credentials, a query or a fragment.
 */
export function conjurBase(endpointUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(endpointUrl);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return null;
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * `value` encoded as one path segment; null for text that cannot be one: empty, a lone surrogate
 * (which `encodeURIComponent` refuses), or `.` / `..` (URL parsing would resolve them, even
 * encoded as `%2E`, and send the request to another path).
 */
function segment(value: string): string | null {
  if (value === '' || value === '.' || value === '..') return null;
  try {
    return encodeURIComponent(value);
  } catch {
    return null;
  }
}

/** The paths for `account` and `login` under `base` (from `conjurBase`); null when the account or login cannot be one segment. */
export function conjurPaths(base: string, account: string, login: string): ConjurPaths | null {
  const acct = segment(account);
  const who = segment(login);
  if (acct === null || who === null) return null;
  return {
    authenticate: `${base}/authn/${acct}/${who}/authenticate`,
    variable(id, version) {
      const encoded = segment(id);
      if (encoded === null) return null;
      if (version !== null && !VERSION.test(version)) return null;
      return `${base}/secrets/${acct}/variable/${encoded}${version === null ? '' : `?version=${version}`}`;
    },
  };
}
