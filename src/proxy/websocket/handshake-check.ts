/**
 * What the proxy checks of a WebSocket opening handshake (RFC 6455 §4.2.1) before routing it, so
 * a malformed one never reaches a plugin or the upstream: `GET` over HTTP/1.1, no body, one
 * `Sec-WebSocket-Key` that is the base64 of 16 bytes, and `Sec-WebSocket-Version: 13` (else 400
 * naming the version spoken, §4.4). `Connection: Upgrade` is Node's check (`req.upgrade`).
 */
import type { IncomingMessage } from 'node:http';
import type { ProxyErrorResponse } from '../json-error.js';
import { hasBody } from '../body-fields.js';

/** True when the request asks to upgrade to `websocket` (the only upgrade the proxy performs). */
export function asksForWebSocket(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  if (upgrade === undefined) return false;
  // `Upgrade` is a list of protocols; the client's most preferred comes first.
  return upgrade.split(',').some((token) => token.trim().toLowerCase() === 'websocket');
}

/** Base64 of 16 bytes: 22 characters then `==`. */
const KEY = /^[A-Za-z0-9+/]{21}[AQgw]==$/;

/** Why `req` is not a valid WebSocket handshake, as the answer to send; null when it is one. */
export function handshakeProblem(req: IncomingMessage): ProxyErrorResponse | null {
  if (req.method !== 'GET') return refused('A WebSocket handshake must be a GET request');
  if (req.httpVersion !== '1.1') return refused('A WebSocket handshake must be HTTP/1.1');
  if (hasBody(req)) return refused('A WebSocket handshake has no body');
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !KEY.test(key.trim())) return refused('Sec-WebSocket-Key must be the base64 of 16 bytes');
  if (req.headers['sec-websocket-version'] !== '13') {
    return { ...refused('Sec-WebSocket-Version must be 13'), headers: { 'sec-websocket-version': '13' } };
  }
  return null;
}

function refused(message: string): ProxyErrorResponse {
  return { status: 400, code: 'PC_BAD_REQUEST', message, close: true };
}
