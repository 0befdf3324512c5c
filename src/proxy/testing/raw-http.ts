/**
 * Raw HTTP/1.1 over `node:net` for framing tests: the request goes out byte for byte (`fetch` and
 * `http.request` would normalise paths, merge headers or refuse what an attacker can send), and
 * the answer is read back as text and split into responses.
 */
import { connect, type Socket } from 'node:net';

/** One response read off the wire. */
export interface RawResponse {
  readonly status: number;
  /** Lower-cased names; a repeated header keeps its last value. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** False while the body has not fully arrived. */
  readonly complete: boolean;
}

/** Writes `request` and reads until the server closes the connection (or `timeoutMs` passes). */
export function rawExchange(port: number, request: string | Buffer, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (c: Buffer) => (data += c.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}

/** Splits what a server wrote into responses (1xx included); bodies are read by Content-Length or chunks. */
export function parseResponses(raw: string): RawResponse[] {
  const out: RawResponse[] = [];
  let rest = raw;
  while (rest.startsWith('HTTP/')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) break;
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(statusLine!.split(' ')[1]);
    const framed = headers['transfer-encoding'] === 'chunked' ? readChunked(rest, end + 4) : null;
    const length = Number(headers['content-length'] ?? (status < 200 ? 0 : rest.length - end - 4));
    const body = framed ? framed.body : rest.slice(end + 4, end + 4 + length);
    out.push({ status, headers, body, complete: framed ? framed.complete : body.length === length });
    rest = rest.slice(framed ? framed.end : end + 4 + length);
  }
  return out;
}

/** A `waitFor` predicate: a final (non-1xx) response has fully arrived. */
export function finalResponseArrived(raw: string): boolean {
  return parseResponses(raw).some((r) => r.status >= 200 && r.complete);
}

/** Decodes a chunked body starting at `at`; an incomplete one yields what arrived so far. */
function readChunked(raw: string, at: number): { body: string; end: number; complete: boolean } {
  let body = '';
  let i = at;
  for (;;) {
    const eol = raw.indexOf('\r\n', i);
    if (eol === -1) return { body, end: raw.length, complete: false };
    const size = parseInt(raw.slice(i, eol), 16);
    if (size === 0) return { body, end: Math.min(raw.length, eol + 4), complete: raw.length >= eol + 4 };
    body += raw.slice(eol + 2, eol + 2 + size);
    i = eol + 2 + size + 2;
  }
}

/** A raw connection kept open, for exchanges in steps (send headers, see what comes, send a body). */
export class RawConnection {
  readonly #socket: Socket;
  #data = '';
  #closed = false;
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (c: Buffer) => {
      this.#data += c.toString('latin1');
      this.#wake();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on('error', () => {});
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  get received(): string {
    return this.#data;
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(data: string | Buffer): void {
    this.#socket.write(data);
  }

  /** Resolves once `predicate(received)` holds, the connection closes, or `timeoutMs` passes. */
  async waitFor(predicate: (received: string) => boolean, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.#data) && !this.#closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.#data;
  }

  /** Waits until the server closes the connection (or `timeoutMs` passes); true when it did. */
  async waitForClose(timeoutMs = 5000): Promise<boolean> {
    await this.waitFor(() => false, timeoutMs);
    return this.#closed;
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
