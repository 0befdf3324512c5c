/**
 * The Secret Manager resource name a reference reads: `{vault://gcp/db-password#3}` in project `p`
 * is `projects/p/secrets/db-password/versions/3`, or `projects/p/locations/l/secrets/…` for a vault
 * with a `location`. The reference picks the secret and version only: the project and location
 * come from the vault, so the parts are checked against Secret Manager's own syntax here.
 */

/** Secret ids: letters, digits, `-` and `_`, at most 255 (secret-manager/docs/creating-and-accessing-secrets). */
const SECRET_ID = /^[A-Za-z0-9_-]{1,255}$/;
/** A version number, `latest`, or a version alias: a letter, then up to 62 letters, digits, `-`, `_`. */
const VERSION = /^(?:[1-9][0-9]{0,18}|[A-Za-z][A-Za-z0-9_-]{0,62})$/;

export interface SecretVersionScope {
  readonly project_id: string;
  readonly location?: string;
}

/** The resource name to access, or null when `resource` or `version` cannot name a secret version. */
export function secretVersionName(scope: SecretVersionScope, resource: string, version: string | null): string | null {
  const v = version ?? 'latest';
  if (!SECRET_ID.test(resource) || !VERSION.test(v)) return null;
  const parent = scope.location === undefined ? `projects/${scope.project_id}` : `projects/${scope.project_id}/locations/${scope.location}`;
  return `${parent}/secrets/${resource}/versions/${v}`;
}
