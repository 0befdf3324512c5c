/**
 * Logging in to Vault for a token, as its auth docs say (api-docs/auth/approle.mdx,
 * api-docs/auth/kubernetes.mdx): `POST /v1/auth/<path>/login` with `{"role_id", "secret_id"}`
 * (AppRole) or `{"role", "jwt"}` (Kubernetes), no token, in the configured namespace. The
 * answer's `auth` block holds `client_token`, `lease_duration` (seconds; 0 = no expiry) and
 * `renewable`; renew-self answers the same block, so `tokenLease` reads both.
 *
 * The service-account JWT is read from its file at every login: Kubernetes rotates projected
 * tokens, and a JWT read once at start would be refused an hour later. A refused login (400
 * "invalid role or secret ID", 403 for a JWT Kubernetes does not vouch for) is `unauthorized`.
 */
import { open } from 'node:fs/promises';
import { VaultBackendError } from '../../vault-backend.js';
import type { HcvConfig } from './hcv-config.js';
import type { VaultAnswer, VaultHttp } from './vault-http.js';
import { unexpectedAnswer, vaultErrorText } from './vault-refusal.js';

export interface TokenLease {
  readonly token: string;
  /** Seconds the token lives from now; 0 = no expiry. */
  readonly leaseSeconds: number;
  readonly renewable: boolean;
}

export type Login = (signal: AbortSignal) => Promise<TokenLease>;

/** A service-account JWT is a few KiB; anything much larger is not one. */
const MAX_JWT_FILE_BYTES = 64 * 1024;

const trimSlashes = (s: string) => s.replace(/^\/+|\/+$/g, '');

/** The lease in an `auth` block (login or renew-self); null when the answer has none. */
export function tokenLease(answer: VaultAnswer): TokenLease | null {
  const auth = (answer.body as { auth?: { client_token?: unknown; lease_duration?: unknown; renewable?: unknown } } | null)?.auth;
  const token = auth?.client_token;
  const lease = auth?.lease_duration;
  if (typeof token !== 'string' || !/^[\x21-\x7e]{1,4096}$/.test(token)) return null;
  return {
    token,
    leaseSeconds: typeof lease === 'number' && Number.isSafeInteger(lease) && lease > 0 ? lease : 0,
    renewable: auth?.renewable === true,
  };
}

/** The login of `config.auth_method`, or null for `token` (nothing to log in with). */
export function createLogin(config: HcvConfig, http: VaultHttp): Login | null {
  if (config.auth_method === 'token') return null;
  const kind = config.auth_method;
  const mountPath = trimSlashes(kind === 'approle' ? config.approle_auth_path : config.kube_auth_path);
  const what = `logging in at auth/${mountPath} (${kind})`;

  const body = async (): Promise<{ body: Record<string, string>; credentials: string[] }> => {
    if (kind === 'approle') {
      const roleId = config.approle_role_id ?? '';
      const secretId = config.approle_secret_id ?? '';
      if (roleId === '' || secretId === '') throw new VaultBackendError('unauthorized', 'hcv: auth_method approle needs approle_role_id and approle_secret_id');
      return { body: { role_id: roleId, secret_id: secretId }, credentials: [roleId, secretId] };
    }
    const role = config.kube_role ?? '';
    if (role === '') throw new VaultBackendError('unauthorized', 'hcv: auth_method kubernetes needs kube_role');
    const jwt = await readJwt(config.kube_api_token_file);
    return { body: { role, jwt }, credentials: [jwt] };
  };

  return async (signal) => {
    const request = await body();
    const answer = await http.call(
      { method: 'POST', path: `auth/${mountPath.split('/').map(encodeURIComponent).join('/')}/login`, body: request.body, what },
      signal,
    );
    if (answer.status === 400 || answer.status === 401 || answer.status === 403) {
      const said = vaultErrorText(answer.body, request.credentials);
      throw new VaultBackendError('unauthorized', `hcv: Vault refused ${what} (${answer.status}${said === '' ? '' : `: ${said}`})`);
    }
    if (answer.status !== 200) throw unexpectedAnswer(answer.status, answer.body, what, request.credentials);
    const lease = tokenLease(answer);
    if (!lease) throw new VaultBackendError('unavailable', `hcv: the answer to ${what} holds no client token`);
    return lease;
  };
}

/** The JWT in `path`, trimmed; `unauthorized` when it cannot be read (without a JWT there is nothing to log in with). */
async function readJwt(path: string): Promise<string> {
  const fail = (why: string) => new VaultBackendError('unauthorized', `hcv: cannot read the Kubernetes service-account token file ${path}: ${why}`);
  let text: string;
  try {
    const file = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(MAX_JWT_FILE_BYTES + 1);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
      if (bytesRead > MAX_JWT_FILE_BYTES) throw fail(`larger than ${MAX_JWT_FILE_BYTES} bytes`);
      text = buffer.subarray(0, bytesRead).toString('utf8').trim();
    } finally {
      await file.close();
    }
  } catch (err) {
    if (err instanceof VaultBackendError) throw err;
    throw fail(String((err as { code?: unknown })?.code ?? 'unreadable'));
  }
  if (!/^[\x21-\x7e]+$/.test(text)) throw fail(text === '' ? 'it is empty' : 'it does not hold a JWT');
  return text;
}
