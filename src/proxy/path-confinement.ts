/**
 * Path confinement: does a path hold a segment that some upstream would resolve as `.` or `..`?
 * Upstreams differ in what they take for a separator and a dot, so this check takes the widest
 * reading any of them is known to use: segments end at `/`, `\`, `%2F` and `%5C` (any case); a
 * dot is `.` or `%2E` (any case); the same escapes encoded twice (`%252E`, `%252F`, `%255C`) count
 * too, for upstreams that decode twice; a segment's `;` parameters are ignored (Tomcat resolves
 * `..;` as `..`). A path without such a segment, joined below a service path, stays below it
 * whatever the upstream decodes. Used by path normalisation (`normalize-path.ts`) and by the
 * router on every remainder it joins to a service path (`router.ts`).
 */

/**
 * True when `path` has a segment that is `.` or `..` under the widest reading above. Scans the
 * string once without allocating; the caller's fast path (`mayHideDotSegment`) skips it for the
 * usual path.
 */
export function hasDotSegment(path: string): boolean {
  // Dots seen in the current segment; -1 once the segment holds anything else.
  let dots = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    let width = 1;
    let kind = classify(c);
    if (c === 37 /* % */) {
      let byte = hexByte(path, i + 1);
      width = 3;
      // `%25` followed by hex digits is what an upstream that decodes twice reads as one escape.
      if (byte === 0x25) {
        byte = hexByte(path, i + 3);
        width = 5;
      }
      if (byte === 0x2f || byte === 0x5c) kind = SEPARATOR;
      else if (byte === 0x2e) kind = DOT;
      if (kind === OTHER) width = 1;
    }
    if (kind === SEPARATOR || kind === PARAMS) {
      if (dots === 1 || dots === 2) return true;
      // After ';' the rest of the segment is parameters: it cannot make the segment a dot segment.
      dots = kind === PARAMS ? -1 : 0;
    } else if (kind === DOT) {
      if (dots >= 0) dots++;
    } else {
      dots = -1;
    }
    i += width - 1;
  }
  return dots === 1 || dots === 2;
}

/**
 * Cheap pre-test for a path that starts with '/': a dot segment needs a separator followed by a
 * dot, so without '/.', '%' and '\\' there is none in any reading (`/report.json` is not scanned).
 */
export function mayHideDotSegment(path: string): boolean {
  return path.indexOf('/.') !== -1 || path.indexOf('%') !== -1 || path.indexOf('\\') !== -1;
}

const OTHER = 0;
const SEPARATOR = 1;
const DOT = 2;
const PARAMS = 3;

function classify(c: number): number {
  if (c === 47 /* / */ || c === 92 /* \ */) return SEPARATOR;
  if (c === 46 /* . */) return DOT;
  if (c === 59 /* ; */) return PARAMS;
  return OTHER;
}

/** The byte of the two hex digits at `at`, or -1 when they are not two hex digits. */
export function hexByte(s: string, at: number): number {
  if (at + 1 >= s.length) return -1;
  const hi = hexDigit(s.charCodeAt(at));
  const lo = hexDigit(s.charCodeAt(at + 1));
  return hi === -1 || lo === -1 ? -1 : hi * 16 + lo;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}
