/**
 * `multipart/form-data` bodies on routes whose plugins remove body fields (key-auth's
 * `hide_credentials`). The body streams, so file uploads are not buffered, through a guard that
 * reads each part's headers before passing any byte of that part on, and fails the stream with
 * 400 when a part is named as a removed field: the upstream never receives that part, and its
 * request is aborted. (Stripping the part instead would change the length after the headers went
 * upstream; refusing keeps Content-Length and every clean upload exactly as it was.) Plugins
 * cannot read multipart fields: `fields` is empty.
 *
 * The guard reads over-inclusively, so that no upstream parser finds a part it missed: a
 * delimiter is `--boundary` at the start of any line, LF or CRLF, and also after the closing
 * delimiter (PHP reads parts found there); a part's names are every `name=` / `name*=` parameter
 * in any of its header lines, quoted, unquoted or RFC 5987-encoded, taken as given and
 * percent-decoded. A Content-Type whose boundary is missing or could be read two ways is refused.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { RequestBodyFields } from '../plugins/plugin.js';
import { decodeParamName } from '../plugins/shared/form-params.js';
import { RequestBodyRefused } from './body-refusal.js';
import { NO_FIELDS } from './body-fields.js';

/** A part's headers longer than this are refused (real ones are a few hundred bytes). */
export const MAX_PART_HEADERS = 16 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;
const EMPTY = Buffer.alloc(0);

/** The body as plugins see it; `stream` gives what to send upstream once the access phase passed. */
export class MultipartBody implements RequestBodyFields {
  readonly type = 'multipart';
  readonly fields = NO_FIELDS;
  readonly #boundary: string;
  readonly #removed: ((name: string) => boolean)[] = [];

  constructor(boundary: string) {
    this.#boundary = boundary;
  }

  remove(match: (name: string) => boolean): void {
    this.#removed.push(match);
  }

  /** `source` itself when no plugin removed a field; otherwise `source` through a guard. */
  stream(source: Readable): Readable {
    if (this.#removed.length === 0) return source;
    const removed = this.#removed;
    const guard = new MultipartGuard(this.#boundary, (name) => removed.some((match) => match(name)));
    // pipe() does not pass errors on: a body over the limit must fail what the upstream reads.
    source.once('error', (err) => guard.destroy(err));
    return source.pipe(guard);
  }
}

/**
 * The boundary of a multipart Content-Type: one `boundary` parameter, where PHP looks for it (the
 * first occurrence of the word) and where other parsers do (a parameter after `;`), quoted or a
 * plain token ending at `;`, `,` or the end (no spaces around it: PHP keeps them, other parsers
 * trim them), of 1–70 RFC 2046 characters. Null otherwise.
 */
export function multipartBoundary(contentType: string): string | null {
  const lower = contentType.toLowerCase();
  const at = lower.indexOf('boundary');
  if (at === -1 || !/;[ \t]*$/.test(lower.slice(0, at)) || /;[ \t]*boundary[ \t]*=/.test(lower.slice(at + 8))) return null;
  const match = /^boundary=(?:"([^"]*)"|([^\s;,"]+)(?=[;,]|$))/i.exec(contentType.slice(at));
  const boundary = match?.[1] ?? match?.[2];
  return boundary !== undefined && /^[0-9A-Za-z'()+_,./:=? -]{0,69}[0-9A-Za-z'()+_,./:=?-]$/.test(boundary) ? boundary : null;
}

/** Passes a multipart body on part by part, failing with 400 at the first part `refuses` names. */
export class MultipartGuard extends Transform {
  readonly #delimiter: Buffer;
  readonly #refuses: (name: string) => boolean;
  #held: Buffer = EMPTY;
  /** The next byte starts a line (the body's first byte, or one after a line the guard consumed). */
  #lineStart = true;
  #inHeaders = false;

