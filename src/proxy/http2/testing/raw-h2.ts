/**
 * A hand-written HTTP/2 client for tests that must send what no well-behaved client sends
 * (floods of RST_STREAM, SETTINGS or CONTINUATION frames): frames are built byte by byte and
 * the server's frames parsed, so a test can see the GOAWAY and its error code, RST_STREAMs and
 * the connection's close. Header blocks use HPACK literals only (no dynamic table).
 */
import { connect, type Socket } from 'node:net';

export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
export const FLAG = { END_STREAM: 1, ACK: 1, END_HEADERS: 4 } as const;
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
  readonly payload: Buffer;
}

/** One frame's bytes. */
export function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** An HPACK "literal without indexing, new name" field for each pair (names lower-case). */
export function headerBlock(fields: readonly (readonly [string, string])[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    parts.push(Buffer.from([0x00]), hpackString(name), hpackString(value));
  }
  return Buffer.concat(parts);
}

function hpackString(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  // Strings up to 126 bytes: one length byte, no Huffman (enough for tests).
  if (bytes.length > 126) throw new Error('hpackString: too long for this test encoder');
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

/** A GET request's header block for `path` on `authority`. */
export function getRequest(authority: string, path = '/'): Buffer {
  return headerBlock([
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', path],
    [':authority', authority],
  ]);
}

export interface RawH2 {
  readonly socket: Socket;
  readonly frames: Frame[];
  /** The GOAWAY error code received, or null. */
  goawayCode(): number | null;
  readonly closed: Promise<void>;
  isClosed(): boolean;
  write(bytes: Buffer): boolean;
  destroy(): void;
}

/** Moves the whole frames at the start of `bytes` into `frames`; returns the rest (the start of a frame, or nothing). */
export function takeFrames(bytes: Buffer, frames: Frame[]): Buffer {
  let rest = bytes;
  while (rest.length >= 9) {
    const length = rest.readUIntBE(0, 3);
    if (rest.length < 9 + length) break;
    frames.push({ type: rest[3]!, flags: rest[4]!, stream: rest.readUInt32BE(5) & 0x7fffffff, payload: rest.subarray(9, 9 + length) });
    rest = rest.subarray(9 + length);
  }
  return rest;
}

/** Connects to an h2c listener and sends the preface and an empty SETTINGS frame; `read: false` leaves the server's frames unread. */
export async function connectRawH2(port: number, options: { read?: boolean } = {}): Promise<RawH2> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let isClosed = false;
  const closed = new Promise<void>((resolve) => socket.once('close', () => ((isClosed = true), resolve())));
  socket.on('error', () => undefined);
  const frames: Frame[] = [];
  let buffered: Buffer = Buffer.alloc(0);
  if (options.read !== false) {
    socket.on('data', (chunk: Buffer) => {
      buffered = takeFrames(Buffer.concat([buffered, chunk]), frames);
    });
  } else {
    socket.pause();
  }
  socket.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0)]));
  return {
    socket,
    frames,
    goawayCode() {
      const goaway = frames.find((f) => f.type === FRAME.GOAWAY);
      return goaway === undefined ? null : goaway.payload.readUInt32BE(4);
    },
    closed,
    isClosed: () => isClosed,
    write: (bytes) => (isClosed ? false : socket.write(bytes)),
    destroy: () => socket.destroy(),
  };
}
