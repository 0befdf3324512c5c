/**
 * Reads a decK file (YAML or JSON, which YAML parses too) into plain data, bounded: a file over
 * `maxBytes` is refused before it is read, and YAML aliases are limited so an alias bomb (a few
 * lines expanding to billions of nodes) fails fast instead of filling memory. Expected failures
 * are values; the message never quotes the file's content (it may hold credentials).
 */
import { readFile, stat } from 'node:fs/promises';
import { parse } from 'yaml';

/** decK files of real deployments stay well below this; anything larger is refused unread. */
export const MAX_DECK_FILE_BYTES = 50 * 1024 * 1024;
/** Aliases a file may resolve; decK files rarely use any. */
export const MAX_DECK_ALIASES = 100;

export type DeckReadResult =
  { readonly ok: true; readonly document: unknown } | { readonly ok: false; readonly reason: 'not_found' | 'too_large' | 'invalid'; readonly message: string };

/** Reads and parses `file`; `maxBytes` defaults to MAX_DECK_FILE_BYTES. */
export async function readDeckFile(file: string, maxBytes = MAX_DECK_FILE_BYTES): Promise<DeckReadResult> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) return { ok: false, reason: 'not_found', message: `${file} is not a file` };
    size = info.size;
  } catch {
    return { ok: false, reason: 'not_found', message: `cannot read ${file}: no such file` };
  }
  if (size > maxBytes) return { ok: false, reason: 'too_large', message: `${file} is ${size} bytes; at most ${maxBytes} are accepted` };
  return parseDeckText(await readFile(file, 'utf8'), maxBytes);
}

/** Parses the text of a decK file (bounded like readDeckFile). */
export function parseDeckText(text: string, maxBytes = MAX_DECK_FILE_BYTES): DeckReadResult {
  if (Buffer.byteLength(text, 'utf8') > maxBytes) return { ok: false, reason: 'too_large', message: `the file is larger than ${maxBytes} bytes` };
  try {
    const document: unknown = parse(text, { maxAliasCount: MAX_DECK_ALIASES, uniqueKeys: true, prettyErrors: false });
    return { ok: true, document };
  } catch (err) {
    // The yaml package's messages name a line and column, never more than a short excerpt; keep only
    // the first line, and for a stack overflow (absurd nesting) say so plainly.
    const message = err instanceof RangeError ? 'the file is nested too deeply' : firstLine(err instanceof Error ? err.message : String(err));
    return { ok: false, reason: 'invalid', message: `not valid YAML or JSON: ${message}` };
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 200);
}
