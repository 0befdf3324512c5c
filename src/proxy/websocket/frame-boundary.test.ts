import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { FrameBoundary } from './frame-boundary.js';
import { closeFrame } from './close-frame.js';
import { seededRandom } from '../testing/seeded-random.js';

/** A frame as RFC 6455 §5.2 lays it out: every length encoding, masked or not. */
function frame(payloadLength: number, masked: boolean, opcode = 0x2): Buffer {
  const ext = payloadLength < 126 ? 0 : payloadLength < 65536 ? 2 : 8;
  const header = Buffer.alloc(2 + ext + (masked ? 4 : 0));
  header[0] = 0x80 | opcode;
  const len7 = ext === 0 ? payloadLength : ext === 2 ? 126 : 127;
  header[1] = (masked ? 0x80 : 0) | len7;
  if (ext === 2) header.writeUInt16BE(payloadLength, 2);
  if (ext === 8) header.writeBigUInt64BE(BigInt(payloadLength), 2);
  if (masked) randomBytes(4).copy(header, 2 + ext);
  return Buffer.concat([header, Buffer.alloc(payloadLength, 0x61)]);
}

describe('FrameBoundary', () => {
  it('is at a boundary exactly after each whole frame, for every length encoding, masked or not', () => {
    for (const masked of [false, true]) {
      for (const length of [0, 1, 125, 126, 127, 65535, 65536, 200_000]) {
        const bytes = frame(length, masked);
        const tracker = new FrameBoundary();
        assert.equal(tracker.advance(bytes.subarray(0, bytes.length - 1)), bytes.length - 1);
        assert.equal(tracker.atBoundary, false, `${length} masked=${masked}: one byte short`);
        tracker.advance(bytes.subarray(bytes.length - 1));
        assert.equal(tracker.atBoundary, true, `${length} masked=${masked}`);
      }
    }
  });

  it('stops at the first frame end when asked, even when frames share a chunk', () => {
    const a = frame(10, false);
    const b = frame(300, false);
    const tracker = new FrameBoundary();
    const joined = Buffer.concat([a, b]);
    assert.equal(tracker.advance(joined, 0, true), 0, 'already at a boundary');
    tracker.advance(joined.subarray(0, 3));
    assert.equal(tracker.advance(joined, 3, true), a.length);
    assert.equal(tracker.atBoundary, true);
    assert.equal(tracker.advance(joined, a.length + 1, false), joined.length);
  });

  it('finds every boundary of random frame sequences cut into random chunks (fuzz, seeded)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rng = seededRandom(seed);
      const random = rng.next;
      const masked = random() < 0.5;
      const frames = Array.from({ length: 1 + Math.floor(random() * 8) }, () => {
        const r = random();
        const length = r < 0.5 ? Math.floor(random() * 126) : r < 0.9 ? 126 + Math.floor(random() * 70_000) : 65_536 + Math.floor(random() * 10);
        return frame(length, masked, random() < 0.2 ? 0x9 : 0x1);
      });
      const ends = new Set<number>();
      let total = 0;
      for (const f of frames) ends.add((total += f.length));
      const stream = Buffer.concat(frames);
      const tracker = new FrameBoundary();
      // Walk the stream in random chunks, stopping at each boundary: each stop must be a frame end.
      let at = 0;
      const seen: number[] = [];
      while (at < stream.length) {
        const chunkEnd = Math.min(stream.length, at + 1 + Math.floor(random() * 40_000));
        const chunk = stream.subarray(at, chunkEnd);
        let offset = 0;
        while (offset < chunk.length) {
          // At a boundary the walk steps into the next frame's header; otherwise it runs to the frame's end.
          offset = tracker.atBoundary ? stepOne(tracker, chunk, offset) : tracker.advance(chunk, offset, true);
          if (tracker.atBoundary) seen.push(at + offset);
        }
        at = chunkEnd;
      }
      assert.deepEqual(
        [...new Set(seen)].sort((x, y) => x - y),
        [...ends],
        `seed ${seed}`,
      );
      assert.equal(tracker.broken, false);
    }
  });

  it('never throws on random bytes and marks a length beyond 2^53 as broken', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rng = seededRandom(seed);
      const random = rng.next;
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 64) }, () => Math.floor(random() * 256)));
      new FrameBoundary().advance(bytes);
    }
    const huge = Buffer.from([0x82, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    const tracker = new FrameBoundary();
    tracker.advance(huge);
    assert.equal(tracker.broken, true);
    assert.equal(tracker.atBoundary, false);
  });

  it('reads the close frames it sends as single whole frames carrying the code', () => {
    for (const masked of [false, true]) {
      const bytes = closeFrame(1001, masked);
      const tracker = new FrameBoundary();
      tracker.advance(bytes);
      assert.equal(tracker.atBoundary, true);
      assert.equal(bytes[0], 0x88);
      const payload = bytes.subarray(masked ? 6 : 2);
      const code = masked ? ((payload[0]! ^ bytes[2]!) << 8) | (payload[1]! ^ bytes[3]!) : payload.readUInt16BE(0);
      assert.equal(code, 1001);
    }
  });
});

/** Consumes one byte past a boundary (the start of the next frame), so the walk moves on. */
function stepOne(tracker: FrameBoundary, chunk: Buffer, offset: number): number {
  tracker.advance(chunk.subarray(offset, offset + 1));
  return offset + 1;
}
