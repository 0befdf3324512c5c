/**
 * The token the `hcv` backend reads with. A configured token (`auth_method: token`) is used as
 * given. A login token (AppRole, Kubernetes) is the backend's own business, as the VaultBackend
 * contract says:
 *
 * - Obtained on first use, and again once it has (nearly) expired; concurrent reads share one
 *   login, and a reader whose signal aborts stops waiting without cancelling it for the others.
 * - Renewed (`POST /v1/auth/token/renew-self`) at 2/3 of its lease while Vault says it is
 *   renewable; a renewal that fails drops the token, so the next read logs in afresh.
 * - Dropped when Vault refuses it (403: revoked, or expired sooner than its lease said; Vault
 *   never answers 401), so the read can log in again once and retry.
 * - `close()` stops the renewal timer and any login in flight. Timers are unref'd: a backend never
 *   keeps the process alive.
 */
import type { Logger } from 'pino';
import { VaultBackendError } from '../../vault-backend.js';
import type { VaultHttp } from './vault-http.js';
import { tokenLease, type Login, type TokenLease } from './vault-login.js';
import { untilAborted } from '../../until-aborted.js';

export interface TokenSource {
  /** The token to read with, logging in first when there is none or it has expired. */
  token(signal: AbortSignal): Promise<string>;
  /** Vault refused `token`: true when a fresh login may help (the token is dropped), false for a configured token. */
  refused(token: string): boolean;
  close(): void;
}

interface Held {
  readonly token: string;
  /** ms since the epoch after which the token is not used; Infinity when it has no expiry. */
  readonly usableUntil: number;
  timer: NodeJS.Timeout | null;
}

export interface LoginTokenSourceDeps {
  readonly login: Login;
  readonly http: VaultHttp;
  readonly logger: Logger;
  readonly timeout: number;
  readonly authMethod: string;
}

/** A configured token: never renewed, never replaced. */
export function staticTokenSource(token: string | undefined): TokenSource {
  return {
    async token() {
      if (token === undefined || token === '') throw new VaultBackendError('unauthorized', 'hcv: auth_method token needs token');
      return token;
    },
    refused: () => false,
    close() {},
  };
}

/** A token from logins, renewed and replaced as described above. */
export function loginTokenSource(deps: LoginTokenSourceDeps): TokenSource {
  const closing = new AbortController();
  let held: Held | null = null;
  let pending: Promise<string> | null = null;

  const signalForVault = () => AbortSignal.any([closing.signal, AbortSignal.timeout(deps.timeout)]);

  const drop = () => {
    if (held?.timer) clearTimeout(held.timer);
    held = null;
  };

  const hold = (lease: TokenLease) => {
    drop();
    const ms = lease.leaseSeconds * 1000;
    // Stop using the token a little before Vault does: a tenth of its lease, at most 10 s.
    held = { token: lease.token, usableUntil: ms === 0 ? Infinity : Date.now() + ms - Math.min(ms / 10, 10_000), timer: null };
    if (lease.renewable && ms > 0) {
      const mine = held;
      mine.timer = setTimeout(() => void renew(mine), (ms * 2) / 3).unref();
    }
  };

  const renew = async (mine: Held) => {
    mine.timer = null;
    const what = 'renewing its token (auth/token/renew-self)';
    let lease: TokenLease | null = null;
    let problem = '';
    try {
      const answer = await deps.http.call({ method: 'POST', path: 'auth/token/renew-self', token: mine.token, body: {}, what }, signalForVault());
      lease = answer.status === 200 ? tokenLease(answer) : null;
      if (!lease) problem = `Vault answered ${answer.status}`;
    } catch (err) {
      problem = (err as Error).message;
    }
    if (held !== mine || closing.signal.aborted) return;
    if (lease && lease.token === mine.token) {
      hold(lease);
      deps.logger.debug({ backend: 'hcv', lease_seconds: lease.leaseSeconds }, 'hcv: renewed the Vault token');
      return;
    }
    drop();
    deps.logger.warn({ backend: 'hcv', problem }, 'hcv: could not renew the Vault token; the next read logs in again');
  };

  const login = (): Promise<string> => {
    pending ??= deps
      .login(signalForVault())
      .then((lease) => {
        if (closing.signal.aborted) throw new VaultBackendError('unavailable', 'hcv: the backend was closed');
        hold(lease);
        deps.logger.info(
          { backend: 'hcv', auth_method: deps.authMethod, lease_seconds: lease.leaseSeconds, renewable: lease.renewable },
          'hcv: logged in to Vault',
        );
        return lease.token;
      })
      .finally(() => {
        pending = null;
      });
    // Nobody may be left waiting (all readers aborted): the failure is theirs to see, not the process's.
    pending.catch(() => undefined);
    return pending;
  };

  return {
    async token(signal) {
      if (closing.signal.aborted) throw new VaultBackendError('unavailable', 'hcv: the backend was closed');
      if (held && Date.now() < held.usableUntil) return held.token;
      return untilAborted(login(), signal, cancelled);
    },
    refused(token) {
      if (held?.token === token) drop();
      return true;
    },
    close() {
      closing.abort();
      drop();
    },
  };
}

const cancelled = () => new VaultBackendError('unavailable', 'hcv: the read was cancelled (timeout) while logging in to Vault');
