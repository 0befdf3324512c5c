/**
 * The built-in `env` vault: `{vault://env/my-secret}` reads `MY_SECRET` (upper-cased, `-` → `_`),
 * with an optional `?prefix=` option (Kong's). A `/<json key>` reads that key of a JSON value.
 * Other vault backends (hcv, aws, gcp, azure, conjur) come with the secrets-management work.
 */
import { parseVaultReference } from './reference.js';

export class VaultReferenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultReferenceError';
  }
}

/** Resolves an `env` reference from `env`; throws a VaultReferenceError naming the reference, never a value. */
export function resolveEnvReference(reference: string, env: Readonly<Record<string, string | undefined>>): string {
  const parsed = parseVaultReference(reference);
  if (!parsed) throw new VaultReferenceError(`${reference} is not a valid vault reference`);
  if (parsed.prefix !== 'env') throw new VaultReferenceError(`${reference}: only the env vault is available in this version`);
  const name = `${parsed.options['prefix'] ?? ''}${parsed.resource}`.toUpperCase().replace(/-/g, '_');
  const raw = env[name];
  if (raw === undefined) throw new VaultReferenceError(`${reference}: environment variable ${name} is not set`);
  if (parsed.key === null) return raw;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new VaultReferenceError(`${reference}: ${name} does not hold JSON`);
  }
  const value = (json as Record<string, unknown> | null)?.[parsed.key];
  if (typeof value !== 'string') throw new VaultReferenceError(`${reference}: key "${parsed.key}" is missing or not a string`);
  return value;
}