  constructor(boundary: string, refuses: (name: string) => boolean) {
    super();
    this.#delimiter = Buffer.from(`\n--${boundary}`, 'latin1');
    this.#refuses = refuses;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#run(this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]), false, callback);
  }

  override _flush(callback: TransformCallback): void {
    this.#run(this.#held, true, callback);
  }

  #run(buffer: Buffer, ended: boolean, callback: TransformCallback): void {
    try {
      this.#held = this.#pass(buffer, ended);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  /** Pushes what is safe to pass on and returns what must wait for more bytes. */
  #pass(buffer: Buffer, ended: boolean): Buffer {
    let pos = 0;
    for (;;) {
      if (!this.#inHeaders) {
        // Where the next delimiter ends, or -1.
        let after = -1;
        if (this.#lineStart) {
          // At the body's start, or after a line the guard consumed: a delimiter needs no LF of its own.
          const opening = this.#delimiter.length - 1;
          if (buffer.length - pos < opening && !ended) return buffer.subarray(pos);
          this.#lineStart = false;
          if (buffer.subarray(pos, pos + opening).equals(this.#delimiter.subarray(1))) after = pos + opening;
        }
        if (after === -1) {
          const found = buffer.indexOf(this.#delimiter, pos);
          if (found === -1) {
            // The tail may be the start of a delimiter: hold it back.
            const keep = ended ? 0 : Math.min(buffer.length - pos, this.#delimiter.length - 1);
            this.#emit(buffer, pos, buffer.length - keep);
            return buffer.subarray(buffer.length - keep);
          }
          after = found + this.#delimiter.length;
        }
        this.#emit(buffer, pos, after);
        pos = after;
        this.#inHeaders = true;
      }
      const end = headersEnd(buffer, pos);
      if (end === -1 && !ended) {
        if (buffer.length - pos > MAX_PART_HEADERS) throw new RequestBodyRefused(400, 'PC_BAD_REQUEST', 'A multipart part has too many header bytes');
        return buffer.subarray(pos);
      }
      const blockEnd = end === -1 ? buffer.length : end;
      if (partNames(buffer.toString('latin1', pos, blockEnd)).some(this.#refuses)) {
        throw new RequestBodyRefused(400, 'PC_BAD_REQUEST', 'The multipart body carries a field this route does not forward (a credential)');
      }
      this.#emit(buffer, pos, blockEnd);
      if (end === -1) return EMPTY;
      pos = blockEnd;
      this.#inHeaders = false;
      this.#lineStart = true;
    }
  }

  #emit(buffer: Buffer, from: number, to: number): void {
    if (to > from) this.push(buffer.subarray(from, to));
  }
}

/**
 * Where the headers after a delimiter end (just after the blank line), or -1 when not yet in
 * `buffer`. After the closing delimiter (`--boundary--`) no headers follow: its line ends them.
 */
function headersEnd(buffer: Buffer, pos: number): number {
  let lineEnd = buffer.indexOf(LF, pos);
  if (lineEnd === -1) return -1;
  if (buffer[pos] === DASH && buffer[pos + 1] === DASH) return lineEnd + 1;
  for (;;) {
    const lineStart = lineEnd + 1;
    lineEnd = buffer.indexOf(LF, lineStart);
    if (lineEnd === -1) return -1;
    if (lineEnd === lineStart || (lineEnd === lineStart + 1 && buffer[lineStart] === CR)) return lineEnd + 1;
  }
}

const NAME_PARAMETER = /(?:^|[;\s:])name(\*?)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s"]*))/gi;

/** Every name a part's headers give it, as given and percent-decoded. */
export function partNames(headers: string): string[] {
  const names: string[] = [];
  for (const match of headers.matchAll(NAME_PARAMETER)) {
    let name = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!;
    // RFC 5987 (`name*=utf-8''api%6Bey`): the value after the charset and language.
    if (match[1] === '*') name = name.slice(name.lastIndexOf("'") + 1);
    names.push(name, decodeParamName(name));
  }
  return names;
}
