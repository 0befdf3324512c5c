/**
 * Type `oauth2_client_credentials`: each upstream request carries `Authorization: Bearer <token>`,
 * the token fetched from `token_url` with the client id and secret and shared through a
 * TokenCache. A token that cannot be had answers the client 502 `PC_PROXY_UPSTREAM_AUTH_FAILED`
 * (logged once per failed fetch, with the endpoint, status and OAuth error code — never the
 * secret or a token). New client credentials (refetched references) drop the token.
 *
 * The instance owns an undici Agent for the token endpoint. A request still running on an instance
 * already replaced may need a token after `close()`: it then gets a one-time Agent of its own.
 */
import type { Dispatcher } from 'undici';
import { Agent } from '../../util/undici.js';
import type { Logger } from 'pino';
import type { RequestContext, UpstreamOutcome } from '../plugin.js';
import { CONTINUE } from '../plugin.js';
import { recordUsed, type CredentialUpdate, type UpstreamCredential } from './credential.js';
import { controlProblem, removeHeader } from './header-fields.js';
import { TokenCache, type CachedToken } from './token-cache.js';
import { requestToken, type TokenRequest } from './token-endpoint.js';

export interface OAuth2Settings extends TokenRequest {
  readonly timeoutMs: number;
  readonly marginMs: number;
}

const UNOBTAINABLE: UpstreamOutcome = Object.freeze({ kind: 'reject', status: 502, code: 'PC_PROXY_UPSTREAM_AUTH_FAILED' });

/** The oauth2 credential of one plugin instance. */
export function createOAuth2Credential(settings: OAuth2Settings, deps: { readonly logger: Logger; readonly now: () => number }): UpstreamCredential {
  let client = { clientId: settings.clientId, clientSecret: settings.clientSecret };
  const problem = clientProblem(client);
  if (problem !== undefined) throw new Error(problem);
  let agent: Agent | null = newAgent(settings.timeoutMs);

  const fetchToken = async () => {
    const dispatcher: Dispatcher = agent ?? newAgent(settings.timeoutMs);
    try {
      const answer = await requestToken({ ...settings, ...client }, { dispatcher, timeoutMs: settings.timeoutMs });
      if (answer.kind === 'ok') return answer;
      deps.logger.warn(
        { plugin: 'upstream-auth', token_url: endpointOf(settings.tokenUrl), reason: answer.reason, status: answer.status, error: answer.error },
        'could not obtain an OAuth2 token for the upstream',
      );
      return null;
    } finally {
      if (dispatcher !== agent) void (dispatcher as Agent).close().catch(() => {});
    }
  };
  const cache = new TokenCache(fetchToken, { marginMs: settings.marginMs, now: deps.now });

  const send = (ctx: RequestContext, token: CachedToken): UpstreamOutcome => {
    removeHeader(ctx.upstreamHeaders, 'authorization');
    ctx.upstreamHeaders['authorization'] = token.authorization;
    recordUsed(ctx, token);
    return CONTINUE;
  };

  return {
    apply(ctx) {
      const token = cache.get();
      if (!(token instanceof Promise)) return send(ctx, token);
      return token.then((fetched) => (fetched === null ? UNOBTAINABLE : send(ctx, fetched)));
    },
    current: () => cache.current(),
    update(values): CredentialUpdate {
      const next = { clientId: values.get('client_id') ?? client.clientId, clientSecret: values.get('client_secret') ?? client.clientSecret };
      const invalid = clientProblem(next);
      if (invalid !== undefined) return { kind: 'invalid', problem: invalid };
      if (next.clientId === client.clientId && next.clientSecret === client.clientSecret) return { kind: 'same' };
      client = next;
      cache.drop();
      return { kind: 'changed' };
    },
    forget: () => cache.drop(),
    close() {
      const closing = agent;
      agent = null;
      void closing?.close().catch(() => {});
    },
  };
}

function newAgent(timeoutMs: number): Agent {
  return new Agent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
}

function clientProblem(client: { readonly clientId: string; readonly clientSecret: string }): string | undefined {
  return controlProblem('client_id', client.clientId) ?? controlProblem('client_secret', client.clientSecret);
}

/** The endpoint as logged: origin and path, without a query that might carry something private. */
function endpointOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}
