/**
 * The `hcv` backend (HashiCorp Vault): one read is one `GET` of a KV v1 or v2 secret with the
 * token the token source holds. When Vault refuses a login token (403: revoked, or expired before
 * its lease said), the backend logs in again once and retries the read once; a configured token
 * that is refused is `unauthorized` at once. Everything else about a read (paths, the two 404s,
 * the value) is `kv-read.ts`; talking to Vault is `vault-http.ts`.
 */
import { readPem } from '../../../keyring/rsa-key-pair.js';
import { VaultBackendError, type VaultBackend, type VaultBackendDeps } from '../../vault-backend.js';
import type { HcvConfig } from './hcv-config.js';
import { kvNotFound, kvSecret, kvTarget, type KvTarget } from './kv-read.js';
import { createVaultHttp, type VaultAnswer } from './vault-http.js';
import { createLogin } from './vault-login.js';
import { unexpectedAnswer } from './vault-refusal.js';
import { loginTokenSource, staticTokenSource } from './vault-token-source.js';

const trimSlashes = (s: string) => s.replace(/^\/+|\/+$/g, '');

/** `https://vault:8200`; an IPv6 address goes in brackets. */
export function vaultBase(config: Pick<HcvConfig, 'protocol' | 'host' | 'port'>): string {
  const host = config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;
  return `${config.protocol}://${host}:${config.port}`;
}

export function createHcvBackend(config: HcvConfig, deps: VaultBackendDeps): VaultBackend {
  const mount = trimSlashes(config.mount);
  // A CA that cannot be read fails every read (as unavailable, naming ca_cert) rather than the
  // vault's creation: the resolver reports it per reference, like any other unreachable vault.
  let ca: string | undefined;
  let broken: string | null = null;
  try {
    ca = config.ca_cert === undefined ? undefined : readPem(config.ca_cert, 'ca_cert');
  } catch (err) {
    broken = `hcv: ${(err as Error).message}`;
  }
  const namespace = config.namespace === undefined ? undefined : trimSlashes(config.namespace);
  const http = createVaultHttp({ base: vaultBase(config), namespace, ca, timeout: deps.timeout });
  const login = createLogin(config, http);
  const tokens = login
    ? loginTokenSource({ login, http, logger: deps.logger, timeout: deps.timeout, authMethod: config.auth_method })
    : staticTokenSource(config.token);
  const configured = [config.token, config.approle_role_id, config.approle_secret_id].filter((c): c is string => c !== undefined);
  let closed = false;

  const get = (target: KvTarget, token: string, signal: AbortSignal): Promise<VaultAnswer> =>
    http.call({ method: 'GET', path: target.path, token, what: `reading "${target.shown}"` }, signal);

  return {
    async read(resource, version, _options, signal) {
      if (closed) throw new VaultBackendError('unavailable', 'hcv: the backend was closed');
      if (broken !== null) throw new VaultBackendError('unavailable', broken);
      const target = kvTarget(mount, config.kv, resource, version);
      let token = await tokens.token(signal);
      let answer = await get(target, token, signal);
      let relogged = false;
      if (answer.status === 403 && tokens.refused(token)) {
        deps.logger.info({ backend: 'hcv', auth_method: config.auth_method }, 'hcv: Vault refused the token; logging in again');
        relogged = true;
        token = await tokens.token(signal);
        answer = await get(target, token, signal);
      }
      if (answer.status === 200) return kvSecret(config.kv, answer, target.shown);
      if (answer.status === 404) throw kvNotFound(config.kv, answer, target.shown);
      if (answer.status === 403) {
        const why = relogged
          ? 'even with a fresh login: the policy of the role does not allow reading it, or the namespace is wrong'
          : 'the token is invalid or expired, its policy does not allow reading it, or the namespace is wrong';
        throw new VaultBackendError('unauthorized', `hcv: permission denied (403) reading "${target.shown}": ${why}`);
      }
      throw unexpectedAnswer(answer.status, answer.body, `reading "${target.shown}"`, [...configured, token]);
    },
    async close() {
      closed = true;
      tokens.close();
      await http.close();
    },
  };
}
