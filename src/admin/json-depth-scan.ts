/**
 * Finds where a JSON text nests deeper than a limit, in one pass over its characters and before
 * it is parsed. `JSON.parse` copes with deep input, but everything that walks the result later
 * (schema validation, the prototype-poisoning filter, `JSON.stringify` on the way to the
 * database) recurses, and a 1 MiB body of `[` is half a million levels: a stack overflow, a 500.
 * The scan skips strings (minding escapes) and remembers, per open level, the current array index
 * or object key, so the refusal can name the field. Its memory is bounded by the limit.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
/** Keys in a reported path are cut to this many characters. */
const MAX_KEY_LENGTH = 64;

/**
 * The path (segments: object keys and array indexes) of the first array or object at depth
 * `maxDepth + 1` (the top-level value is depth 1), or undefined when none is that deep. Malformed
 * JSON is scanned as well as it goes; `JSON.parse` reports it afterwards.
 */
export function findDepthOverflow(text: string, maxDepth: number): string[] | undefined {
  // Per open level: is it an array; the current element's index (arrays); whether the next string
  // is a key, and where the current key starts and ends in `text` (objects).
  const isArray: boolean[] = [];
  const index: number[] = [];
  const expectsKey: boolean[] = [];
  const keyStart: number[] = [];
  const keyEnd: number[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = endOfString(text, i);
      const top = depth - 1;
      if (top >= 0 && expectsKey[top]) {
        keyStart[top] = i;
        keyEnd[top] = end + 1;
        expectsKey[top] = false;
      }
      i = end;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (depth === maxDepth) return pathOf(text, depth, isArray, index, keyStart, keyEnd);
      isArray[depth] = c === OPEN_ARRAY;
      index[depth] = 0;
      expectsKey[depth] = c === OPEN_OBJECT;
      keyStart[depth] = -1;
      depth++;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (depth > 0) depth--;
    } else if (c === COMMA && depth > 0) {
      if (isArray[depth - 1]) index[depth - 1]!++;
      else expectsKey[depth - 1] = true;
    }
  }
  return undefined;
}

/** The index of the quote closing the string that opens at `start` (or the text's length). */
function endOfString(text: string, start: number): number {
  for (let j = start + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j;
  }
  return text.length;
}

function pathOf(text: string, depth: number, isArray: boolean[], index: number[], keyStart: number[], keyEnd: number[]): string[] {
  const path: string[] = [];
  for (let level = 0; level < depth; level++) {
    path.push(isArray[level] ? String(index[level]) : keyAt(text, keyStart[level]!, keyEnd[level]!));
  }
  return path;
}

function keyAt(text: string, start: number, end: number): string {
  if (start < 0) return '';
  // A long key is cut before decoding: it may be most of the body.
  if (end - start > MAX_KEY_LENGTH * 6 + 2) return `${text.slice(start + 1, start + 1 + MAX_KEY_LENGTH)}…`;
  let key: string;
  try {
    key = JSON.parse(text.slice(start, end)) as string;
  } catch {
    key = text.slice(start + 1, end - 1);
  }
  return key.length > MAX_KEY_LENGTH ? `${key.slice(0, MAX_KEY_LENGTH)}…` : key;
}
