/**
 * Reads the server name (SNI, RFC 6066 `server_name`) from the first bytes a TLS client sends: its
 * ClientHello, reassembled from handshake records (RFC 8446 §5.1; a ClientHello may span several
 * records and arrive in several TCP segments). Only what is needed is read, every length checked
 * against what is there, and the message is bounded by OpenSSL's own ClientHello limit, so a client
 * cannot make the listener buffer more. The bytes are not consumed: the caller hands them to TLS.
 */

/** What the bytes received so far say. */
export type ClientHelloRead =
  | { readonly kind: 'incomplete' }
  /** `servername` is null when the client sent no host name (e.g. it connected to an IP address). */
  | { readonly kind: 'hello'; readonly servername: string | null }
  /** Not a TLS handshake (plain HTTP on the TLS port, a scanner), or a ClientHello that does not parse. */
  | { readonly kind: 'not_tls' };

/** OpenSSL refuses a longer ClientHello (`SSL3_RT_MAX_PLAIN_LENGTH`). */
export const MAX_CLIENT_HELLO_BYTES = 16_384;
/**
 * The most bytes read before the ClientHello is whole: twice its limit, for record headers. A
 * client that splits it into records so small that their headers weigh as much is refused.
 */
export const MAX_BUFFERED_BYTES = 2 * MAX_CLIENT_HELLO_BYTES;

const INCOMPLETE: ClientHelloRead = Object.freeze({ kind: 'incomplete' });
const NOT_TLS: ClientHelloRead = Object.freeze({ kind: 'not_tls' });
const HANDSHAKE_RECORD = 22;
const CLIENT_HELLO = 1;
const SERVER_NAME = 0;
const HOST_NAME = 0;
/** RFC 6066: a HostName is at most 255 bytes. */
const MAX_HOST_NAME = 255;

/** Reads `bytes` (everything received so far on the connection). */
export function readClientHello(bytes: Buffer): ClientHelloRead {
  const read = readRecords(bytes);
  return read === INCOMPLETE && bytes.length >= MAX_BUFFERED_BYTES ? NOT_TLS : read;
}

function readRecords(bytes: Buffer): ClientHelloRead {
  if (bytes.length > 0 && bytes[0] !== HANDSHAKE_RECORD) return NOT_TLS;
  const fragments: Buffer[] = [];
  let carried = 0;
  let messageLength = -1;
  for (let at = 0; messageLength === -1 || carried < messageLength;) {
    if (bytes.length < at + 5) return INCOMPLETE;
    // Every record until the message is whole must be a handshake record of TLS (major version 3).
    if (bytes[at] !== HANDSHAKE_RECORD || bytes[at + 1] !== 3) return NOT_TLS;
    const length = bytes.readUInt16BE(at + 3);
    if (length === 0) return NOT_TLS;
    if (bytes.length < at + 5 + length) return INCOMPLETE;
    fragments.push(bytes.subarray(at + 5, at + 5 + length));
    carried += length;
    at += 5 + length;
    if (messageLength === -1 && carried >= 4) {
      const head = fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments);
      if (head[0] !== CLIENT_HELLO) return NOT_TLS;
      messageLength = 4 + head.readUIntBE(1, 3);
      if (messageLength > MAX_CLIENT_HELLO_BYTES + 4) return NOT_TLS;
    }
  }
  const message = fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments);
  const servername = serverNameOf(message.subarray(4, messageLength));
  return servername === undefined ? NOT_TLS : { kind: 'hello', servername };
}

/** The host name in a ClientHello body; null without one; undefined when the body does not parse. */
function serverNameOf(body: Buffer): string | null | undefined {
  const cursor = new Cursor(body);
  cursor.skip(2 + 32); // legacy_version, random
  cursor.skip(cursor.u8()); // legacy_session_id
  cursor.skip(cursor.u16()); // cipher_suites
  cursor.skip(cursor.u8()); // legacy_compression_methods
  if (cursor.failed) return undefined;
  if (cursor.remaining === 0) return null; // no extensions (TLS 1.2 allows it)
  const extensions = cursor.slice(cursor.u16());
  if (cursor.failed || cursor.remaining !== 0) return undefined;
  while (extensions.remaining > 0) {
    const type = extensions.u16();
    const data = extensions.slice(extensions.u16());
    if (extensions.failed) return undefined;
    if (type !== SERVER_NAME) continue;
    const list = data.slice(data.u16());
    // OpenSSL accepts exactly one entry, a host_name: so does this reader.
    const nameType = list.u8();
    const name = list.bytes(list.u16());
    if (data.failed || list.failed || list.remaining !== 0 || nameType !== HOST_NAME) return undefined;
    if (name.length === 0 || name.length > MAX_HOST_NAME) return undefined;
    return name.toString('latin1');
  }
  return null;
}

/** Bounds-checked reads: a read past the end sets `failed` instead of throwing. */
class Cursor {
  failed = false;
  private at = 0;
  constructor(private readonly buffer: Buffer) {}

  get remaining(): number {
    return this.failed ? 0 : this.buffer.length - this.at;
  }
  u8(): number {
    return this.take(1)?.[0] ?? 0;
  }
  u16(): number {
    const b = this.take(2);
    return b === null ? 0 : b.readUInt16BE(0);
  }
  skip(n: number): void {
    this.take(n);
  }
  bytes(n: number): Buffer {
    return this.take(n) ?? Buffer.alloc(0);
  }
  slice(n: number): Cursor {
    const part = new Cursor(this.bytes(n));
    part.failed = this.failed;
    return part;
  }
  private take(n: number): Buffer | null {
    if (this.failed || this.at + n > this.buffer.length) {
      this.failed = true;
      return null;
    }
    this.at += n;
    return this.buffer.subarray(this.at - n, this.at);
  }
}
