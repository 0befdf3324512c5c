/** Parsing of `host:port` listen addresses and the loopback test that guards the Admin API. */
import { isIP } from 'node:net';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export function parseListen(value: string): ListenAddress {
  const idx = value.lastIndexOf(':');
  let host = value.slice(0, idx);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port: Number(value.slice(idx + 1)) };
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/**
 * The rule for both Admin API listeners (`admin_listen`, `admin_listen_tls`): one reachable from
 * other machines requires `admin_token`. Answers the problem, or null; `off` is never one.
 */
export function adminTokenProblem(key: 'admin_listen' | 'admin_listen_tls', value: string, token: string | undefined): string | null {
  if (value === 'off' || token || isLoopbackHost(parseListen(value).host)) return null;
  return `${key}: ${value} is not a loopback address, so admin_token must be set (PORTCULLIS_ADMIN_TOKEN) to protect the Admin API`;
}
