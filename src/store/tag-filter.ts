/**
 * Tag filters on listings, as Kong spells them: `?tags=a,b` (entities holding every tag) and
 * `?tags=a/b` (entities holding any of them). Tags can hold neither `,` nor `/` (nor whitespace),
 * so the two separators are never ambiguous; mixing them is refused.
 *
 * In SQL the tags column is matched as JSON text (`"a"` inside the array: the same on SQLite's text
 * and PostgreSQL's jsonb), which narrows the rows read without a dialect switch; `matchesTags`
 * then decides on the decoded list.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { PortcullisError } from '../errors/portcullis-error.js';

export interface TagFilter {
  readonly mode: 'all' | 'any';
  readonly tags: readonly string[];
}

/** Most tags in one filter. */
export const MAX_FILTER_TAGS = 16;

const refuse = (message: string) =>
  new PortcullisError('PC_VALIDATION_FAILED', { message: `The query string is not valid: tags ${message}`, fields: [{ path: 'tags', message }] });

/** Reads `?tags=`; throws 400 naming `tags` when it cannot be a filter. */
export function parseTagFilter(query: string): TagFilter {
  const hasAnd = query.includes(',');
  const hasOr = query.includes('/');
  if (hasAnd && hasOr) throw refuse('mixes "," (all of) and "/" (any of); use one');
  const tags = query.split(hasOr ? '/' : ',').map((t) => t.normalize('NFC'));
  if (tags.some((t) => t === '')) throw refuse('has an empty tag');
  if (tags.length > MAX_FILTER_TAGS) throw refuse(`names more than ${MAX_FILTER_TAGS} tags`);
  return { mode: hasOr ? 'any' : 'all', tags: [...new Set(tags)] };
}

/** True when `tags` (an entity's) satisfies `filter`. */
export function matchesTags(filter: TagFilter, tags: unknown): boolean {
  const held = new Set(Array.isArray(tags) ? tags : []);
  return filter.mode === 'all' ? filter.tags.every((t) => held.has(t)) : filter.tags.some((t) => held.has(t));
}

/** A condition narrowing rows of `column` (a JSON array of strings) to those that may match. */
export function tagCondition(eb: ExpressionBuilder<any, any>, column: string, filter: TagFilter): Expression<SqlBool> {
  const holds = (tag: string) => sql<SqlBool>`cast(${sql.ref(column)} as text) like ${likePattern(tag)} escape '!'`;
  const each = filter.tags.map(holds);
  return filter.mode === 'all' ? eb.and(each) : eb.or(each);
}

/** `%"<tag as JSON>"%`, with LIKE's own characters escaped. */
function likePattern(tag: string): string {
  return `%${JSON.stringify(tag).replace(/[!%_]/g, (c) => `!${c}`)}%`;
}
