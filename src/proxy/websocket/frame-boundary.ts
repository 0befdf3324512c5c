/**
 * Follows the WebSocket frames (RFC 6455 §5.2) of one direction of a tunnel without changing a
 * byte, so the proxy knows where one frame ends and the next begins. The proxy never reads
 * payloads (extensions and masking are the endpoints' business); it needs the boundaries only
 * to inject a close frame (1001 at shutdown, 1008 on a revoked key) between two frames instead of
 * inside one, which the peer would take for garbage.
 *
 * The header is 2 to 14 bytes: opcode byte, mask bit and 7-bit length, then a 16- or 64-bit
 * extended length, then a 4-byte masking key when masked. A length beyond 2^53 (no real peer
 * sends one) marks the stream `broken`: the proxy then closes by cutting the connection.
 */

/** The boundary tracker of one direction. */
export class FrameBoundary {
  /** Header bytes collected so far (a header may straddle chunks). */
  readonly #header = Buffer.alloc(14);
  #headerHave = 0;
  /** How long the current header is, known once its first two bytes are in (0 before). */
  #headerSize = 0;
  /** Payload bytes of the current frame still to come. */
  #payloadLeft = 0;
  #broken = false;

  /** True between two frames: a frame can be injected here. */
  get atBoundary(): boolean {
    return this.#headerHave === 0 && this.#payloadLeft === 0 && !this.#broken;
  }

  /** True once a header could not be followed: boundaries are unknown from here on. */
  get broken(): boolean {
    return this.#broken;
  }

  /**
   * Consumes `chunk` from `start`; with `stopAtBoundary`, stops at the first frame end (returns
   * its offset; `start` itself when already at a boundary). Returns `chunk.length` otherwise.
   */
  advance(chunk: Buffer, start = 0, stopAtBoundary = false): number {
    let at = start;
    while (at < chunk.length) {
      if (stopAtBoundary && this.atBoundary) return at;
      if (this.#broken) return chunk.length;
      if (this.#payloadLeft > 0) {
        const take = Math.min(this.#payloadLeft, chunk.length - at);
        this.#payloadLeft -= take;
        at += take;
        continue;
      }
      this.#header[this.#headerHave++] = chunk[at++]!;
      if (this.#headerHave === 2) this.#headerSize = headerSize(this.#header);
      if (this.#headerHave >= 2 && this.#headerHave === this.#headerSize) this.#endHeader();
    }
    return at;
  }

  #endHeader(): void {
    const h = this.#header;
    const len7 = h[1]! & 0x7f;
    let length: number;
    if (len7 === 126) length = h.readUInt16BE(2);
    else if (len7 === 127) {
      const high = h.readUInt32BE(2);
      // 2^53 and beyond do not fit a double exactly; RFC 6455 also forbids the top bit.
      if (high > 0x1fffff) {
        this.#broken = true;
        return;
      }
      length = high * 0x1_0000_0000 + h.readUInt32BE(6);
    } else length = len7;
    this.#headerHave = 0;
    this.#headerSize = 0;
    this.#payloadLeft = length;
  }
}

/** The header's size from its first two bytes. */
function headerSize(h: Buffer): number {
  const len7 = h[1]! & 0x7f;
  const masked = (h[1]! & 0x80) !== 0;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
}
