/** The answer-size cap the backend gives the SDK in place of its unbounded stream collector. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { AnswerTooLargeError, cappedStreamCollector, MAX_ANSWER_BYTES } from './capped-stream-collector.js';

describe('cappedStreamCollector', () => {
  it('collects an answer of up to the limit whole', async () => {
    const collect = cappedStreamCollector(10);
    assert.deepEqual(Buffer.from(await collect(Readable.from([Buffer.from('01234'), Buffer.from('56789')]))).toString(), '0123456789');
    assert.equal((await collect(Readable.from([]))).byteLength, 0);
  });

  it('fails past the limit, stops reading and destroys the stream', async () => {
    let produced = 0;
    const endless = Readable.from(
      (function* () {
        for (;;) {
          produced += 1;
          yield Buffer.alloc(64 * 1024);
        }
      })(),
    );
    await assert.rejects(cappedStreamCollector()(endless), (err) => err instanceof AnswerTooLargeError && err.limit === MAX_ANSWER_BYTES);
    assert.ok(produced <= MAX_ANSWER_BYTES / (64 * 1024) + 2, `${produced} chunks were read`);
    assert.equal(endless.destroyed, true);
    await assert.rejects(cappedStreamCollector(10)(Readable.from([Buffer.from('0123456789A')])), AnswerTooLargeError);
  });

  it('caps at 1 MiB by default', () => {
    assert.equal(MAX_ANSWER_BYTES, 1024 * 1024);
  });
});
