/**
 * The basic-auth plugin: strict RFC 7617 parsing, a uniform 401 with
 * `WWW-Authenticate: Basic realm=…` for every failure, `hide_credentials` and `anonymous`; 429
 * with `Retry-After` while the verifier's failure limiter locks the username, address or both.
 */
import type { AccessOutcome, PluginDefinition } from '../plugin.js';
import { BasicAuthConfigSchema, type BasicAuthConfig } from './schema.js';
import { parseBasicAuthorization } from './parse-authorization.js';
import { quoteRealm, setConsumerHeaders } from '../shared/consumer-headers.js';
import { createAuthFailure } from '../shared/auth-failure.js';
import { hideBasicCredentials } from '../shared/hide-basic-credentials.js';

export const basicAuthPlugin: PluginDefinition<BasicAuthConfig> = {
  name: 'basic-auth',
  priority: 1100,
  configSchema: BasicAuthConfigSchema,
  isAuthentication: true,
  runsOnPreflight: (config) => config.run_on_preflight,
  create(config, deps) {
    const verifier = deps.basicAuth;
    if (!verifier) throw new Error('basic-auth needs the credential verifier');
    const unauthorized: AccessOutcome = Object.freeze({
      kind: 'reject',
      status: 401,
      code: 'PC_AUTH_BASIC_INVALID',
      headers: { 'www-authenticate': `Basic realm=${quoteRealm(config.realm)}, charset="UTF-8"` },
    });
    const { anonymous, refuse } = createAuthFailure(deps, { plugin: 'basic-auth', anonymous: config.anonymous, unauthorized });

    return {
      access(ctx) {
        const header = ctx.upstreamHeaders['authorization'];
        // Before the skip below: a request another plugin authenticated must not carry these credentials upstream either.
        if (config.hide_credentials) hideBasicCredentials(ctx.upstreamHeaders);
        if (anonymous && ctx.authenticated?.credentialId) return { kind: 'continue' };
        const parsed = parseBasicAuthorization(Array.isArray(header) ? undefined : header);
        if (!parsed.ok) return refuse(ctx, parsed.reason);
        return verifier.verify(parsed.username, parsed.password.reveal(), ctx.clientIp).then((result): AccessOutcome => {
          // Failures are counted by `refuse`; what it does not see is counted here.
          if (result.ok) deps.authOutcomes?.record('basic-auth', 'valid');
          else if (result.reason === 'too_many_attempts' || result.reason === 'store_unavailable' || result.reason === 'overloaded')
            deps.authOutcomes?.record('basic-auth', result.reason);
          if (!result.ok && result.reason === 'too_many_attempts') {
            // Even with `anonymous`: the client sent credentials, and quietly treating it as the anonymous
            // consumer would hide that they were not checked, and when to try again.
            deps.logger.info({ plugin: 'basic-auth', request_id: ctx.requestId, reason: result.reason, scope: result.scope }, 'credentials refused');
            return { kind: 'reject', status: 429, code: 'PC_AUTH_TOO_MANY_ATTEMPTS', headers: { 'retry-after': String(result.retryAfterSeconds) } };
          }
          if (!result.ok && result.reason === 'store_unavailable')
            return { kind: 'reject', status: 503, code: 'PC_STORE_UNAVAILABLE', headers: { 'retry-after': '5' } };
          if (!result.ok && result.reason === 'overloaded') return { kind: 'reject', status: 503, code: 'PC_AUTH_OVERLOADED', headers: { 'retry-after': '1' } };
          if (!result.ok) return refuse(ctx, result.reason);
          const consumer = deps.consumers?.byId(result.consumerId);
          if (!consumer) return refuse(ctx, 'consumer_missing');
          setConsumerHeaders(ctx.upstreamHeaders, { consumer, credentialId: result.credentialId });
          return { kind: 'authenticated', consumer, credentialId: result.credentialId };
        });
      },
    };
  },
};
