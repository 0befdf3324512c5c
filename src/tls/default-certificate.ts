/**
 * The node's default TLS certificate: what the HTTPS proxy listener serves when no SNI binding
 * matches (and `tls_require_sni` is off). Either the operator's pair, `tls_default_cert` and
 * `tls_default_key` (PEM text or file paths, both or neither), or a self-signed ECDSA pair kept in
 * the data folder (`tls-default.crt`, `tls-default.key`, mode 0600, folder 0700), generated at
 * the first start and reused after, so clients that pinned it keep working.
 *
 * A pair that is there but broken (unreadable, not PEM, a key that is not the certificate's, one
 * file without the other) is a start error, never silently replaced: replacing it would change
 * what clients were told to trust. Several processes starting at once on one data folder end with
 * one pair: the key is linked into place first and only the process whose link won writes the
 * certificate; the others wait for it.
 */
import { existsSync, linkSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../config/load-config.js';
import { dataFolder } from '../keyring/keyring-local-material.js';
import { readPem } from '../keyring/rsa-key-pair.js';
import { ensurePrivateFolder, errnoCode, syncFolder, unlinkQuietly, writeSyncedTempFile } from '../keyring/keyring-blob-file.js';
import { createSelfSignedCertificate } from './self-signed-certificate.js';
import { usableKeyPair } from './usable-key-pair.js';

/** The default certificate and its key (PEM), and whether this start generated them. */
export interface DefaultCertificate {
  readonly cert: string;
  readonly key: string;
  readonly generated: boolean;
}

export type DefaultCertificateConfig = Pick<Config, 'sqlite_path' | 'tls_default_cert' | 'tls_default_key'>;

export interface DefaultCertificateDeps {
  readonly logger: Logger;
  /** Clock (tests). */
  readonly now?: () => number;
}

export const DEFAULT_CERT_FILE = 'tls-default.crt';
export const DEFAULT_KEY_FILE = 'tls-default.key';
/**
 * Ten years: nobody's browser trusts a self-signed default anyway, and a certificate that
 * expires under a running fleet is an outage nobody planned. Operators who need a trusted
 * default configure their own.
 */
const VALIDITY_DAYS = 3650;
const NAMES = ['localhost', '127.0.0.1', '::1'];
/** How long to wait for a process that linked the key to link its certificate. */
const PEER_WAIT_MS = 2000;
const EXPIRY_WARNING_MS = 30 * 86_400_000;

/** Loads (or, the first time, generates) the default certificate. Throws ConfigError when it cannot be used. */
export async function loadDefaultCertificate(config: DefaultCertificateConfig, deps: DefaultCertificateDeps): Promise<DefaultCertificate> {
  const { tls_default_cert: certSetting, tls_default_key: keySetting } = config;
  if (certSetting === undefined && keySetting === undefined) return loadOrGenerate(dataFolder(config), deps);
  if (certSetting === undefined || keySetting === undefined) {
    const [set, unset] = certSetting === undefined ? ['tls_default_key', 'tls_default_cert'] : ['tls_default_cert', 'tls_default_key'];
    throw new ConfigError([`${unset}: must be set when ${set} is (set both, or neither for the generated default certificate)`]);
  }
  const cert = readSetting(certSetting, 'tls_default_cert');
  const key = readSetting(keySetting, 'tls_default_key');
  const check = usableKeyPair(cert, key);
  if (!check.ok) throw new ConfigError([`tls_default_cert, tls_default_key: ${check.problem}`]);
  warnOnExpiry(check.leaf, { source: 'tls_default_cert' }, deps);
  return { cert, key, generated: false };
}

async function loadOrGenerate(folder: string, deps: DefaultCertificateDeps): Promise<DefaultCertificate> {
  const certPath = join(folder, DEFAULT_CERT_FILE);
  const keyPath = join(folder, DEFAULT_KEY_FILE);
  const broken = (why: string) =>
    new ConfigError([
      `tls_default_cert: not set, and the default certificate in ${folder} (${DEFAULT_CERT_FILE}, ${DEFAULT_KEY_FILE}) cannot be used: ${why}. ` +
        'Restore the files, remove both to generate a new pair, or set tls_default_cert and tls_default_key',
    ]);
  let generated = false;
  if (!existsSync(keyPath) && !existsSync(certPath)) {
    const pair = await createSelfSignedCertificate({
      commonName: 'portcullis default',
      names: NAMES,
      days: VALIDITY_DAYS,
      ...(deps.now ? { now: deps.now } : {}),
    });
    generated = writePairOnce(certPath, keyPath, pair);
  }
  if (existsSync(keyPath) && !(await appears(certPath))) throw broken(`${DEFAULT_KEY_FILE} is there without ${DEFAULT_CERT_FILE}`);
  if (!existsSync(keyPath)) throw broken(`${DEFAULT_CERT_FILE} is there without ${DEFAULT_KEY_FILE}`);
  let cert: string;
  let key: string;
  try {
    cert = readPem(certPath, 'default TLS certificate');
    key = readPem(keyPath, 'default TLS key');
  } catch (err) {
    throw broken((err as Error).message);
  }
  const check = usableKeyPair(cert, key);
  if (!check.ok) throw broken(check.problem);
  if (process.platform !== 'win32' && (statSync(keyPath).mode & 0o077) !== 0) {
    deps.logger.warn({ path: keyPath }, 'the default TLS key file is readable by other users: chmod 600 it');
  }
  if (generated) {
    deps.logger.info(
      { path: certPath, fingerprint: check.leaf.fingerprint256, notAfter: new Date(check.leaf.validTo).toISOString() },
      'generated a self-signed default TLS certificate',
    );
  }
  warnOnExpiry(check.leaf, { source: certPath }, deps);
  return { cert, key, generated };
}

/**
 * Writes the pair unless a key is there already: the key is linked first, so of processes racing
 * on one folder only the one whose key link won writes its certificate. True when this call wrote.
 */
function writePairOnce(certPath: string, keyPath: string, pair: { cert: string; key: string }): boolean {
  const temps: string[] = [];
  try {
    ensurePrivateFolder(dirname(keyPath));
    temps.push(writeSyncedTempFile(keyPath, pair.key), writeSyncedTempFile(certPath, pair.cert));
    try {
      linkSync(temps[0]!, keyPath);
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') return false;
      throw err;
    }
    linkSync(temps[1]!, certPath);
    syncFolder(dirname(keyPath));
    return true;
  } catch (err) {
    throw new ConfigError([
      `tls_default_cert: not set, and the default certificate cannot be written to ${keyPath} (${errnoCode(err)}): make the data folder writable, or set tls_default_cert and tls_default_key`,
    ]);
  } finally {
    for (const temp of temps) unlinkQuietly(temp);
  }
}

/** True once `path` exists, waiting a little for a process that is writing it. */
async function appears(path: string): Promise<boolean> {
  for (let waited = 0; !existsSync(path); waited += 25) {
    if (waited >= PEER_WAIT_MS) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

/** PEM text, or the content of the file the setting names; ConfigError (naming the key, never the value) otherwise. */
function readSetting(value: string, key: string): string {
  try {
    return readPem(value, key);
  } catch (err) {
    throw new ConfigError([`${key}: ${(err as Error).message}`]);
  }
}

function warnOnExpiry(leaf: X509Certificate, where: { source: string }, deps: DefaultCertificateDeps): void {
  const notAfter = Date.parse(leaf.validTo);
  const now = deps.now?.() ?? Date.now();
  if (notAfter <= now) deps.logger.warn({ ...where, notAfter: new Date(notAfter).toISOString() }, 'the default TLS certificate has expired');
  else if (notAfter - now < EXPIRY_WARNING_MS)
    deps.logger.warn({ ...where, notAfter: new Date(notAfter).toISOString() }, 'the default TLS certificate expires within 30 days');
}
