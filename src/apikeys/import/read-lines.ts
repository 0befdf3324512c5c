/**
 * Reads an import file line by line with bounded memory: a stream of chunks, never the whole
 * file, and never one line longer than `maxLineBytes` (a line past it is reported as too long and
 * skipped to its end, so a file without newlines cannot fill the heap). Line numbers start at 1.
 * `countLines` gives the progress bar its total in one fast pass over the bytes.
 */
import { createReadStream } from 'node:fs';

/** One line of the file: its text, or `tooLong` when it passed the bound (its text is not kept). */
export type SourceLine = { readonly number: number; readonly text: string } | { readonly number: number; readonly tooLong: true };

const NEWLINE = 0x0a;

/** The lines of `path`; a final line without a newline counts; `\r\n` endings are accepted. */
export async function* readLines(path: string, maxLineBytes: number): AsyncGenerator<SourceLine> {
  let parts: Buffer[] = [];
  let partBytes = 0;
  let tooLong = false;
  let number = 0;
  const finish = (): SourceLine => {
    number += 1;
    if (tooLong) return { number, tooLong: true };
    const text = Buffer.concat(parts, partBytes).toString('utf8');
    return { number, text: text.endsWith('\r') ? text.slice(0, -1) : text };
  };
  const reset = () => {
    parts = [];
    partBytes = 0;
    tooLong = false;
  };
  const keep = (piece: Buffer) => {
    if (tooLong) return;
    if (partBytes + piece.length > maxLineBytes) {
      tooLong = true;
      parts = [];
      return;
    }
    parts.push(piece);
    partBytes += piece.length;
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE, start); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      keep(chunk.subarray(start, end));
      yield finish();
      reset();
      start = end + 1;
    }
    // The rest belongs to a line that continues in the next chunk: copied, the chunk is not kept.
    if (start < chunk.length) keep(Buffer.from(chunk.subarray(start)));
  }
  if (partBytes > 0 || tooLong) yield finish();
}

/** How many lines `path` has (as readLines counts them), reading it once in large chunks. */
export async function countLines(path: string): Promise<number> {
  let count = 0;
  let last = NEWLINE;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) count += 1;
    if (chunk.length > 0) last = chunk[chunk.length - 1]!;
  }
  return last === NEWLINE ? count : count + 1;
}
