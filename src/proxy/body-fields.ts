/**
 * Buffering a request body for plugins that read body fields (key-auth's `key_in_body`): only
 * on routes whose chain asks for it, bounded by the body limit, and parsed by content type —
 * `application/x-www-form-urlencoded` or a JSON object — into top-level string fields. The
 * buffer is then what goes upstream, unchanged.
 */
import type { IncomingMessage } from 'node:http';

/** The cap when `max_request_body_size` is 0 (no limit): a body to parse must fit in memory. */
export const DEFAULT_BUFFER_LIMIT = 10 * 1024 * 1024;

export type BufferedBody = { readonly kind: 'ok'; readonly buffer: Buffer; readonly fields: ReadonlyMap<string, string> } | { readonly kind: 'too_large' };

export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return length !== undefined ? length !== '0' : req.headers['transfer-encoding'] !== undefined;
}

/** Reads the whole body (at most `limit` bytes) and parses its fields. */
export function readBodyFields(req: IncomingMessage, limit: number): Promise<BufferedBody> {
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
      if (size > cap) return;
      const buffer = Buffer.concat(chunks, size);
      resolve({ kind: 'ok', buffer, fields: parseFields(req.headers['content-type'], buffer) });
    });
  });
}

/** The body without the named top-level fields (same encoding); unchanged for other types. */
export function removeFields(contentType: string | undefined, body: Buffer, names: readonly string[]): Buffer {
  const type = mediaType(contentType);
  if (type === 'application/x-www-form-urlencoded') {
    const params = new URLSearchParams(body.toString('utf8'));
    for (const name of names) params.delete(name);
    return Buffer.from(params.toString());
  }
  if (isJson(type)) {
    try {
      const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      for (const name of names) delete parsed[name];
      return Buffer.from(JSON.stringify(parsed));
    } catch {
      return body;
    }
  }
  return body;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function isJson(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json');
}

/** Top-level string fields of a form or JSON body; empty for other types or unparseable bodies. */
export function parseFields(contentType: string | undefined, body: Buffer): Map<string, string> {
  const fields = new Map<string, string>();
  const type = mediaType(contentType);
  if (type === 'application/x-www-form-urlencoded') {
    for (const [name, value] of new URLSearchParams(body.toString('utf8'))) if (!fields.has(name)) fields.set(name, value);
  } else if (isJson(type)) {
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        for (const [name, value] of Object.entries(parsed)) if (typeof value === 'string') fields.set(name, value);
      }
    } catch {
      // Not JSON after all: no fields; the body still goes upstream as it came.
    }
  }
  return fields;
}
