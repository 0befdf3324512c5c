/**
 * A stand-in for the Admin API while the node waits for its database (await-database.ts): it
 * listens on `admin_listen` so probes and operators get an answer instead of a refused
 * connection. `/status/ready` answers 503 PC_ADMIN_NOT_READY ("waiting for the database");
 * `/status` (admin token required when one is set) tells what is known: instance id, node name,
 * and what is unreachable; every other path answers 503 PC_ADMIN_NOT_READY. The real Admin API
 * replaces it once the database answers. The proxy stays closed meanwhile: without the database
 * it holds no routes to serve.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Config } from '../config/schema.js';
import { parseListen } from '../config/listen.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import { presentedToken, tokensEqual } from '../admin/admin-auth.js';

export interface StartingListener {
  /** Records why the database cannot be reached (shown at `/status`). */
  setCause(cause: string): void;
  close(): Promise<void>;
}

export interface StartingIdentity {
  readonly nodeName: string;
  readonly instanceId: string;
}

/** Listens on `admin_listen` until closed; rejects when the address cannot be bound. */
export async function startStartingListener(config: Config, identity: StartingIdentity): Promise<StartingListener> {
  let cause = 'waiting for the first connection attempt';
  const notReady = () => new PortcullisError('PC_ADMIN_NOT_READY', { message: 'The node is starting: waiting for the database' });
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' || path !== '/status') return send(response, notReady());
    if (!authorized(request, config.admin_token)) return send(response, new PortcullisError('PC_ADMIN_UNAUTHORIZED'));
    send(response, 200, {
      instance_id: identity.instanceId,
      node_name: identity.nodeName,
      starting: true,
      database: { dialect: config.database, reachable: false, writable: false, error: { code: 'PC_STORE_UNAVAILABLE', message: cause } },
      ready: false,
      cause: 'The node is starting: waiting for the database',
    });
  });
  // The start-up reads no body: a client gets little time to hold a socket open.
  server.requestTimeout = 5000;
  server.headersTimeout = 5000;
  const { host, port } = parseListen(config.admin_listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    setCause(next) {
      cause = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function authorized(request: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const presented = presentedToken(request.headers);
  return presented !== undefined && tokensEqual(presented, token);
}

function send(response: ServerResponse, errorOrStatus: PortcullisError | number, body?: unknown): void {
  const status = typeof errorOrStatus === 'number' ? errorOrStatus : errorOrStatus.status;
  const payload = JSON.stringify(typeof errorOrStatus === 'number' ? body : errorOrStatus.toBody());
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...(status === 503 ? { 'retry-after': '1' } : {}),
  });
  response.end(payload);
}
