/**
 * The key-auth plugin: finds the key, asks the node's verifier, and either authenticates the
 * request as the key's consumer or refuses it. Every failure (missing, malformed, unknown,
 * revoked, expired, out of scope, two keys) gets the same 401 with `WWW-Authenticate`; the log
 * says which, by key id only. With `anonymous`, failures fall through to that consumer instead.
 * `hide_credentials` removes every key name from every place, even when another plugin already
 * authenticated the request (Kong's logical OR) and this one skips its own check.
 */
import { CONTINUE, type AccessOutcome, type PluginDefinition, type RequestContext } from '../plugin.js';
import type { VerifyResult } from '../../apikeys/verifier/verify-result.js';
import { KeyAuthConfigSchema, type KeyAuthConfig } from './schema.js';
import { extractKey } from './extract-key.js';
import { hideKey } from './hide-key.js';
import { createKeyNames } from './key-names.js';
import { clearConsumerHeaders, quoteRealm, setConsumerHeaders } from '../shared/consumer-headers.js';
import { createAuthFailure } from '../shared/auth-failure.js';
import { watchKey } from './watched-key.js';

export const keyAuthPlugin: PluginDefinition<KeyAuthConfig> = {
  name: 'key-auth',
  priority: 1250,
  configSchema: KeyAuthConfigSchema,
  isAuthentication: true,
  runsOnPreflight: (config) => config.run_on_preflight,
  create(config, deps) {
    const verifier = deps.apiKeys;
    if (!verifier) throw new Error('key-auth needs the API-key verifier');
    const headerNames = config.key_names.map((n) => n.toLowerCase());
    const hidden = config.hide_credentials ? createKeyNames(config.key_names) : null;
    const unauthorized: AccessOutcome = Object.freeze({
      kind: 'reject',
      status: 401,
      code: 'PC_AUTH_KEY_INVALID',
      headers: { 'www-authenticate': `Key realm=${quoteRealm(config.realm)}` },
    });
    const { anonymous, refuse: refuseWith } = createAuthFailure(deps, { plugin: 'key-auth', anonymous: config.anonymous, unauthorized });
    const refuse = (ctx: RequestContext, reason: string, keyId?: string) => refuseWith(ctx, reason, keyId ? { key_id: keyId } : {});

    /** Turns a verification into the request's outcome. */
    const outcomes = deps.authOutcomes;
    const countValid = outcomes?.recorder('key-auth', 'valid');
    const decide = (ctx: RequestContext, result: VerifyResult): AccessOutcome => {
      // Failures are counted by `refuse`; what it does not see is counted here.
      if (result.status === 'valid') countValid?.();
      else if (result.status === 'overloaded' || result.status === 'store_unavailable' || result.status === 'issuer_unavailable')
        outcomes?.record('key-auth', result.status);
      if (result.status === 'overloaded') return { kind: 'reject', status: 503, code: 'PC_AUTH_OVERLOADED', headers: { 'retry-after': '1' } };
      if (result.status === 'store_unavailable') return { kind: 'reject', status: 503, code: 'PC_STORE_UNAVAILABLE', headers: { 'retry-after': '5' } };
      if (result.status === 'issuer_unavailable')
        return { kind: 'reject', status: 503, code: 'PC_AUTH_REMOTE_ISSUER_UNAVAILABLE', headers: { 'retry-after': '5' } };
      if (result.status !== 'valid') return refuse(ctx, result.status, result.keyId);
      // A WebSocket outlives this check: its key is watched for revocation (`close_on_revoke`).
      if (config.close_on_revoke && ctx.req.headers.upgrade !== undefined) watchKey(ctx, result.key);
      const consumer = result.key.consumerId ? deps.consumers?.byId(result.key.consumerId) : undefined;
      if (!consumer) {
        // A key without a consumer authenticates the request but names nobody.
        clearConsumerHeaders(ctx.upstreamHeaders);
        ctx.upstreamHeaders['x-credential-identifier'] = result.key.keyId;
        return CONTINUE;
      }
      setConsumerHeaders(ctx.upstreamHeaders, { consumer, credentialId: result.key.keyId });
      return { kind: 'authenticated', consumer, credentialId: result.key.keyId };
    };

    return {
      readsBody: config.key_in_body,
      removesBodyFields: config.hide_credentials,
      access(ctx) {
        // Kong's logical OR: with `anonymous`, a request another plugin already authenticated passes.
        if (anonymous && ctx.authenticated?.credentialId) {
          if (hidden) hideKey(ctx, hidden);
          return CONTINUE;
        }
        const extracted = extractKey(ctx, config, headerNames);
        if (hidden) hideKey(ctx, hidden);
        if (extracted.kind === 'none') return refuse(ctx, 'missing');
        if (extracted.kind === 'conflict') return refuse(ctx, 'two_different_keys');
        if (extracted.kind === 'bad_prefix') return refuse(ctx, 'missing_value_prefix');
        if (extracted.kind === 'not_a_string') return refuse(ctx, 'key_not_a_string');
        const scope = { serviceId: ctx.service?.id ?? null, issuers: config.issuers ?? undefined };
        const known = verifier.verifyCached(extracted.value, scope);
        return known ? decide(ctx, known) : verifier.verify(extracted.value, scope).then((result) => decide(ctx, result));
      },
    };
  },
};
