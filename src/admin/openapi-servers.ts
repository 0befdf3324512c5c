/**
 * The `servers` of the OpenAPI document: this node's own Admin API listeners (`admin_listen`, and
 * `admin_listen_tls` unless `off`), not a fixed example address. A wildcard bind address (0.0.0.0,
 * ::) is no address a client can use, so the host is a server variable whose default is the
 * loopback address of the same family and which a tool fills with the node's real name.
 */
import { isIP } from 'node:net';
import { parseListen } from '../config/listen.js';

export interface OpenApiServer {
  readonly url: string;
  readonly description: string;
  readonly variables: { readonly host: { readonly default: string; readonly description: string } };
}

/** One server per Admin API listener of this configuration, the plain one first. */
export function openApiServers(listeners: { readonly admin_listen: string; readonly admin_listen_tls: string }): OpenApiServer[] {
  const servers = [server('http', listeners.admin_listen, 'this node’s Admin API (`admin_listen`)')];
  if (listeners.admin_listen_tls !== 'off') servers.push(server('https', listeners.admin_listen_tls, 'this node’s Admin API over TLS (`admin_listen_tls`)'));
  return servers;
}

function server(scheme: 'http' | 'https', listen: string, description: string): OpenApiServer {
  const { host, port } = parseListen(listen);
  const usable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const shown = isIP(usable) === 6 ? `[${usable}]` : usable;
  return {
    url: `${scheme}://{host}:${port}`,
    description,
    variables: { host: { default: shown, description: 'the name or address clients reach this node by' } },
  };
}
