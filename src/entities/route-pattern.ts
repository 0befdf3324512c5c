/**
 * Regex route paths (`~…`) run on RE2, a linear-time engine: matching a path costs time
 * proportional to its length whatever the pattern, so no route can be written that a crafted path
 * makes slow (catastrophic backtracking in `(a+)+$`, `(a|aa)*b` …). RE2 has no lookarounds and no
 * backreferences: such patterns are refused when the route is written. Shared by the route
 * entity's write-time check and the router's compiled entries.
 */
import RE2 from 're2';

/**
 * Compiles the pattern of a regex path (without its `~`) for matching: anchored at the start of
 * the path, as in Kong, by both `^` and the sticky flag (so even a pattern whose alternation
 * escapes the group cannot match later in the path). Throws for a pattern RE2 refuses.
 */
export function compileRoutePattern(source: string): RE2 {
  return new RE2(`^(?:${source})`, 'y');
}

/** Why `source` cannot be a regex path, or null when it can. */
export function routePatternProblem(source: string): string | null {
  try {
    // Compiled alone first: an unbalanced pattern such as `a)|(b` must not pass by closing the group.
    new RE2(source);
    compileRoutePattern(source);
    return null;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return `is not a regular expression the linear-time engine (RE2) accepts: ${reason}; lookarounds and backreferences are not supported`;
  }
}

/** One regex path compiled for matching. */
export type RoutePattern = RE2;
