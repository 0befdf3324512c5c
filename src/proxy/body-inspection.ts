/**
 * The request body around the access phase, on routes whose plugins read or remove body fields
 * (key-auth's `key_in_body` and `hide_credentials`), for the types body-fields.ts inspects:
 *
 * - a plugin reads fields: a form or JSON body is buffered before the access phase (the key may
 *   be in it), its fields given in `ctx.body`, and the trimmed buffer sent upstream;
 * - plugins only remove fields: the access phase runs first and the body is read and trimmed only
 *   if the request goes upstream, so an unauthenticated client cannot make the proxy buffer;
 * - multipart: never buffered; once the access phase passed it streams through a guard.
 *
 * An owed `100 Continue` is sent right before the body is first read (`letBodyCome`), so with
 * `Expect: 100-continue` a client refused by the access phase never sends its body, except on
 * chains that read the key from the body.
 *
 * A compressed body, a JSON body that does not parse and a multipart body without a usable
 * boundary are refused, as is a buffered body over the limit (413).
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { AccessOutcome } from '../plugins/plugin.js';
import type { ProxyContext } from './proxy-context.js';
import type { ProxyErrorResponse } from './json-error.js';
import { BufferedBody, PendingBody, readBody, type InspectedType } from './body-fields.js';
import { MultipartBody, multipartBoundary } from './multipart-guard.js';

export type Inspected =
  /** The access phase ran; `body` replaces the request's own body stream when set. */
  { readonly kind: 'ran'; readonly outcome: AccessOutcome; readonly body?: Readable } | { readonly kind: 'refused'; readonly error: ProxyErrorResponse };

export interface InspectionDeps {
  readonly limit: number;
  /** True when a plugin of the chain reads body fields during the access phase. */
  readonly readsFields: boolean;
  runAccess(): AccessOutcome | Promise<AccessOutcome>;
  /** The request body as it would go upstream uninspected (through the body limit), or null. */
  stream(): Readable | null;
  /** Sends an owed `100 Continue` (Expect): called right before the body is first read. */
  letBodyCome(): void;
}

/** Runs the access phase with the body inspected as its type and the chain require. */
export async function inspectAroundAccess(
  req: IncomingMessage,
  ctx: ProxyContext,
  inspection: InspectedType | 'compressed',
  deps: InspectionDeps,
): Promise<Inspected> {
  if (inspection === 'compressed') return refused(415, 'PC_UNSUPPORTED_MEDIA_TYPE', 'A compressed form, JSON or multipart body is not accepted on this route');
  if (inspection === 'multipart') {
    const boundary = multipartBoundary(req.headers['content-type'] ?? '');
    if (boundary === null) return refused(400, 'PC_BAD_REQUEST', 'The multipart body needs one plain boundary parameter');
    const multipart = new MultipartBody(boundary);
    ctx.body = multipart;
    const outcome = await deps.runAccess();
    const source = outcome.kind === 'continue' ? deps.stream() : null;
    return source === null ? { kind: 'ran', outcome } : { kind: 'ran', outcome, body: multipart.stream(source) };
  }
  if (deps.readsFields) {
    // The chain authenticates from the body, so the body has to come first (documented).
    deps.letBodyCome();
    const body = await buffered(req, inspection, deps.limit);
    if (!(body instanceof BufferedBody)) return body;
    ctx.body = body;
    return sent(ctx, await deps.runAccess(), body);
  }
  const pending = new PendingBody(inspection);
  ctx.body = pending;
  const outcome = await deps.runAccess();
  if (outcome.kind !== 'continue') return { kind: 'ran', outcome };
  deps.letBodyCome();
  const body = await buffered(req, inspection, deps.limit);
  if (!(body instanceof BufferedBody)) return body;
  pending.applyTo(body);
  return sent(ctx, outcome, body);
}

async function buffered(req: IncomingMessage, type: 'form' | 'json', limit: number): Promise<BufferedBody | Extract<Inspected, { kind: 'refused' }>> {
  const read = await readBody(req, limit);
  if (read.kind === 'too_large') return { kind: 'refused', error: { status: 413, code: 'PC_BODY_TOO_LARGE', close: true } };
  return BufferedBody.parse(type, read.buffer) ?? refused(400, 'PC_BAD_REQUEST', 'The request body is not valid JSON');
}

/** The buffer, possibly trimmed, goes upstream with its own length. */
function sent(ctx: ProxyContext, outcome: AccessOutcome, body: BufferedBody): Inspected {
  delete ctx.upstreamHeaders['transfer-encoding'];
  ctx.upstreamHeaders['content-length'] = String(body.content.length);
  return { kind: 'ran', outcome, body: Readable.from([body.content]) };
}

function refused(status: number, code: 'PC_BAD_REQUEST' | 'PC_UNSUPPORTED_MEDIA_TYPE', message: string): Extract<Inspected, { kind: 'refused' }> {
  return { kind: 'refused', error: { status, code, message, close: true } };
}
