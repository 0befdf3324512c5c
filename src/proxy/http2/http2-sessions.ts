/**
 * The HTTP/2 sessions of one listener (TLS or h2c): each is watched for rapid resets
 * (`reset-guard.ts`) and given an idle limit, and all can be closed at shutdown: first
 * gracefully (GOAWAY, open streams finish, no new ones), then cut once the drain is over.
 */
import type { Http2SecureServer, Http2Server, Http2Session } from 'node:http2';
import type { Logger } from 'pino';
import { guardResets, type ResetLimits } from './reset-guard.js';

/** A session with no traffic at all for this long is closed (streams with traffic keep it alive). */
export const SESSION_IDLE_TIMEOUT_MS = 300_000;

export interface Http2Sessions {
  /** GOAWAY to every session: open streams finish, new ones are refused. */
  closeGracefully(): void;
  /** Destroys every session left. */
  destroyAll(): void;
}

/** Tracks `server`'s sessions from now on. */
export function trackHttp2Sessions(server: Http2Server | Http2SecureServer, limits: ResetLimits, logger: Logger): Http2Sessions {
  const open = new Set<Http2Session>();
  server.setTimeout(SESSION_IDLE_TIMEOUT_MS);
  server.on('session', (session: Http2Session) => {
    open.add(session);
    session.once('close', () => open.delete(session));
    // A session's protocol errors are the client's; they close that session only.
    session.on('error', (err: Error & { code?: string }) => logger.debug({ code: err.code, peer: session.socket?.remoteAddress }, 'HTTP/2 session error'));
    const peer = session.socket?.remoteAddress;
    guardResets(session, limits, () => logger.warn({ peer }, 'HTTP/2 connection closed: too many cancelled streams (rapid reset)'));
  });
  return {
    closeGracefully() {
      for (const session of open) if (!session.closed) session.close();
    },
    destroyAll() {
      for (const session of open) session.destroy();
    },
  };
}
