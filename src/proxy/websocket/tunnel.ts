/**
 * One open WebSocket connection through the proxy: the client's socket and the upstream's, piped
 * both ways with back-pressure (a direction whose destination buffers too much pauses its source
 * until `drain`). The proxy follows the frame boundaries of each direction (`frame-boundary.ts`)
 * so `close(code)` can end the connection the WebSocket way: at the next boundary of each
 * direction it sends a close frame with `code` (unmasked to the client, masked to the upstream),
 * stops forwarding and half-closes; a peer that has not closed `CLOSE_GRACE_MS` later (or a frame
 * that never ends) is cut. An idle connection (no byte either way for `idleTimeout`) is closed
 * with 1001. When one side closes, the other is ended once its pending bytes are written.
 */
import type { Duplex } from 'node:stream';
import { FrameBoundary } from './frame-boundary.js';
import { closeFrame, GOING_AWAY } from './close-frame.js';

/** How long peers have to finish a close the proxy started before their sockets are destroyed. */
export const CLOSE_GRACE_MS = 2_000;

export interface TunnelOptions {
  /** Milliseconds without a byte either way before the proxy closes with 1001; 0 = never. */
  readonly idleTimeout: number;
  /** Bytes forwarded, by direction (metrics). */
  onBytes(direction: 'client_to_upstream' | 'upstream_to_client', bytes: number): void;
  /** Called once, when both sockets are closed. */
  onClosed(): void;
}

/** One direction of a tunnel: from `source` to `sink`. */
class Direction {
  readonly #frames = new FrameBoundary();
  #closeCode: number | null = null;
  #done = false;

  constructor(
    readonly source: Duplex,
    readonly sink: Duplex,
    readonly masked: boolean,
    readonly count: (bytes: number) => void,
  ) {}

  /** Forwards `chunk`, or up to the frame boundary where a close frame is owed. Returns false to pause the source. */
  forward(chunk: Buffer): boolean {
    if (this.#done) return true;
    if (this.#closeCode === null) {
      this.#frames.advance(chunk);
      this.count(chunk.length);
      return this.sink.write(chunk);
    }
    const cut = this.#frames.advance(chunk, 0, true);
    if (cut > 0) this.sink.write(cut === chunk.length ? chunk : chunk.subarray(0, cut));
    this.count(cut);
    if (this.#frames.atBoundary) this.#sendClose();
    else if (this.#frames.broken) this.sink.destroy();
    return true;
  }

  /** Sends a close frame with `code` at the next frame boundary (at once when between frames). */
  close(code: number): void {
    if (this.#done || this.#closeCode !== null) return;
    this.#closeCode = code;
    if (this.#frames.broken) this.sink.destroy();
    else if (this.#frames.atBoundary) this.#sendClose();
    // Mid-frame: the close frame follows the frame's last byte (`forward`); the grace period bounds the wait.
  }

  #sendClose(): void {
    this.#done = true;
    // What the source still sends (its own close frame, late data) is read and dropped.
    this.source.resume();
    if (this.sink.writable) this.sink.end(closeFrame(this.#closeCode!, this.masked));
  }
}

/** Pipes `client` and `upstream` both ways until either closes or `close` is called. */
export class Tunnel {
  readonly #client: Duplex;
  readonly #upstream: Duplex;
  readonly #up: Direction;
  readonly #down: Direction;
  readonly #options: TunnelOptions;
  #open = 2;
  #closing = false;

  /** `clientHead`: bytes the client sent after its handshake, before the tunnel existed. */
  constructor(client: Duplex, upstream: Duplex, clientHead: Buffer, options: TunnelOptions) {
    this.#client = client;
    this.#upstream = upstream;
    this.#options = options;
    this.#up = new Direction(client, upstream, true, (n) => options.onBytes('client_to_upstream', n));
    this.#down = new Direction(upstream, client, false, (n) => options.onBytes('upstream_to_client', n));
    for (const socket of [client, upstream]) {
      // A reset or write after the peer left: the socket closes, which ends the tunnel.
      socket.on('error', () => {});
      socket.once('close', () => this.#onSocketClosed(socket === client ? upstream : client));
    }
    if (clientHead.length > 0) this.#up.forward(clientHead);
    this.#pipe(this.#up);
    this.#pipe(this.#down);
    const idle = options.idleTimeout;
    if (idle > 0 && 'setTimeout' in client)
      (client as unknown as { setTimeout(ms: number, cb: () => void): void }).setTimeout(idle, () => this.close(GOING_AWAY));
  }

  /** True once a close was asked for (shutdown, revocation, idle) or one side left. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Closes the connection with `code` at the next frame boundary of each direction; cut after the grace period. */
  close(code: number): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#down.close(code);
    this.#up.close(code);
    this.#cutLater();
  }

  #pipe(direction: Direction): void {
    const { source, sink } = direction;
    source.on('data', (chunk: Buffer) => {
      if (!direction.forward(chunk)) source.pause();
    });
    sink.on('drain', () => source.resume());
    // A half-close travels on: the other side learns no more bytes will come.
    source.on('end', () => {
      if (sink.writable) sink.end();
    });
  }

  #onSocketClosed(other: Duplex): void {
    this.#closing = true;
    if (--this.#open === 0) {
      this.#options.onClosed();
      return;
    }
    // Pending bytes to the other side are written before it ends; a peer that never reads is cut.
    if (other.writable) other.end();
    this.#cutLater();
  }

  #cutLater(): void {
    setTimeout(() => {
      this.#client.destroy();
      this.#upstream.destroy();
    }, CLOSE_GRACE_MS).unref();
  }
}
