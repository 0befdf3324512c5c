/**
 * The `upstream-auth` plugin: gives a service's upstream its own credentials so clients never hold
 * them — a configured header, HTTP Basic, an OAuth2 client-credentials token, or an AWS SigV4
 * signature. It has no access phase: its `beforeUpstream` hook sets the credential right before
 * each attempt to send the request (after every other plugin changed it), replacing any the
 * client sent. Its `retryUpstream` hook renews the credentials when the upstream refuses them
 * (rotation.ts); the proxy then sends the request once more when its body allows.
 */
import type { PluginDefinition, PluginDeps, PluginInstance } from '../plugin.js';
import { UpstreamAuthSchema, OAUTH2_DEFAULTS, type UpstreamAuthConfig } from './schema.js';
import type { UpstreamCredential } from './credential.js';
import { createBasicCredential, createHeaderCredential } from './header-credential.js';
import { createOAuth2Credential } from './oauth2-credential.js';
import { createSigV4Credential } from './sigv4-credential.js';
import { createRotation } from './rotation.js';

/** After a renewal, how long refusals of the current credentials wait before causing another. */
export const RENEWAL_COOLDOWN_MS = 1000;

export interface UpstreamAuthOptions {
  /** The clock (ms since the epoch); tests move it. */
  readonly now?: () => number;
  readonly cooldownMs?: number;
}

/** Builds one instance of the plugin for a validated configuration (defaults applied). */
export function createUpstreamAuth(config: UpstreamAuthConfig, deps: PluginDeps, options: UpstreamAuthOptions = {}): PluginInstance {
  const now = options.now ?? Date.now;
  const credential = credentialFor(config, deps, now);
  // A renewal can change something only with references to fetch again or a token to drop.
  const renewable = deps.secrets !== undefined || credential.forget !== undefined;
  const retryUpstream =
    renewable && config.retry_on_status.length > 0
      ? createRotation(credential, new Set(config.retry_on_status), {
          logger: deps.logger,
          secrets: deps.secrets,
          now,
          cooldownMs: options.cooldownMs ?? RENEWAL_COOLDOWN_MS,
        })
      : undefined;
  // Buffered bodies are what a retry can send again and what SigV4 signs by their hash.
  const buffersBodyUpTo = retryUpstream !== undefined || config.type === 'aws_sigv4' ? config.max_buffered_body_size : 0;
  return {
    buffersBodyUpTo,
    beforeUpstream: (ctx, request) => credential.apply(ctx, request),
    ...(retryUpstream === undefined ? {} : { retryUpstream }),
    close: () => credential.close?.(),
  };
}

function credentialFor(config: UpstreamAuthConfig, deps: PluginDeps, now: () => number): UpstreamCredential {
  // The schema's refinement guarantees the fields of the type are present.
  switch (config.type) {
    case 'header':
      return createHeaderCredential(config.header_name!.toLowerCase(), config.header_value!);
    case 'basic':
      return createBasicCredential(config.username!, config.password!);
    case 'oauth2_client_credentials':
      return createOAuth2Credential(
        {
          tokenUrl: config.token_url!,
          clientId: config.client_id!,
          clientSecret: config.client_secret!,
          scopes: config.scopes ?? [],
          audience: config.audience,
          authMethod: config.token_auth_method ?? OAUTH2_DEFAULTS.token_auth_method,
          timeoutMs: config.token_timeout ?? OAUTH2_DEFAULTS.token_timeout,
          marginMs: (config.token_expiry_margin ?? OAUTH2_DEFAULTS.token_expiry_margin) * 1000,
        },
        { logger: deps.logger, now },
      );
    case 'aws_sigv4':
      return createSigV4Credential(
        { accessKeyId: config.access_key_id!, secretAccessKey: config.secret_access_key!, sessionToken: config.session_token },
        { region: config.region!, service: config.service! },
      );
  }
}

/** Plugin `upstream-auth`, priority 760 (Kong's upstream-oauth): it orders only the upstream hooks. */
export const upstreamAuthPlugin: PluginDefinition<UpstreamAuthConfig> = {
  name: 'upstream-auth',
  priority: 760,
  configSchema: UpstreamAuthSchema,
  create: (config, deps) => createUpstreamAuth(config, deps),
};
