/**
 * The `conjur` backend: CyberArk Conjur (OSS v1.x / Enterprise v13+, the v3.11+ REST API) through
 * our own HTTP client, since Conjur publishes no Node client. `{vault://conjur/prod%2Fdb%2Fpass}`
 * reads variable `prod/db/pass`: `GET /secrets/{account}/variable/prod%2Fdb%2Fpass` (the id is one
 * path segment), `#3` adds `?version=3`. The login's API key is exchanged for access tokens
 * (`POST /authn/{account}/{login}/authenticate`), cached and renewed by `conjur-token-cache.ts`;
 * a read answered 401 gets a new token and is tried once more.
 *
 * Statuses: 404 → not_found (Conjur says 404 alike for a missing variable, one the role cannot
 * see, one with no value yet and a version it no longer keeps); 401 after a new token, or an API
 * key refused → unauthorized; 403 (the role may see the variable but lacks `execute`) →
 * unauthorized; anything else → unavailable. Values are returned as their exact UTF-8 text.
 */
import { PortcullisError } from '../../../errors/portcullis-error.js';
import { readPem } from '../../../keyring/rsa-key-pair.js';
import { Secret } from '../../../observability/secret.js';
import { VaultBackendError, type SecretRead, type VaultBackend, type VaultBackendDeps } from '../../vault-backend.js';
import { parseConjurAccessToken, type ConjurAccessToken } from './conjur-access-token.js';
import type { ConjurConfig } from './conjur-config.js';
import { conjurBase, conjurPaths, type ConjurPaths } from './conjur-paths.js';
import { createTokenCache } from './conjur-token-cache.js';
import { createConjurTransport, type ConjurAnswer, type ConjurTransport } from './conjur-transport.js';

/** Strict UTF-8 that keeps a leading BOM: a value comes back byte for byte, or not at all. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const shown = (text: string) => JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);

/**
 * A backend for one vault entity's config (defaults applied). `now` is the clock token lifetimes
 * are measured on (tests share one with the Conjur fake). A config that cannot work (an endpoint
 * that is not a URL, an unreadable `ca_cert`) gives a backend whose every read fails as
 * `unavailable` saying why, so the failure shows where reference failures show.
 */
export function createConjurBackend(config: ConjurConfig, deps: VaultBackendDeps, now: () => number = Date.now): VaultBackend {
  const setup = prepare(config);
  if (typeof setup === 'string') {
    return {
      read: async (resource) => {
        throw new VaultBackendError('unavailable', `Cannot read Conjur variable ${shown(resource)}: ${setup}`);
      },
    };
  }
  const { paths, where } = setup;
  const login = shown(config.login);
  const transport = createConjurTransport({ ...(setup.ca === undefined ? {} : { ca: setup.ca }), timeout: deps.timeout });
  const apiKey = new Secret(config.api_key);

  const tokens = createTokenCache({
    authenticate: (signal) => authenticate(transport, paths.authenticate, apiKey, login, now, signal),
    now,
    timeout: deps.timeout,
    logger: deps.logger,
  });

  const get = (url: string, token: Secret<string>, signal: AbortSignal) =>
    transport.send(url, { method: 'GET', headers: { authorization: token.reveal(), accept: '*/*' } }, signal);

  return {
    async read(resource, version, _options, signal) {
      const failure = (kind: VaultBackendError['kind'], reason: string) =>
        new VaultBackendError(
          kind,
          `Cannot read Conjur variable ${shown(resource)}${version === null ? '' : ` version ${shown(version)}`} (account ${shown(config.account)} at ${where}): ${reason}`,
        );
      const url = paths.variable(resource, version);
      if (url === null) {
        throw failure(
          'not_found',
          version !== null && paths.variable(resource, null) !== null ? 'a version is a whole number from 1' : 'not a Conjur variable id',
        );
      }
      try {
        let token = await tokens.token(signal);
        let answer = await get(url, token, signal);
        if (answer.status === 401) {
          // Expired early, or Conjur's signing key changed: one new token, one more try.
          tokens.refused(token);
          token = await tokens.token(signal);
          answer = await get(url, token, signal);
        }
        return secretRead(answer, version, login);
      } catch (err) {
        if (err instanceof VaultBackendError) throw failure(err.kind, err.message);
        throw failure('unavailable', `unexpected ${(err as Error)?.name ?? 'error'}`);
      }
    },
    close: () => transport.close(),
  };
}

interface Setup {
  readonly paths: ConjurPaths;
  /** The endpoint as messages show it. */
  readonly where: string;
  readonly ca?: string;
}

/** The paths and CA of a config, or why it cannot work. */
function prepare(config: ConjurConfig): Setup | string {
  const base = conjurBase(config.endpoint_url);
  if (base === null) return 'endpoint_url is not an http(s) URL without credentials, query or fragment';
  const paths = conjurPaths(base, config.account, config.login);
  if (paths === null) return 'the account or login cannot be sent in a URL';
  if (config.ca_cert === undefined) return { paths, where: base };
  try {
    return { paths, where: base, ca: readPem(config.ca_cert, 'conjur ca_cert') };
  } catch (err) {
    if (err instanceof PortcullisError) return err.message;
    throw err;
  }
}

/** Exchanges the API key for an access token. */
async function authenticate(
  transport: ConjurTransport,
  url: string,
  apiKey: Secret<string>,
  login: string,
  now: () => number,
  signal: AbortSignal,
): Promise<ConjurAccessToken> {
  const requestedAt = now();
  const answer = await transport.send(
    url,
    { method: 'POST', headers: { 'content-type': 'text/plain', accept: 'application/json' }, body: apiKey.reveal() },
    signal,
  );
  if (answer.status === 401 || answer.status === 403)
    throw new VaultBackendError('unauthorized', `Conjur refused the API key of login ${login} (${answer.status})`);
  if (answer.status !== 200) throw new VaultBackendError('unavailable', `authenticating login ${login}, Conjur answered ${answer.status}`);
  const token = parseConjurAccessToken(answer.body, requestedAt);
  if (token === null) throw new VaultBackendError('unavailable', `the answer to authenticating login ${login} is not a Conjur access token`);
  return token;
}

/** The value of a 200, or the failure another status means. */
function secretRead(answer: ConjurAnswer, version: string | null, login: string): SecretRead {
  switch (answer.status) {
    case 200: {
      let value: string;
      try {
        value = utf8.decode(answer.body);
      } catch {
        throw new VaultBackendError('unavailable', 'the value is not UTF-8 text (a binary variable cannot be a configuration value)');
      }
      return version === null ? { value } : { value, version };
    }
    case 401:
      throw new VaultBackendError('unauthorized', `Conjur refused a new access token of login ${login} (401)`);
    case 403:
      throw new VaultBackendError('unauthorized', `login ${login} may see the variable but lacks the execute privilege on it (403)`);
    case 404:
      throw new VaultBackendError(
        'not_found',
        `Conjur has no such value (404): the variable does not exist, has no value yet, no longer keeps that version, or login ${login} cannot see it`,
      );
    default:
      if (answer.status >= 300 && answer.status < 400)
        throw new VaultBackendError(
          'unavailable',
          `Conjur answered with a redirect (${answer.status}), which is not followed: point endpoint_url at Conjur itself`,
        );
      throw new VaultBackendError('unavailable', `Conjur answered ${answer.status}`);
  }
}
