/**
 * The one Conjur access token a backend holds, shared by all its reads. A read takes the cached
 * token until 85 % of its life; after that it asks for a new one, and if that fails it keeps
 * sending the old one until it expires (Conjur may be briefly down; the token is still good).
 * An expired token is never sent. Concurrent reads that need a token share one authentication,
 * which runs on its own deadline, so a reader that gives up (its signal aborts) ends at once
 * without cutting the others off. A token Conjur refuses (401) is forgotten, once, by `refused`.
 */
import type { Logger } from 'pino';
import type { Secret } from '../../../observability/secret.js';
import { VaultBackendError } from '../../vault-backend.js';
import type { ConjurAccessToken } from './conjur-access-token.js';
import { untilAborted } from '../../until-aborted.js';

export interface TokenCacheDeps {
  /** Exchanges the API key for a new token; throws VaultBackendErrors; `signal` is the cache's deadline. */
  authenticate(signal: AbortSignal): Promise<ConjurAccessToken>;
  /** The clock (ms) that `ConjurAccessToken.refreshAt` and `expiresAt` are on. */
  now(): number;
  /** Milliseconds one authentication may take. */
  readonly timeout: number;
  readonly logger: Logger;
}

export interface TokenCache {
  /** The `Authorization` header value to send now. Rejects with a VaultBackendError. */
  token(signal: AbortSignal): Promise<Secret<string>>;
  /** Conjur answered 401 to `header`: the next `token` authenticates again (unless another read already did). */
  refused(header: Secret<string>): void;
}

export function createTokenCache(deps: TokenCacheDeps): TokenCache {
  let current: ConjurAccessToken | null = null;
  let flight: Promise<ConjurAccessToken> | null = null;

  const authenticateOnce = (): Promise<ConjurAccessToken> => {
    if (flight) return flight;
    const started = deps
      .authenticate(AbortSignal.timeout(deps.timeout))
      .then((token) => {
        deps.logger.debug({ valid_for_ms: token.expiresAt - deps.now() }, 'Conjur: obtained an access token');
        return (current = token);
      })
      .finally(() => {
        flight = null;
      });
    // Every reader may have given up by the time it settles: its failure is then nobody's to handle.
    started.catch(() => undefined);
    return (flight = started);
  };

  return {
    async token(signal) {
      const held = current;
      const now = deps.now();
      if (held && now < held.refreshAt) return held.header;
      const stillValid = held && now < held.expiresAt ? held : null;
      if (!stillValid) current = null;
      try {
        return (await untilAborted(authenticateOnce(), signal, cutOff)).header;
      } catch (err) {
        if (stillValid === null || signal.aborted || current !== stillValid) throw err;
        deps.logger.warn(
          { reason: (err as Error).message, expires_in_ms: stillValid.expiresAt - now },
          'Conjur: renewing the access token failed; the current one is used until it expires',
        );
        return stillValid.header;
      }
    },
    refused(header) {
      if (current?.header === header) current = null;
    },
  };
}

const cutOff = () => new VaultBackendError('unavailable', 'the read was cut off (timeout) while waiting for a Conjur access token');
