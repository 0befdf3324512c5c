/**
 * Regex route patterns that make a backtracking engine (V8's) take exponential time, each with a
 * 30-character path that triggers it. Shared by the router's test (`router.test.ts`: RE2 answers
 * each at once) and the engine comparison (`bench/regex-routes.ts`).
 */
export const CATASTROPHIC_PATTERNS: readonly (readonly [pattern: string, path: string])[] = [
  ['/(a+)+$', `/${'a'.repeat(28)}!`],
  ['/(a|aa)*b', `/${'a'.repeat(29)}`],
  ['/(\\w+\\s?)*$', `/${'a'.repeat(28)}!`],
  ['/(.*a){12}', `/${'a'.repeat(11)}${'b'.repeat(18)}`],
  ['/(a*)*$', `/${'a'.repeat(28)}!`],
  ['/([a-z]+)*$', `/${'a'.repeat(28)}!`],
  ['/(a|a?)+$', `/${'a'.repeat(28)}!`],
  ['/(\\w|\\d)+$', `/${'1'.repeat(28)}!`],
  ['/(.*)*x', `/${'a'.repeat(29)}`],
  ['/((a+)+)+$', `/${'a'.repeat(28)}!`],
  ['/(x+x+)+y', `/${'x'.repeat(29)}`],
  ['/([^/]+)+\\.json$', `/${'a'.repeat(28)}!`],
];
