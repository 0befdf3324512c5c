/**
 * key-auth's `close_on_revoke`: the key a WebSocket handshake was authenticated with is noted on
 * the request, so the proxy can close the connection when that key stops being valid while it is
 * open. Only public identifiers are kept, never the key: its id, its consumer's id and the id of
 * the service it is scoped to (deleting either deletes the key by a database cascade).
 */
import type { RequestContext } from '../plugin.js';

const WATCHED = 'key-auth:close-on-revoke';

/** A watched key, by its public identifiers. */
export interface WatchedKey {
  readonly keyId: string;
  readonly consumerId: string | null;
  readonly serviceId: string | null;
}

/** Notes that the connection of `ctx` must close when `key` stops being valid. */
export function watchKey(ctx: RequestContext, key: WatchedKey): void {
  ctx.shared.set(WATCHED, { keyId: key.keyId, consumerId: key.consumerId, serviceId: key.serviceId } satisfies WatchedKey);
}

/** The key to watch for the connection of `ctx`, or null. */
export function watchedKeyOf(ctx: RequestContext): WatchedKey | null {
  const key = ctx.shared.get(WATCHED) as WatchedKey | undefined;
  return key !== undefined && typeof key.keyId === 'string' ? key : null;
}
