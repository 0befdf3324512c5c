/**
 * How a diff is shown: one line per change (`+ service billing`, `~ route orders (paths,
 * methods)`, `- plugin cors (global)`) and a summary, or JSON for `--json`. Field names only,
 * never values: a diff may involve secrets.
 */
import type { FieldError } from '../errors/portcullis-error.js';
import type { Change } from './plan-changes.js';

const SIGNS = { create: '+', update: '~', delete: '-' } as const;

export function changeLine(change: Change): string {
  return `${SIGNS[change.op]} ${change.label}${change.op === 'update' ? ` (${change.fields.join(', ')})` : ''}`;
}

export function changesSummary(changes: readonly Change[]): string {
  if (changes.length === 0) return 'no changes';
  const count = (op: Change['op']) => changes.filter((c) => c.op === op).length;
  return `${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete`;
}

/** The JSON form of a change: `{op, entity, key, label, fields}` (`entity` is the list name, `services`). */
export function changeJson(change: Change): Record<string, unknown> {
  return { op: change.op, entity: change.kind, key: change.key, label: change.label, fields: change.fields };
}

export function errorLine(error: FieldError): string {
  return `${error.path}: ${error.message}`;
}
