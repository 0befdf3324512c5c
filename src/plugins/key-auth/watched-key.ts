/**
 * key-auth's `close_on_revoke`: the key a WebSocket handshake was authenticated with is noted on
 * the request, so the proxy can close the connection when that key is revoked while it is open.
 * Only the public key id is kept, never the key.
 */
import type { RequestContext } from '../plugin.js';

const WATCHED = 'key-auth:close-on-revoke';

/** Notes that the connection of `ctx` must close when the key `keyId` is revoked. */
export function watchKey(ctx: RequestContext, keyId: string): void {
  ctx.shared.set(WATCHED, keyId);
}

/** The key id to watch for the connection of `ctx`, or null. */
export function watchedKeyOf(ctx: RequestContext): string | null {
  const id = ctx.shared.get(WATCHED);
  return typeof id === 'string' ? id : null;
}
