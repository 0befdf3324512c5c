/**
 * What the Admin API shows of a JSON config whose schema marks fields `encrypted` (a plugin's
 * upstream password, a vault's token): a literal secret shows as null — it was written once and is
 * never read back — while a `{vault://…}` reference shows as written, since it names the secret
 * without being it. A client that reads, edits and writes a config back must send the secret again.
 */
import { mapPaths } from '../store/row-codec.js';

export function redactSecrets(config: unknown, encryptedPaths: readonly (readonly string[])[]): unknown {
  if (encryptedPaths.length === 0) return config;
  return mapPaths(config, encryptedPaths, '', (value) => (typeof value === 'string' && !value.includes('{vault://') ? null : value));
}
