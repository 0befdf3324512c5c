/**
 * Rotation on failure (issue 8 §5) for `upstream-auth`: when the upstream answers one of
 * `retry_on_status`, the references the configuration came from are fetched again and an OAuth2
 * token is dropped; the proxy then sends the request once more if something changed.
 *
 * - A request sent with credentials that were replaced meanwhile is retried at once, with nothing
 *   renewed again: the many requests refused while one renewal ran share it (single-flight).
 * - A renewal that fails (a reference cannot be resolved, a refetched value cannot be used) or
 *   changes nothing leaves the upstream's answer to go to the client as it was; the warning names
 *   the references, never a value.
 * - After a renewal, refusals of the current credentials wait `cooldownMs` before causing
 *   another: credentials the upstream keeps refusing cost one vault call a second, not one per request.
 */
import type { Logger } from 'pino';
import type { PluginSecrets, RequestContext } from '../plugin.js';
import { usedBy, type UpstreamCredential } from './credential.js';

export interface RotationDeps {
  readonly logger: Logger;
  /** The references of the configuration, when it held any. */
  readonly secrets: PluginSecrets | undefined;
  readonly now: () => number;
  readonly cooldownMs: number;
}

/** The `retryUpstream` hook of one plugin instance. */
export type RetryHook = (ctx: RequestContext, status: number) => boolean | Promise<boolean>;

/** Builds the hook for `credential`, retrying on the statuses in `retryOn`. */
export function createRotation(credential: UpstreamCredential, retryOn: ReadonlySet<number>, deps: RotationDeps): RetryHook {
  let running: Promise<boolean> | null = null;
  let lastEnded = Number.NEGATIVE_INFINITY;
  const references = deps.secrets === undefined ? [] : [...deps.secrets.references.values()];

  const renew = async (): Promise<boolean> => {
    // The token is what the upstream refused: drop it whatever the references say.
    credential.forget?.();
    let changed = credential.forget !== undefined;
    if (deps.secrets === undefined) return changed;
    let values: ReadonlyMap<string, string>;
    try {
      values = await deps.secrets.refetch();
    } catch (err) {
      deps.logger.warn(
        { plugin: 'upstream-auth', references, code: (err as { code?: unknown }).code },
        'the upstream refused its credentials and their references could not be resolved again: its answer goes to the client',
      );
      return false;
    }
    const update = credential.update(values);
    if (update.kind === 'invalid') {
      deps.logger.warn(
        { plugin: 'upstream-auth', references, problem: update.problem },
        'a re-resolved upstream credential cannot be used: the upstream answer goes to the client',
      );
      return false;
    }
    changed ||= update.kind === 'changed';
    deps.logger.info({ plugin: 'upstream-auth', references, changed }, 'the upstream refused its credentials: references resolved again');
    return changed;
  };

  return (ctx, status) => {
    if (!retryOn.has(status)) return false;
    // Sent before the credentials last changed (or the token was dropped): the new ones have not been tried yet.
    const used = usedBy(ctx);
    if (used !== undefined && used !== credential.current()) return true;
    if (running !== null) return running;
    if (deps.now() - lastEnded < deps.cooldownMs) return false;
    running = renew().finally(() => {
      running = null;
      lastEnded = deps.now();
    });
    return running;
  };
}
