/**
 * The keyring's `vault` strategy, as Kong's: the keys live in one HashiCorp Vault KV v2 secret.
 * Each *version* of the secret holds one key, `{"id": "<8 chars [A-Za-z0-9]>", "key": "<any
 * string>"}`; the key's AES-256 material is SHA-256 of the `key` string; the secret's
 * `current_version` is the active key. A read takes the metadata (`GET /v1/<mount>/metadata/<path>`),
 * then every version that is neither deleted nor destroyed (`GET /v1/<mount>/data/<path>?version=N`).
 *
 * It fails closed and whole: any problem (unreachable, timeout, TLS, 403, 404, a malformed version,
 * one id with two different keys, a retired current version) is one PC_KEYRING_VAULT_UNAVAILABLE
 * naming the host, mount, path and cause, and no partial keyring is returned, so the caller keeps
 * the keyring it has. Messages never carry the token nor any key. Redirects are not followed (a
 * standby's 307 points at another host); answers are capped at 1 MiB; one deadline covers the read.
 */
import { createHash } from 'node:crypto';
import { Agent, request } from '../util/undici.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import { isKeyId, sameMaterial, type KeyringKey } from './keyring.js';

export interface VaultKeyringOptions {
  /** Vault's address: `https://vault.example.com:8200` (a path after the port is kept: a proxy prefix). */
  readonly host: string;
  /** KV v2 mount, e.g. `secret` or `kv/team`. */
  readonly mount: string;
  /** Path of the keyring secret inside the mount. */
  readonly path: string;
  readonly token: string;
  /** Vault Enterprise / HCP namespace, sent as `X-Vault-Namespace`. */
  readonly namespace?: string;
  /** PEM of the CA that signed Vault's certificate; without it the system's CAs are trusted. */
  readonly ca?: string;
  /** Deadline for the whole read, in ms. Default 10 000. */
  readonly timeoutMs?: number;
}

export interface VaultKeyring {
  /** Keys in version order (oldest first); a version repeating an earlier id and key adds nothing. */
  readonly keys: KeyringKey[];
  readonly active: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_ANSWER_BYTES = 1024 * 1024;
/** Versions are read over at most this many connections at once. */
const PARALLEL_READS = 4;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
/** Node's codes for a refused TLS handshake: OpenSSL's verify results (UNABLE_TO_VERIFY_LEAF_SIGNATURE, …) and ERR_TLS_* / ERR_SSL_*. */
const TLS_FAILURE = /CERT|SELF_SIGNED|SIGNATURE|ISSUER|INVALID_CA|PURPOSE|HOSTNAME|TLS|SSL/;

interface Target {
  readonly base: string;
  /** Mount and path, percent-encoded for the URL. */
  readonly mount: string;
  readonly path: string;
  /** `<mount>/<operation>/<path>` as the operator wrote them, for messages. */
  shown(operation: string): string;
}

interface VersionInfo {
  readonly deletion_time: string;
  readonly destroyed: boolean;
}

/** Reads the keyring from Vault. Throws PC_KEYRING_VAULT_UNAVAILABLE for every failure. */
export async function readVaultKeyring(options: VaultKeyringOptions): Promise<VaultKeyring> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const where = `${displayHost(options.host)} (mount ${JSON.stringify(options.mount)}, path ${JSON.stringify(options.path)})`;
  const fail = (reason: string) =>
    new PortcullisError('PC_KEYRING_VAULT_UNAVAILABLE', { message: `Cannot read the keyring from Vault at ${where}: ${reason}` });

  const target = resolveTarget(options, fail);
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw fail('the timeout must be a positive whole number of ms');
  if (!VISIBLE_ASCII.test(options.token)) throw fail('the token is empty or holds characters other than visible ASCII');
  if (options.namespace !== undefined && !VISIBLE_ASCII.test(options.namespace)) throw fail('the namespace holds characters other than visible ASCII');
  const headers: Record<string, string> = { 'x-vault-token': options.token, 'x-vault-request': 'true', accept: 'application/json' };
  if (options.namespace !== undefined) headers['x-vault-namespace'] = options.namespace;

