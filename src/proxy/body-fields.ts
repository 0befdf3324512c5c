/**
 * Request bodies inspected for plugins that read or remove body fields (key-auth's `key_in_body`
 * and `hide_credentials`), only on routes whose chain asks for it, and only for the types an
 * upstream reads fields from:
 *
 * - `application/x-www-form-urlencoded` and JSON (`application/json`, `text/json`, `…+json`) are
 *   buffered, bounded by the body limit, and parsed into top-level fields. What goes upstream is
 *   the buffer less the fields a plugin removed; every other byte is kept as it came.
 * - `multipart/form-data` streams through a guard (multipart-guard.ts): file uploads stay streamed.
 * - Every other type streams untouched and uninspected.
 *
 * A compressed body (Content-Encoding other than identity) of an inspected type cannot be read,
 * and a JSON body that does not parse cannot be read the way every upstream would: both are
 * refused rather than passed on unchecked.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { RequestBodyFields } from '../plugins/plugin.js';
import { removeParams } from '../plugins/shared/form-params.js';
import { topLevelMembers, withoutMembers } from './json-members.js';

/** The cap when `max_request_body_size` is 0 (no limit): a body to parse must fit in memory. */
export const DEFAULT_BUFFER_LIMIT = 10 * 1024 * 1024;

export type InspectedType = RequestBodyFields['type'];

export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return length !== undefined ? length !== '0' : req.headers['transfer-encoding'] !== undefined;
}

/** How the proxy inspects a body of these headers: by type, `compressed` (refused), or null (not inspected). */
export function inspectionOf(headers: IncomingHttpHeaders): InspectedType | 'compressed' | null {
  const type = mediaType(headers['content-type']);
  const inspected: InspectedType | null =
    type === 'application/x-www-form-urlencoded' ? 'form' : isJson(type) ? 'json' : type === 'multipart/form-data' ? 'multipart' : null;
  if (inspected === null) return null;
  const encoding = headers['content-encoding'];
  return encoding === undefined || encoding.trim().toLowerCase() === 'identity' ? inspected : 'compressed';
}

export type ReadBody = { readonly kind: 'ok'; readonly buffer: Buffer } | { readonly kind: 'too_large' };

/** Reads the whole body (the request, or a stream of it), at most `limit` bytes. */
export function readBody(req: Readable, limit: number): Promise<ReadBody> {
  const cap = limit > 0 ? limit : DEFAULT_BUFFER_LIMIT;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > cap) {
        req.off('data', onData);
        req.resume();
        resolve({ kind: 'too_large' });
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('error', reject);
    req.once('end', () => {
      if (size <= cap) resolve({ kind: 'ok', buffer: Buffer.concat(chunks, size) });
    });
  });
}

/** A buffered form or JSON body: its fields as received, and what is left to send upstream. */
export class BufferedBody implements RequestBodyFields {
  readonly type: 'form' | 'json';
  readonly #received: Buffer;
  #content: Buffer;
  #fields: Map<string, (string | null)[]> | null = null;

  private constructor(type: 'form' | 'json', buffer: Buffer) {
    this.type = type;
    this.#received = buffer;
    this.#content = buffer;
  }

  /** The body of `type`; null for a JSON body that is not valid JSON. */
  static parse(type: 'form' | 'json', buffer: Buffer): BufferedBody | null {
    if (type === 'json') {
      try {
        JSON.parse(buffer.toString('utf8'));
      } catch {
        return null;
      }
    }
    return new BufferedBody(type, buffer);
  }

  get fields(): ReadonlyMap<string, readonly (string | null)[]> {
    return (this.#fields ??= this.type === 'form' ? formFields(this.#received) : jsonFields(this.#received));
  }

  /** The bytes to send upstream. */
  get content(): Buffer {
    return this.#content;
  }

  remove(match: (name: string) => boolean): void {
    // latin1: one char per byte, so the bytes that stay are written back unchanged.
    const text = this.#content.toString('latin1');
    let next = text;
    if (this.type === 'form') next = removeParams(text, match);
    else {
      const members = topLevelMembers(text);
      if (members !== null && members.some((m) => match(m.name))) next = withoutMembers(text, members, (m) => match(m.name));
    }
    if (next !== text) this.#content = Buffer.from(next, 'latin1');
  }
}

/** The fields of a body no plugin reads. */
export const NO_FIELDS: ReadonlyMap<string, readonly (string | null)[]> = new Map();

/**
 * A form or JSON body not read yet, because no plugin of the chain reads its fields: removals
 * are recorded during the access phase and applied once the body is read.
 */
export class PendingBody implements RequestBodyFields {
  readonly type: 'form' | 'json';
  readonly fields = NO_FIELDS;
  readonly #removals: ((name: string) => boolean)[] = [];

  constructor(type: 'form' | 'json') {
    this.type = type;
  }

  remove(match: (name: string) => boolean): void {
    this.#removals.push(match);
  }

  /** Applies the recorded removals to the body, now read. */
  applyTo(body: BufferedBody): void {
    for (const match of this.#removals) body.remove(match);
  }
}

function formFields(buffer: Buffer): Map<string, (string | null)[]> {
  return grouped(new URLSearchParams(buffer.toString('utf8')));
}

function jsonFields(buffer: Buffer): Map<string, (string | null)[]> {
  return grouped((topLevelMembers(buffer.toString('latin1')) ?? []).map((m) => [m.name, m.value] as const));
}

/** Name → every value, in order. */
function grouped(pairs: Iterable<readonly [string, string | null]>): Map<string, (string | null)[]> {
  const fields = new Map<string, (string | null)[]>();
  for (const [name, value] of pairs) {
    const values = fields.get(name);
    if (values) values.push(value);
    else fields.set(name, [value]);
  }
  return fields;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function isJson(type: string): boolean {
  return type === 'application/json' || type === 'text/json' || type.endsWith('+json');
}
