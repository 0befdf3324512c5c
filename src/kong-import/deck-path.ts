/**
 * Paths into a decK file as a Kong user reads them (`services[1].routes[0].paths[2]`), and the
 * small typed readers the mappers use: each reads one field, records a problem at its path when
 * the type is wrong, and returns undefined then, so one pass reports every problem of the file.
 */
import type { DeckProblem } from './import-plan.js';

export type DeckObject = Readonly<Record<string, unknown>>;

/** `base.key`, or `base[i]` for an index. */
export function at(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

/** Turns a validator path (`paths.2.x`) into decK notation under `base` (`base.paths[2].x`). */
export function deckPath(base: string, dotted: string): string {
  if (!dotted || dotted === '(root)') return base;
  return dotted.split('.').reduce((path, seg) => (/^\d+$/.test(seg) ? at(path, Number(seg)) : at(path, seg)), base);
}

export function isObject(value: unknown): value is DeckObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects problems while the mappers read one file. */
export class DeckReader {
  readonly problems: DeckProblem[] = [];

  problem(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  /** The list at `obj[key]` (empty when absent); a problem when it is not a list. */
  list(obj: DeckObject, key: string, path: string): readonly unknown[] {
    const value = obj[key];
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    this.problem(at(path, key), 'must be a list');
    return [];
  }

  /** Each object of `obj[key]` with its path; a problem for each item that is not an object. */
  objects(obj: DeckObject, key: string, path: string): { value: DeckObject; path: string; index: number }[] {
    const out: { value: DeckObject; path: string; index: number }[] = [];
    this.list(obj, key, path).forEach((value, index) => {
      const itemPath = at(at(path, key), index);
      if (isObject(value)) out.push({ value, path: itemPath, index });
      else this.problem(itemPath, 'must be an object');
    });
    return out;
  }

  /** A string field, or undefined when absent (null counts as absent, as in Kong). */
  string(obj: DeckObject, key: string, path: string): string | undefined {
    const value = obj[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    this.problem(at(path, key), 'must be a string');
    return undefined;
  }
}

/** The value Kong's referencing fields take: `"name"`, `{name: …}` or `{id: …}`. */
export function refName(value: unknown): string | undefined {
  if (typeof value === 'string' && value) return value;
  if (isObject(value)) {
    const v = value['id'] ?? value['name'] ?? value['username'];
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}
