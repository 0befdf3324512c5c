/**
 * The request body limit for bodies of unknown length (chunked): a pass-through stream that counts
 * bytes and fails with `BodyTooLargeError` once `max_request_body_size` is exceeded. Bodies with a
 * Content-Length are checked against the limit before the upstream is contacted and need no
 * counting: the HTTP parser never delivers more than the declared length.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** Raised through the upstream request when the client sent more than the limit. */
export class BodyTooLargeError extends Error {
  readonly code = 'PC_BODY_TOO_LARGE';
  constructor(limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** A pass-through that errors once more than `limit` bytes went through it. */
export class BodyLimitStream extends Transform {
  #seen = 0;
  readonly #limit: number;

  constructor(limit: number) {
    super();
    this.#limit = limit;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.#limit) callback(new BodyTooLargeError(this.#limit));
    else callback(null, chunk);
  }
}

/** True when `err` is (or was caused by) the body limit being exceeded. */
export function isBodyTooLarge(err: unknown): boolean {
  return err instanceof BodyTooLargeError || (err instanceof Error && err.cause instanceof BodyTooLargeError);
}
