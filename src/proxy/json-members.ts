/**
 * The top-level members of a JSON object, each with where it lies in the text, so that members
 * can be counted by name (a name given twice, `"apikey"` and `"api\u006bey"` alike, is two members:
 * `JSON.parse` would silently keep the last) and removed without re-serialising the others
 * (`JSON.stringify` would rewrite numbers such as 12345678901234567890 or 1.0).
 *
 * The text is the body read as latin1, one char per byte: JSON's structure is ASCII and UTF-8
 * never puts an ASCII byte inside a multi-byte character, so offsets are byte offsets and kept
 * members stay byte for byte. Callers check the body with `JSON.parse` first: this scanner
 * assumes valid JSON.
 */

export interface JsonMember {
  /** The decoded name. */
  readonly name: string;
  /** The decoded value when it is a string; null for any other value. */
  readonly value: string | null;
  /** Offset of the name's opening quote. */
  readonly start: number;
  /** Offset just after the value. */
  readonly end: number;
}

/** The members of a JSON object text, in order; null when the JSON value is not an object. */
export function topLevelMembers(text: string): JsonMember[] | null {
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return null;
  const members: JsonMember[] = [];
  i = skipSpace(text, i + 1);
  if (text[i] === '}') return members;
  for (;;) {
    const start = i;
    const nameEnd = stringEnd(text, i);
    const valueStart = skipSpace(text, skipSpace(text, nameEnd) + 1);
    const end = valueEnd(text, valueStart);
    const value = text[valueStart] === '"' ? decodeString(text, valueStart, end) : null;
    members.push({ name: decodeString(text, start, nameEnd), value, start, end });
    i = skipSpace(text, end);
    if (text[i] !== ',') return members;
    i = skipSpace(text, i + 1);
  }
}

/** `text` without the members `drop` accepts; separators and whitespace of the kept ones stay. */
export function withoutMembers(text: string, members: readonly JsonMember[], drop: (member: JsonMember) => boolean): string {
  let out = text.slice(0, members[0]?.start ?? 0);
  let kept = false;
  for (let k = 0; k < members.length; k++) {
    const member = members[k]!;
    if (drop(member)) continue;
    // The comma and whitespace that preceded this member in the text, unless it is now the first.
    if (kept) out += text.slice(members[k - 1]!.end, member.start);
    out += text.slice(member.start, member.end);
    kept = true;
  }
  return out + text.slice(members.at(-1)?.end ?? 0);
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  return i;
}

/** Offset after the string starting at `i` (its opening quote). */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j + 1;
  }
  return text.length;
}

/** Offset after the value starting at `i`. */
function valueEnd(text: string, i: number): number {
  const first = text[i];
  if (first === '"') return stringEnd(text, i);
  if (first === '{' || first === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const c = text[j];
      if (c === '"') j = stringEnd(text, j) - 1;
      else if (c === '{' || c === '[') depth++;
      else if ((c === '}' || c === ']') && --depth === 0) return j + 1;
    }
    return text.length;
  }
  let j = i;
  while (j < text.length && !',}] \t\n\r'.includes(text[j]!)) j++;
  return j;
}

function decodeString(text: string, start: number, end: number): string {
  return JSON.parse(Buffer.from(text.slice(start, end), 'latin1').toString('utf8')) as string;
}
