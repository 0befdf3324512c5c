/**
 * A certificate or key setting given as PEM text or as the path of a PEM file (like
 * `keyring_public_key`): text starting with `-----BEGIN` is used as it is, anything else is read
 * from that file (at most 64 KiB). Problems name the setting and the path, never the content: a
 * value that is neither PEM nor a plausible path may be key material pasted without its armour.
 */
import { readFileSync, statSync } from 'node:fs';

/** The PEM text, or why it could not be read. */
export type PemSetting = { readonly pem: string } | { readonly problem: string };

const MAX_PEM_BYTES = 64 * 1024;

/** Reads `valueOrPath` for `setting` (its config key, named in problems). */
export function readPemSetting(valueOrPath: string, setting: string): PemSetting {
  if (valueOrPath.trimStart().startsWith('-----BEGIN')) return { pem: valueOrPath };
  if (valueOrPath.trim() === '') return { problem: `${setting}: is empty: give PEM text or the path of a PEM file` };
  const plausiblePath = valueOrPath.length <= 1024 && !/[\r\n]/.test(valueOrPath) && !/^[A-Za-z0-9+/=]{64,}$/.test(valueOrPath);
  const where = plausiblePath ? valueOrPath : 'the configured path (not shown: the value is neither PEM text nor a plausible path)';
  try {
    const stat = statSync(valueOrPath);
    if (!stat.isFile()) return { problem: `${setting}: cannot read ${where}: it is not a file` };
    if (stat.size > MAX_PEM_BYTES) return { problem: `${setting}: cannot read ${where}: ${stat.size} bytes is more than ${MAX_PEM_BYTES}` };
    const text = readFileSync(valueOrPath, 'utf8');
    return text.includes('-----BEGIN') ? { pem: text } : { problem: `${setting}: ${where} does not hold PEM text (no -----BEGIN line)` };
  } catch (err) {
    return { problem: `${setting}: cannot read ${where} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})` };
  }
}
