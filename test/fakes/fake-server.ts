/**
 * The loopback server under the wire fakes of this folder: plain HTTP, or HTTPS when given a key
 * and certificate, listening on 127.0.0.1 at a free port; a request body read whole; and the hold
 * behind a fake's `hang`. Each fake keeps its own routes, records and exported API.
 */
import { createServer as createHttpServer, type IncomingMessage, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';

/** The key and certificate a fake serves HTTPS with (test/support/tls-fixtures.ts has the TEST-ONLY pair). */
export interface FakeServerTls {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
}

/** A fake's listening server. */
export interface FakeServer {
  /** `http://127.0.0.1:<port>` or `https://…`, without a trailing slash. */
  readonly url: string;
  /** Drops every open connection (held requests too) and resolves once the server has stopped. */
  close(): Promise<void>;
}

/** Starts `listener` on 127.0.0.1 at a free port, over HTTPS when `tls` is given. */
export async function startFakeServer(listener: RequestListener, tls?: FakeServerTls): Promise<FakeServer> {
  const server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The whole body of `req`. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Behind a fake's `hang(on)`: while active, requests wait unanswered in `wait()`. */
export interface RequestHold {
  readonly active: boolean;
  /** Resolves once the hold is turned off. */
  wait(): Promise<void>;
  /** Turns the hold on, or off, which lets every waiting request go on. */
  set(on: boolean): void;
}

/** A hold that starts off. */
export function createRequestHold(): RequestHold {
  let active = false;
  const held = new Set<() => void>();
  return {
    get active() {
      return active;
    },
    wait: () => new Promise<void>((resolve) => held.add(resolve)),
    set(on) {
      active = on;
      if (on) return;
      for (const go of held) go();
      held.clear();
    },
  };
}

/** A loopback port nothing listens on (bound once, then released): for "nothing answers" cases. */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
