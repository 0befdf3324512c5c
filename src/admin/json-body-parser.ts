/**
 * The Admin API's JSON body parser: `application/json` (any charset). It first removes every other
 * parser: form bodies are added back by `forms/form-body-parser.ts`, and any other media type
 * (`text/plain` …) is 415. Cross-site form posts are refused by the browser guard. Before parsing, a
 * linear scan refuses nesting deeper than MAX_BODY_DEPTH levels with 400 PC_VALIDATION_FAILED
 * naming where; then Fastify's own parser (secure-json-parse) parses and refuses `__proto__` and
 * `constructor.prototype` keys (prototype poisoning).
 */
import type { FastifyInstance } from 'fastify';
import { PortcullisError } from '../errors/portcullis-error.js';
import { findDepthOverflow } from './json-depth-scan.js';

/** Deepest nesting of an Admin API body: the top-level object is level 1. */
export const MAX_BODY_DEPTH = 32;

/** Replaces `app`'s body parsers with the JSON parser above (form parsers are added after it). */
export function registerJsonBodyParser(app: FastifyInstance, maxDepth = MAX_BODY_DEPTH): void {
  const secureParse = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser<string>('application/json', { parseAs: 'string' }, (request, body, done) => {
    const overflow = findDepthOverflow(body, maxDepth);
    if (overflow === undefined) return secureParse(request, body, done);
    const path = overflow.join('.') || '(root)';
    const message = `is nested deeper than ${maxDepth} levels`;
    done(new PortcullisError('PC_VALIDATION_FAILED', { message: `The body is not valid: ${path} ${message}`, fields: [{ path, message }] }), undefined);
  });
}
