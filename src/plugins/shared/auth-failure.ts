/**
 * What an authentication plugin does when a credential fails: log the reason (never the
 * credential), then either fall back to the `anonymous` consumer (Kong's logical OR, so several
 * auth plugins can be stacked) or answer the plugin's one uniform 401.
 */
import type { AccessOutcome, PluginDeps, RequestContext } from '../plugin.js';
import { setConsumerHeaders } from './consumer-headers.js';

export interface AuthFailureOptions {
  readonly plugin: string;
  /** The configured `anonymous` consumer reference, or null. */
  readonly anonymous: string | null;
  /** The plugin's 401 outcome. */
  readonly unauthorized: AccessOutcome;
}

export interface AuthFailure {
  /** The anonymous consumer, when configured and found. */
  readonly anonymous: ReturnType<NonNullable<PluginDeps['consumers']>['find']>;
  refuse(ctx: RequestContext, reason: string, logFields?: Record<string, string>): AccessOutcome;
}

export function createAuthFailure(deps: PluginDeps, options: AuthFailureOptions): AuthFailure {
  const anonymous = options.anonymous ? deps.consumers?.find(options.anonymous) : undefined;
  if (options.anonymous && !anonymous) {
    deps.logger.warn({ plugin: options.plugin, anonymous: options.anonymous }, 'the anonymous consumer does not exist; failures get 401');
  }
  return {
    anonymous,
    refuse(ctx, reason, logFields = {}) {
      deps.authOutcomes?.record(options.plugin, reason);
      deps.logger.info({ plugin: options.plugin, request_id: ctx.requestId, reason, ...logFields }, 'credentials refused');
      if (!anonymous) return options.unauthorized;
      setConsumerHeaders(ctx.upstreamHeaders, { consumer: anonymous }, true);
      return { kind: 'authenticated', consumer: anonymous };
    },
  };
}
