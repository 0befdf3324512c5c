/** The two databases Portcullis runs on, and the column types each uses for our portable kinds. */
export type DialectName = 'sqlite' | 'postgres';

export interface ColumnTypes {
  readonly uuid: 'text' | 'uuid';
  readonly json: 'text' | 'jsonb';
  readonly boolean: 'integer' | 'boolean';
  readonly bigint: 'integer' | 'bigint';
}

export function columnTypes(dialect: DialectName): ColumnTypes {
  return dialect === 'postgres'
    ? { uuid: 'uuid', json: 'jsonb', boolean: 'boolean', bigint: 'bigint' }
    : { uuid: 'text', json: 'text', boolean: 'integer', bigint: 'integer' };
}
