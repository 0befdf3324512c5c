/**
 * What each `upstream-auth` type implements: putting its credential on a request about to go
 * upstream, and taking new field values when its references are fetched again. A request records
 * which credential it was sent with (`current()` at that moment, a new object whenever the
 * credential changes), so a refusal of credentials that were replaced meanwhile is retried
 * without renewing anything again.
 */
import type { RequestContext, UpstreamOutcome, UpstreamRequest } from '../plugin.js';

/** The outcome of taking refetched field values. `invalid` carries a message that names the field, never its value. */
export type CredentialUpdate = { readonly kind: 'changed' } | { readonly kind: 'same' } | { readonly kind: 'invalid'; readonly problem: string };

export interface UpstreamCredential {
  /** Sets the credential on the request (in `ctx.upstreamHeaders`) and records it as the one used. */
  apply(ctx: RequestContext, request: UpstreamRequest): UpstreamOutcome | Promise<UpstreamOutcome>;
  /** The credential in use now: a new object each time it changes (null before an OAuth2 token is fetched). */
  current(): object | null;
  /** Takes field values fetched again from their references, by config path; unknown paths are ignored. */
  update(values: ReadonlyMap<string, string>): CredentialUpdate;
  /** Forgets what was derived from the fields (an OAuth2 token), so the next request gets a new one. */
  forget?(): void;
  close?(): void;
}

const USED = 'upstream-auth';

/** Records on the request which credential it was sent with. */
export function recordUsed(ctx: RequestContext, credential: object): void {
  ctx.shared.set(USED, credential);
}

/** The credential the request was last sent with, if any. */
export function usedBy(ctx: RequestContext): unknown {
  return ctx.shared.get(USED);
}