  const agent = new Agent({
    connect: options.ca === undefined ? { timeout: timeoutMs } : { timeout: timeoutMs, ca: options.ca },
    connections: PARALLEL_READS,
    maxResponseSize: MAX_ANSWER_BYTES,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const signal = AbortSignal.timeout(timeoutMs);
  const get = async (url: string): Promise<{ status: number; body: unknown }> => {
    try {
      const res = await request(url, { method: 'GET', headers, dispatcher: agent, signal });
      const text = await res.body.text();
      if (res.statusCode >= 300 && res.statusCode < 400)
        throw fail(`Vault answered with a redirect (${res.statusCode}), which is not followed: point the host at the active node`);
      try {
        return { status: res.statusCode, body: text === '' ? null : JSON.parse(text) };
      } catch {
        throw fail(`the answer (status ${res.statusCode}) is not JSON`);
      }
    } catch (err) {
      if (err instanceof PortcullisError) throw err;
      throw fail(transportFailure(err, signal.aborted, timeoutMs));
    }
  };

  try {
    const metadata = await get(`${target.base}/v1/${target.mount}/metadata/${target.path}`);
    if (metadata.status === 404)
      throw fail(`there is no secret at ${target.shown('metadata')} (404): write its first {id, key} version, or check the mount and path`);
    if (metadata.status !== 200) throw fail(vaultRefusal(metadata, target.shown('metadata'), options.token));
    const { current, live } = liveVersions(metadata.body, fail);

    const read = await Promise.all(
      live.map(async (n) => {
        const answer = await get(`${target.base}/v1/${target.mount}/data/${target.path}?version=${n}`);
        // Deleted, destroyed or purged since the metadata was read: gone, unless it is the active key.
        if (answer.status === 404 && n !== current) return null;
        if (answer.status === 404) throw fail(`the current version ${n} was deleted or destroyed while it was being read`);
        if (answer.status !== 200) throw fail(vaultRefusal(answer, target.shown('data'), options.token));
        return { version: n, ...parseVersion(n, answer.body, fail) };
      }),
    );
    return assemble(
      read.filter((v) => v !== null),
      current,
      fail,
    );
  } finally {
    await agent.destroy();
  }
}

function displayHost(host: string): string {
  try {
    const url = new URL(host);
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return JSON.stringify(host);
  }
}

function resolveTarget(options: VaultKeyringOptions, fail: (reason: string) => PortcullisError): Target {
  let url: URL;
  try {
    url = new URL(options.host);
  } catch {
    throw fail('the host is not a URL (expected e.g. https://vault.example.com:8200)');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw fail('the host must be an http:// or https:// URL');
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '')
    throw fail('the host must not carry credentials, a query or a fragment');
  const mount = encodeSegments(options.mount);
  const path = encodeSegments(options.path);
  if (mount === null || path === null) throw fail('the mount and path must be non-empty, with no empty, "." or ".." segments');
  const trim = (s: string) => s.replace(/^\/+|\/+$/g, '');
  return {
    base: `${url.origin}${url.pathname.replace(/\/+$/, '')}`,
    mount,
    path,
    shown: (operation) => `${trim(options.mount)}/${operation}/${trim(options.path)}`,
  };
}

/** Percent-encodes each `/`-separated segment; refuses empty, `.` and `..` segments (URL normalisation would move them). */
function encodeSegments(value: string): string | null {
  const segments = value.replace(/^\/+|\/+$/g, '').split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return null;
  return segments.map(encodeURIComponent).join('/');
}

/** Why a request got no usable answer. The deadline and undici's own timeouts (set to the same ms) read alike. */
function transportFailure(err: unknown, deadlinePassed: boolean, timeoutMs: number): string {
  const { code, message } = err as { code?: unknown; message?: unknown };
  const detail = typeof code === 'string' ? code : String(message);
  if (deadlinePassed || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return `no answer within ${timeoutMs} ms`;
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return `an answer is larger than ${MAX_ANSWER_BYTES} bytes`;
  if (typeof code === 'string' && TLS_FAILURE.test(code))
    return `the TLS connection was refused (${detail}): if Vault's certificate comes from a private CA, give that CA`;
  return `unreachable (${detail})`;
}

/** Why Vault refused, for a status other than 200 and 404, quoting its `errors` (the token cut out, should a proxy echo it). */
function vaultRefusal(answer: { status: number; body: unknown }, path: string, token: string): string {
  if (answer.status === 403) return `permission denied (403): the token is invalid or expired, or its policy does not allow reading ${path}`;
  const list = (answer.body as { errors?: unknown } | null)?.errors;
  const said = Array.isArray(list)
    ? list
        .filter((e) => typeof e === 'string')
        .join('; ')
        .split(token)
        .join('[redacted]')
        .replace(/\s+/g, ' ')
        .trim()
        .slice(0, 200)
    : '';
  return `Vault answered ${answer.status}${said === '' ? '' : ` (${said})`}`;
}

function liveVersions(body: unknown, fail: (reason: string) => PortcullisError): { current: number; live: number[] } {
  const data = (body as { data?: { current_version?: unknown; versions?: unknown } } | null)?.data;
  const current = data?.current_version;
  const versions = data?.versions;
  if (typeof current !== 'number' || !Number.isSafeInteger(current) || current < 0 || typeof versions !== 'object' || versions === null) {
    throw fail('the metadata answer has no current_version or versions');
  }
  if (current === 0) throw fail('the secret has no versions');
  const now = Date.now();
  const live: number[] = [];
  let currentInfo: VersionInfo | undefined;
  for (const [key, value] of Object.entries(versions)) {
    const n = Number(key);
    const info = value as Partial<VersionInfo> | null;
    if (!/^[1-9]\d*$/.test(key) || typeof info?.deletion_time !== 'string' || typeof info.destroyed !== 'boolean')
      throw fail(`the metadata of version ${JSON.stringify(key)} is malformed`);
    // A deletion_time in the future (delete_version_after) has not happened yet.
    const deleted = info.deletion_time !== '' && !(Date.parse(info.deletion_time) > now);
    if (n === current) currentInfo = info as VersionInfo;
    if (!deleted && !info.destroyed) live.push(n);
  }
  if (currentInfo === undefined) throw fail(`the current version ${current} is not in the metadata`);
  if (currentInfo.destroyed) throw fail(`the current version ${current} is destroyed: write a new version or undelete an older one`);
  if (!live.includes(current)) throw fail(`the current version ${current} is deleted: undelete it or write a new version`);
  return { current, live: live.sort((a, b) => a - b) };
}

function parseVersion(n: number, body: unknown, fail: (reason: string) => PortcullisError): { id: string; key: Buffer; created_at: number } {
  const inner = (body as { data?: { data?: unknown; metadata?: { created_time?: unknown } } } | null)?.data;
  const held = inner?.data as { id?: unknown; key?: unknown } | null | undefined;
  if (!isKeyId(held?.id)) throw fail(`version ${n} has no valid "id" (8 characters of [A-Za-z0-9])`);
  if (typeof held.key !== 'string' || held.key === '') throw fail(`version ${n} has no "key" string`);
  const created = typeof inner?.metadata?.created_time === 'string' ? Date.parse(inner.metadata.created_time) : NaN;
  if (!Number.isFinite(created)) throw fail(`version ${n} has no valid created_time`);
  return { id: held.id, key: createHash('sha256').update(held.key, 'utf8').digest(), created_at: Math.floor(created / 1000) };
}

/** One key per id (the earliest version wins a repeat with the same key); the current version's id is active. */
function assemble(read: readonly (KeyringKey & { version: number })[], current: number, fail: (reason: string) => PortcullisError): VaultKeyring {
  const byId = new Map<string, KeyringKey & { version: number }>();
  for (const entry of read) {
    const earlier = byId.get(entry.id);
    if (earlier && !sameMaterial(earlier, entry)) throw fail(`versions ${earlier.version} and ${entry.version} both hold id ${entry.id} with different keys`);
    if (!earlier) byId.set(entry.id, entry);
  }
  // liveVersions made sure the current version is live, and its read either succeeded or threw.
  const active = read.find((entry) => entry.version === current)!.id;
  const keys = [...byId.values()].map(({ id, key, created_at }) => Object.freeze({ id, key, created_at }));
  return { keys, active };
}
