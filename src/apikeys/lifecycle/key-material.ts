/**
 * Turns what a caller gives (nothing, a plaintext value, or a push issuer's SHA-256 digest) into
 * what the store keeps: the lookup, the hash, the public id, the issuer and the source. The one
 * place that decides how a key will be found again by the verifier.
 */
import { randomBytes } from 'node:crypto';
import { PortcullisError } from '../../errors/portcullis-error.js';
import type { ApiKeySecret, ApiKeySource } from '../../entities/api-keys.js';
import type { IssuerConfig } from '../../config/schema.js';
import { generateApiKey, parseApiKey } from '../key-format.js';
import { sha256Hex } from '../hashing/sha256-hex.js';
import type { KeyHashers } from '../hashing/key-hashers.js';
import type { Secret } from '../../observability/secret.js';
import type { IssuerDirectory } from './issuers.js';

/** Issuer name recorded for keys in a foreign format. */
export const EXTERNAL_ISSUER = 'external';
/** Algorithm of keys registered by digest only: the digest is both the index and the check. */
export const DIGEST_ALGORITHM = 'sha256-digest';

export interface KeyMaterial {
  readonly secret: ApiKeySecret;
  readonly key_id: string;
  readonly issuer: string;
  readonly prefix: string | null;
  readonly source: ApiKeySource;
  /** The plaintext, only when generated here (returned once to the caller). */
  readonly plaintext: Secret<string> | null;
}

export interface MaterialDeps {
  readonly issuers: IssuerDirectory;
  readonly hashers: KeyHashers;
}

/** A new key from a local issuer (the named one, or the default). */
export async function generateMaterial(deps: MaterialDeps, issuerName?: string): Promise<KeyMaterial> {
  const issuer = issuerName ? deps.issuers.byName(issuerName) : deps.issuers.defaultLocal;
  if (!issuer)
    throw new PortcullisError('PC_APIKEY_ISSUER_UNKNOWN', { message: issuerName ? `No issuer named "${issuerName}"` : 'No local issuer is configured' });
  if (issuer.type !== 'local') throw readOnly(issuer, 'generates its own keys; register them with api_key or sha256');
  const generated = generateApiKey(issuer.prefix);
  const stored = await deps.hashers.current.hash(generated.key.reveal());
  return {
    secret: { lookup: `${issuer.prefix}_${generated.id}`, ...stored },
    key_id: generated.id,
    issuer: issuer.name,
    prefix: issuer.prefix,
    source: 'generated',
    plaintext: generated.key,
  };
}

/** A value supplied by the caller: ours if it has our format, external otherwise. */
export async function suppliedMaterial(deps: MaterialDeps, value: string): Promise<KeyMaterial> {
  const parsed = parseApiKey(value);
  if (parsed.kind === 'malformed') {
    throw new PortcullisError('PC_VALIDATION_FAILED', {
      message: `api_key is not a usable key (${parsed.reason})`,
      fields: [{ path: 'api_key', message: `is not a usable key (${parsed.reason})` }],
    });
  }
  const stored = await deps.hashers.current.hash(value);
  if (parsed.kind === 'external') {
    return {
      secret: { lookup: `sha256:${sha256Hex(value)}`, ...stored },
      key_id: randomId(),
      issuer: EXTERNAL_ISSUER,
      prefix: null,
      source: 'external',
      plaintext: null,
    };
  }
  const issuer = deps.issuers.byPrefix(parsed.prefix);
  if (!issuer) throw new PortcullisError('PC_APIKEY_ISSUER_UNKNOWN', { message: `No issuer has the prefix "${parsed.prefix}"` });
  if (issuer.type === 'remote') throw readOnly(issuer, 'validates its keys itself (remote issuer)');
  const lookup = issuer.type === 'push' ? `sha256:${sha256Hex(value)}` : `${parsed.prefix}_${parsed.id}`;
  return {
    secret: { lookup, ...stored },
    key_id: parsed.id,
    issuer: issuer.name,
    prefix: issuer.prefix,
    source: issuer.type === 'push' ? 'pushed' : 'supplied',
    plaintext: null,
  };
}

/** A push issuer's key registered by its SHA-256 digest (the plaintext never reaches us). */
export function digestMaterial(deps: MaterialDeps, digestHex: string, issuerName?: string): KeyMaterial {
  const pushIssuers = deps.issuers.all.filter((i) => i.type === 'push');
  const issuer = issuerName ? deps.issuers.byName(issuerName) : pushIssuers.length === 1 ? pushIssuers[0] : undefined;
  if (!issuer) {
    throw new PortcullisError('PC_APIKEY_ISSUER_UNKNOWN', {
      message: issuerName ? `No issuer named "${issuerName}"` : 'Name the push issuer of this digest in "issuer"',
      fields: [{ path: 'issuer', message: 'is required to register a digest' }],
    });
  }
  if (issuer.type !== 'push') throw readOnly(issuer, 'is not a push issuer: only push issuers register digests');
  const digest = digestHex.toLowerCase();
  return {
    secret: { lookup: `sha256:${digest}`, algorithm: DIGEST_ALGORITHM, salt: null, hash: digest },
    key_id: randomId(),
    issuer: issuer.name,
    prefix: issuer.prefix,
    source: 'pushed',
    plaintext: null,
  };
}

function randomId(): string {
  return randomBytes(8).toString('hex');
}

function readOnly(issuer: IssuerConfig, why: string): PortcullisError {
  return new PortcullisError('PC_APIKEY_ISSUER_READ_ONLY', { message: `Issuer "${issuer.name}" ${why}` });
}
