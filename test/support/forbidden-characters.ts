/**
 * Code points no human-chosen name may contain (see src/schema/safe-text.ts), several of each
 * class, for the tables of the tests that try them against every name the Admin API accepts.
 */
export const FORBIDDEN_CHARACTERS: Readonly<Record<string, readonly string[]>> = {
  'C0 control': ['\u0000', '\u0001', '\u0009', '\u000a', '\u000d', '\u001b', '\u001f'],
  'DEL and C1 control': ['\u007f', '\u0080', '\u0085', '\u009b', '\u009f'],
  'bidi control': ['\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'],
  'zero-width character': ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff'],
  'other invisible format character': ['\u00ad', '\u{e0041}'],
  'line or paragraph separator': ['\u2028', '\u2029'],
  'lone surrogate': ['\ud800', '\udfff'],
};

/** `U+200B U+0041`: how a test names the characters of a string. */
export function codePoints(value: string): string {
  return [...value].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`).join(' ');
}
