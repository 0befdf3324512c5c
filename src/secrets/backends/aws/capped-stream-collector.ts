/**
 * The AWS SDK reads every answer body whole into memory (its `streamCollector`). This one stops at
 * a cap, so a hostile or broken endpoint cannot make the node buffer gigabytes: Secrets Manager
 * stores at most 64 KiB per secret value, so 1 MiB is far above any real answer.
 */
import type { Readable } from 'node:stream';

export const MAX_ANSWER_BYTES = 1024 * 1024;

export class AnswerTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the answer is larger than ${limit} bytes`);
    this.name = 'AnswerTooLargeError';
  }
}

/** A `streamCollector` for the SDK's client config that fails with AnswerTooLargeError past `limit` bytes. */
export function cappedStreamCollector(limit: number = MAX_ANSWER_BYTES): (stream: Readable) => Promise<Uint8Array> {
  return async (stream) => {
    const chunks: Buffer[] = [];
    let total = 0;
    // Leaving the loop by throwing destroys the stream (and with it the socket).
    for await (const chunk of stream) {
      total += (chunk as Buffer).byteLength;
      if (total > limit) throw new AnswerTooLargeError(limit);
      chunks.push(chunk as Buffer);
    }
    return new Uint8Array(Buffer.concat(chunks));
  };
}
