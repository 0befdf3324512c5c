/** The shape of one migration: a name that sorts in order, and an `up` that knows its dialect. */
import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

export interface Migration {
  /** `NNNN_<what>`; applied in name order, recorded in `schema_migrations`. */
  readonly name: string;
  up(db: Kysely<any>, dialect: DialectName): Promise<void>;
}
