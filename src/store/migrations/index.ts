/** Every migration, in order. Append only: a released migration is never edited. */
import type { Migration } from './migration.js';
import { migration0001Core } from './0001-core.js';

export const MIGRATIONS: readonly Migration[] = [migration0001Core];
