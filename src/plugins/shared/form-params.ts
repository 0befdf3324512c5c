/**
 * Removing parameters from `application/x-www-form-urlencoded` text (a query string or a form
 * body) the way an upstream would read their names, not only the way the WHATWG parser does:
 * `&` and `;` both separate parameters (Rack before 3, old Python and Perl CGI split on `;`), names
 * are percent-decoded leniently (a bad `%` sequence stays as it is, as in PHP), `+` is a space. Only
 * the removed parameters change: every other byte of the text stays as it was, so values are never
 * re-encoded.
 */

const AMPERSAND = 0x26;
const SEMICOLON = 0x3b;
const ESCAPE = /%([0-7][0-9A-Fa-f])/g;

/**
 * A parameter name as an upstream decodes it: `+` as space, and `%XX` for ASCII bytes. Non-ASCII
 * escapes stay encoded: they cannot spell an ASCII name, and this needs no UTF-8 decoding.
 */
export function decodeParamName(raw: string): string {
  const spaced = raw.indexOf('+') === -1 ? raw : raw.replace(/\+/g, ' ');
  return spaced.indexOf('%') === -1 ? spaced : spaced.replace(ESCAPE, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** `text` without the parameters whose decoded name `match` accepts (their separators go with them). */
export function removeParams(text: string, match: (name: string) => boolean): string {
  let out = '';
  let kept = false;
  let start = 0;
  for (;;) {
    let end = start;
    while (end < text.length && text.charCodeAt(end) !== AMPERSAND && text.charCodeAt(end) !== SEMICOLON) end++;
    const part = text.slice(start, end);
    const eq = part.indexOf('=');
    if (!match(decodeParamName(eq === -1 ? part : part.slice(0, eq)))) {
      // A kept parameter keeps the separator that came before it, unless it is now the first.
      out += kept ? text[start - 1] + part : part;
      kept = true;
    }
    if (end >= text.length) return out;
    start = end + 1;
  }
}
