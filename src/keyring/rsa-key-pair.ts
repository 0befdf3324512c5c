/**
 * The RSA keys of the keyring as configured: `keyring_public_key`, `keyring_private_key` and
 * `keyring_recovery_public_key` are PEM text or a file path (`readPem`), and the embedded default
 * keeps a pair in the data folder, made at the first start (`ensureKeyPair`). Several processes
 * starting at once on one data folder end with one pair: each file is written whole to a temp
 * file and linked into place, which fails when the name exists, so the first link wins and the
 * others read the winner's files.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, linkSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { PortcullisError } from '../errors/portcullis-error.js';
import { ensurePrivateFolder, errnoCode, syncFolder, unlinkQuietly, writeSyncedTempFile } from './keyring-blob-file.js';
import { keyFingerprint, rsaKey } from './keyring-wrap.js';

/** Size of the pairs the node makes: about 128-bit security (NIST SP 800-57), acceptable beyond 2030; operators' keys need 2048. */
export const GENERATED_RSA_BITS = 3072;
const MAX_PEM_BYTES = 64 * 1024;

export interface KeyPair {
  readonly publicKeyPem: string;
  readonly privateKeyPem: string;
  /** True when this call generated the pair (false when it read files already there, or another process's). */
  readonly created: boolean;
}

/**
 * PEM text as given when `valueOrPath` starts with `-----BEGIN`, else the content of the file at
 * that path. `what` names the setting in errors (PC_KEYRING_NOT_CONFIGURED), which give the path
 * but never the file's content.
 */
export function readPem(valueOrPath: string, what: string): string {
  if (valueOrPath.trimStart().startsWith('-----BEGIN')) return valueOrPath;
  if (valueOrPath.trim() === '') throw notConfigured(`The ${what} is empty: give PEM text or the path of a PEM file`);
  // A value that is neither PEM nor a plausible path may be key material pasted without its
  // armour: never echo it.
  const shown = /^[A-Za-z0-9+/=\s]{64,}$/.test(valueOrPath) || valueOrPath.length > 1024 || /[\r\n]/.test(valueOrPath) ? null : valueOrPath;
  const where = shown === null ? 'the configured path (not shown: the value is neither PEM text nor a plausible path)' : shown;
  let text: string;
  try {
    const stat = statSync(valueOrPath);
    if (!stat.isFile()) throw notConfigured(`Cannot read the ${what} from ${where}: it is not a file`);
    if (stat.size > MAX_PEM_BYTES) throw notConfigured(`Cannot read the ${what} from ${where}: ${stat.size} bytes is too large for a PEM key`);
    text = readFileSync(valueOrPath, 'utf8');
  } catch (err) {
    if (err instanceof PortcullisError) throw err;
    throw notConfigured(`Cannot read the ${what} from ${where} (${errnoCode(err)})`, err);
  }
  if (!text.includes('-----BEGIN')) throw notConfigured(`The ${what} file ${where} does not hold a PEM key (no -----BEGIN line)`);
  return text;
}

/**
 * The embedded default's pair. Both files there: reads them and checks they belong together.
 * Neither: generates an RSA 3072 pair and writes both (mode 0600, folders 0700). Only the private
 * key: writes the public key derived from it (a process that crashed between the two files, or
 * one still writing). Only the public key: refuses, since a new pair would strand what the old
 * one wrapped (the private key was moved or lost). Errors are PC_KEYRING_NOT_CONFIGURED.
 */
export function ensureKeyPair(publicPath: string, privatePath: string): KeyPair {
  if (existsSync(publicPath) && !existsSync(privatePath)) {
    throw notConfigured(
      `The keyring public key ${publicPath} exists but its private key ${privatePath} does not: ` +
        `put the private key back (the keyring blob cannot be opened without it), or set keyring_private_key to where it is. ` +
        `Making a new pair would strand the keys wrapped under the old one, so none is made`,
    );
  }
  let created = false;
  if (!existsSync(privatePath)) {
    const pair = generateKeyPairSync('rsa', { modulusLength: GENERATED_RSA_BITS });
    created = createOnce(privatePath, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  }
  // The winner's file (ours or another process's): complete, since it was linked in whole.
  const privateKeyPem = readPem(privatePath, 'keyring private key');
  const privateKey = rsaKey(privateKeyPem, 'private');
  if (typeof privateKey === 'string') throw notConfigured(`The keyring private key ${privatePath} cannot be used: ${privateKey}`);
  const derived = createPublicKey(privateKey);
  if (!existsSync(publicPath)) createOnce(publicPath, derived.export({ type: 'spki', format: 'pem' }) as string);
  const publicKeyPem = readPem(publicPath, 'keyring public key');
  const publicKey = rsaKey(publicKeyPem, 'public');
  if (typeof publicKey === 'string') throw notConfigured(`The keyring public key ${publicPath} cannot be used: ${publicKey}`);
  if (keyFingerprint(publicKey) !== keyFingerprint(derived)) {
    throw notConfigured(`The keyring public key ${publicPath} does not belong to the private key ${privatePath}: restore the matching pair`);
  }
  return { publicKeyPem, privateKeyPem, created };
}

/** Writes `content` at `path` unless a file is there already; true when this call wrote it. */
function createOnce(path: string, content: string): boolean {
  let temp: string | null = null;
  try {
    ensurePrivateFolder(dirname(path));
    temp = writeSyncedTempFile(path, content);
    try {
      linkSync(temp, path);
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') return false;
      throw err;
    }
    syncFolder(dirname(path));
    return true;
  } catch (err) {
    throw notConfigured(`Cannot create the keyring key file ${path} (${errnoCode(err)}); the data folder must be writable`, err);
  } finally {
    if (temp !== null) unlinkQuietly(temp);
  }
}

function notConfigured(message: string, cause?: unknown): PortcullisError {
  return new PortcullisError('PC_KEYRING_NOT_CONFIGURED', { message, ...(cause ? { cause } : {}) });
}
