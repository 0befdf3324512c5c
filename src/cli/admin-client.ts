/**
 * The CLI's client of a running node's Admin API: JSON over undici with the admin token, bounded
 * in time and size, no redirects followed (the token goes to the URL given and nowhere else), and
 * the node's `{code, message}` errors turned back into PortcullisErrors, so a command reports a
 * remote failure like a local one. `remoteKeyringService` puts the `/keyring` endpoints behind the
 * KeyringService interface: `portcullis keyring` is written once against it and runs on a stopped
 * node's database or through a running node alike.
 */
import { Agent, request } from '../util/undici.js';
import { ADMIN_TOKEN_HEADER } from '../admin/admin-auth.js';
import { isLoopbackHost } from '../config/listen.js';
import { isErrorCode } from '../errors/catalogue.js';
import { PortcullisError, type FieldError } from '../errors/portcullis-error.js';
import type { KeyringService, KeyringStatus } from '../keyring/keyring-service.js';

/** The Admin API could not be reached, or answered something that is not the Admin API's. */
export class AdminClientError extends Error {
  override readonly name = 'AdminClientError';
}

export interface AdminClientOptions {
  /** From `parseAdminUrl`: the Admin API's base, possibly with a path prefix (behind a proxy). */
  readonly url: URL;
  readonly token?: string | undefined;
  /** Per request; 60 s by default (an import or a recovery decrypts, but is small). */
  readonly timeoutMs?: number;
}

export interface AdminClient {
  /** Sends `body` as JSON (none when undefined); resolves with the parsed answer, undefined for 204. */
  call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

/** Larger answers are refused: the largest, an export, is far smaller. */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 60_000;

export type ParsedAdminUrl = { readonly ok: true; readonly url: URL; readonly cleartextRemote: boolean } | { readonly ok: false; readonly reason: string };

/**
 * Checks an `--admin-url`: http or https, a host, no credentials, query or fragment (the token is
 * passed apart, never in a URL a shell history keeps). `cleartextRemote` flags plain http to a
 * host other than this machine, where the token would cross the network readable.
 */
export function parseAdminUrl(value: string): ParsedAdminUrl {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: 'is not a URL (e.g. http://127.0.0.1:8001)' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'must use http or https' };
  if (url.username || url.password)
    return { ok: false, reason: 'must not carry credentials: give the token with --admin-token-file or PORTCULLIS_ADMIN_TOKEN' };
  if (url.search || url.hash) return { ok: false, reason: 'must not have a query or a fragment' };
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { ok: true, url, cleartextRemote: url.protocol === 'http:' && !isLoopbackHost(host) };
}

/** Checks an admin token read from a file or the environment; returns why it is unusable, or null. */
export function adminTokenProblem(token: string): string | null {
  if (token.length === 0) return 'is empty';
  if (token.length > 512) return 'is longer than 512 characters';
  // A header value cannot hold control characters; a token file holds one line.
  if (/[\x00-\x1f\x7f]/.test(token)) return 'must be one line without control characters';
  return null;
}

export function createAdminClient(options: AdminClientOptions): AdminClient {
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // An agent of our own, closed at the end, so idle keep-alive sockets do not hold the CLI open.
  const agent = new Agent({ headersTimeout: timeout, bodyTimeout: timeout });
  const base = options.url.href.replace(/\/+$/, '');
  const where = options.url.origin + options.url.pathname.replace(/\/+$/, '');

  return {
    async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
      let res;
      let text: string;
      try {
        res = await request(`${base}${path}`, {
          method,
          dispatcher: agent,
          signal: AbortSignal.timeout(timeout),
          headers: {
            accept: 'application/json',
            ...(options.token !== undefined ? { [ADMIN_TOKEN_HEADER]: options.token } : {}),
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        text = await readLimited(res.body, where);
      } catch (err) {
        if (err instanceof AdminClientError) throw err;
        throw new AdminClientError(`cannot reach the Admin API at ${where}: ${(err as Error).message}`, { cause: err });
      }
      if (res.statusCode === 204) return undefined as T;
      const parsed = parseJson(text);
      if (res.statusCode >= 200 && res.statusCode < 300 && parsed !== undefined) return parsed as T;
      throw toClientError(res.statusCode, parsed, where, path);
    },
    close: () => agent.close(),
  };
}

/** The `/keyring` endpoints of a running node, as the KeyringService the commands use. */
export function remoteKeyringService(client: AdminClient): KeyringService {
  return {
    status: () => client.call('GET', '/keyring'),
    generate: () => client.call('POST', '/keyring/generate'),
    activate: (id) => client.call('POST', '/keyring/activate', { key: id }),
    exportKeyring: () => client.call('POST', '/keyring/export'),
    importKeyring: (data, options = {}) =>
      client.call('POST', '/keyring/import', { data, ...(options.activate !== undefined ? { activate: options.activate } : {}) }),
    importRaw: (input) => client.call('POST', '/keyring/import/raw', { id: input.id, key: input.key }),
    remove: (id, options = {}) => client.call('POST', '/keyring/remove', { key: id, ...(options.force !== undefined ? { force: options.force } : {}) }),
    usage: () => client.call('GET', '/keyring/usage'),
    recover: (privateKeyPem) => client.call('POST', '/keyring/recover', { recovery_private_key: privateKeyPem }),
    async vaultSync(): Promise<KeyringStatus> {
      await client.call('POST', '/keyring/vault/sync');
      return client.call('GET', '/keyring');
    },
    startRewrap: () => client.call('POST', '/keyring/rewrap'),
    rewrapProgress: () => client.call('GET', '/keyring/rewrap'),
  };
}

/** The error a non-2xx answer stands for: the node's own PortcullisError when it sent one. */
function toClientError(status: number, parsed: unknown, where: string, path: string): Error {
  const body = (parsed ?? {}) as { code?: unknown; message?: unknown; fields?: unknown };
  if (typeof body.code !== 'string' || !isErrorCode(body.code) || typeof body.message !== 'string') {
    return new AdminClientError(`the Admin API at ${where} answered ${status} without a Portcullis error: is this the Admin API's address?`);
  }
  // What pointing --admin-url at the proxy listener, or at a node without this endpoint, looks like.
  if (body.code === 'PC_PROXY_NO_ROUTE') {
    return new AdminClientError(`${where} answered like the proxy, not the Admin API: use the address of admin_listen (default 127.0.0.1:8001)`);
  }
  if (body.code === 'PC_NOT_FOUND') return new AdminClientError(`the Admin API at ${where} has no ${path}: is the node older than this command?`);
  const fields = Array.isArray(body.fields) ? (body.fields as FieldError[]) : undefined;
  return new PortcullisError(body.code, { message: body.message, ...(fields ? { fields } : {}) });
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

async function readLimited(body: AsyncIterable<Buffer>, where: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) throw new AdminClientError(`the Admin API at ${where} sent an answer larger than ${MAX_ANSWER_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
