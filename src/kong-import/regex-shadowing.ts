/**
 * The one routing difference an import cannot fix by itself: Kong tries regex paths before plain
 * prefixes, Portcullis the longest plain prefix first. A regex whose literal start lies under
 * another route's prefix (`~/orders/\d+$` beside `/orders`) would lose the requests it won in
 * Kong, so each such pair is reported (imported as written; `--strict` refuses it).
 */
import { at } from './deck-path.js';
import type { PlannedEntity, UnsupportedItem } from './import-plan.js';

/** The literal text a regex path starts with: up to its first metacharacter (an escape ends it too). */
export function literalStart(regex: string): string {
  const match = /^[^\\()[\]{}*+?|^$.]*/.exec(regex);
  return match ? match[0] : '';
}

/** A plain prefix matches at segment boundaries: `/orders` covers `/orders` and `/orders/…`. */
function covers(prefix: string, literal: string): boolean {
  if (prefix.endsWith('/')) return literal.startsWith(prefix);
  return literal === prefix || literal.startsWith(`${prefix}/`);
}

/** Routes compete only when a request can match both: same hosts, or either has none. */
function shareHosts(a: PlannedEntity, b: PlannedEntity): boolean {
  const ha = (a.input['hosts'] as string[] | undefined) ?? [];
  const hb = (b.input['hosts'] as string[] | undefined) ?? [];
  return ha.length === 0 || hb.length === 0 || ha.some((h) => hb.includes(h));
}

export function regexShadowing(routes: readonly PlannedEntity[]): UnsupportedItem[] {
  const out: UnsupportedItem[] = [];
  for (const route of routes) {
    const paths = (route.input['paths'] as string[] | undefined) ?? [];
    paths.forEach((p, i) => {
      if (!p.startsWith('~')) return;
      const literal = literalStart(p.slice(1));
      for (const other of routes) {
        if (other === route || !shareHosts(route, other)) continue;
        const prefix = ((other.input['paths'] as string[] | undefined) ?? []).find((q) => !q.startsWith('~') && covers(q, literal));
        if (prefix === undefined) continue;
        out.push({
          entity: 'route.paths',
          name: route.label,
          path: at(at(route.path, 'paths'), i),
          reason: `Kong tries regex paths before prefixes, Portcullis the prefix "${prefix}" of route ${other.label} first: requests this regex matched in Kong may go to that route; give the regex its own prefix or make that path a regex`,
          skipped: false,
        });
        return;
      }
    });
  }
  return out;
}
