/**
 * The literal text every match of a regex path must start with, so a route table can skip a regex
 * whose prefix the request path lacks with a `startsWith` (nanoseconds) instead of running RE2 on
 * it (a tenth of a microsecond and more): with many regex routes, a request that matches none
 * would otherwise run them all.
 *
 * Regex paths are anchored at the start (`compileRoutePattern`: `^(?:source)`, no flags). The
 * leading run of characters that are literal in every position (letters, digits, '/', '_', '-')
 * must appear at the start of the path, except a last one a quantifier (`?`, `*`, `+`, `{`) makes
 * optional or repeatable. Anything else stops the run. An alternation anywhere (`|`, even inside a
 * group or class) gives no prefix at all: being conservative only costs speed, never an answer.
 */

const LITERAL = /^[A-Za-z0-9/_-]$/;
const QUANTIFIERS = '?*+{';

/** The literal prefix of a regex path's source (without its '~'); '' when none is certain. */
export function regexLiteralPrefix(source: string): string {
  if (source.includes('|')) return '';
  let end = 0;
  while (end < source.length && LITERAL.test(source[end]!)) end++;
  if (end > 0 && end < source.length && QUANTIFIERS.includes(source[end]!)) end--;
  return source.slice(0, end);
}
