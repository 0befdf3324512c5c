/**
 * A request body refused while it streams upstream: the body limit exceeded (body-limit.ts), or a
 * multipart part a plugin removed (multipart-guard.ts). The stream fails with the refusal, undici
 * aborts the upstream request (the upstream never gets a whole request), and the exchange answers
 * the client with the refusal's JSON error, closing the connection since the body was left unread.
 */
import type { ErrorCode } from '../errors/catalogue.js';
import { isBodyTooLarge } from './body-limit.js';
import type { ProxyErrorResponse } from './json-error.js';

/** Fails a body stream with a client error. */
export class RequestBodyRefused extends Error {
  readonly status: number;
  readonly code: ErrorCode;

  /** `message` is public: it is the answer's message. */
  constructor(status: number, code: ErrorCode, message: string) {
    super(message);
    this.name = 'RequestBodyRefused';
    this.status = status;
    this.code = code;
  }
}

/** The answer for an error raised by a refused request body (or its cause); null for any other error. */
export function bodyRefusal(err: unknown): ProxyErrorResponse | null {
  if (isBodyTooLarge(err)) return { status: 413, code: 'PC_BODY_TOO_LARGE', close: true };
  const refused = err instanceof RequestBodyRefused ? err : err instanceof Error && err.cause instanceof RequestBodyRefused ? err.cause : null;
  return refused === null ? null : { status: refused.status, code: refused.code, message: refused.message, close: true };
}
