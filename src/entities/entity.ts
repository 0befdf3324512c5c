/**
 * What an entity is to the store and the Admin API: its fields with their storage flags, the
 * schema of its input, its alternate key for paths, and its cross-field rules. The generic DAO
 * (`store/entity-dao.ts`) and the generated Admin API routes read only this.
 */
import type { TObject, TSchema } from 'typebox';
import type { FieldError } from '../errors/portcullis-error.js';

export type FieldKind = 'string' | 'integer' | 'boolean' | 'json' | 'foreign' | 'timestamp';

export interface FieldDef {
  readonly kind: FieldKind;
  /** For `foreign`: the entity referred to; stored in column `<field>_id`, shown as `{id}`. */
  readonly foreign?: EntityName;
  /** What deleting the referred entity does to this one. */
  readonly onDelete?: 'cascade' | 'restrict';
  readonly unique?: boolean;
  /**
   * Stored through the field cipher (AES-256-GCM with the keyring), in a text column whatever the
   * kind. A random-nonce ciphertext cannot be compared, so an encrypted field cannot be unique,
   * an endpoint key, part of `uniqueTogether` or a list filter (checkEntityDefinition).
   */
  readonly encrypted?: boolean;
  /** May hold a `{vault://…}` reference, resolved by the secrets resolver, never by the store. */
  readonly referenceable?: boolean;
  /** Never returned by the Admin API (hashes). */
  readonly hidden?: boolean;
  /**
   * Written but never read back through the Admin API (a certificate's private key): shown as
   * null, unless it holds a `{vault://…}` reference, which names the secret without being it.
   */
  readonly writeOnly?: boolean;
  /**
   * For a `json` field: an array of ids of that entity (a service's `ca_certificates`). Each id
   * must exist when the entity is written (400 naming `<field>.<i>`), and an entity still listed
   * cannot be deleted (409 naming who lists it).
   */
  readonly foreignList?: EntityName;
}

export type EntityName =
  'services' | 'routes' | 'consumers' | 'plugins' | 'api_keys' | 'basicauth_credentials' | 'vaults' | 'certificates' | 'snis' | 'ca_certificates';

/** Fields every entity has, set by the store. */
export interface BaseEntity {
  readonly id: string;
  readonly created_at: number;
  readonly updated_at: number;
}

export interface ForeignRef {
  readonly id: string;
}

export interface EntityDefinition<E extends BaseEntity = BaseEntity> {
  /** Plural name: table name, Admin API path segment and `cluster_events.entity`. */
  readonly name: EntityName;
  readonly singular: string;
  readonly fields: Readonly<Record<string, FieldDef>>;
  /** A unique field that may stand for the id in paths (`/services/{name}`). */
  readonly endpointKey?: string;
  /** Schema of a POST/PUT body (a PATCH body is the same with every field optional). */
  readonly inputSchema: TObject;
  /** Turns an accepted input into stored fields (e.g. a service `url` into protocol/host/port/path). */
  readonly normalize?: (input: Record<string, unknown>) => Record<string, unknown>;
  /** Cross-field rules checked after defaults and normalisation. */
  readonly check?: (entity: Omit<E, keyof BaseEntity>) => FieldError[];
  /** Field sets that must be unique together (nulls compare equal). */
  readonly uniqueTogether?: readonly (readonly string[])[];
  /** Default values for fields absent from a create body. */
  readonly defaults?: Readonly<Record<string, unknown>>;
  /** The Admin API path segment, when it is not the name with `_` → `-` (Kong's `/ca_certificates`). */
  readonly path?: string;
  /** How an endpoint key from a path is compared with stored ones (SNI names: lowercase). */
  readonly normalizeKey?: (key: string) => string;
  /** What the Admin API shows besides the stored fields (a certificate's subject and expiry …). */
  readonly output?: EntityOutput;
}

/** Properties the Admin API adds to an entity it shows, computed from what it shows. */
export interface EntityOutput {
  /** Their schemas, listed in the response schema and the OpenAPI document. */
  readonly properties: Readonly<Record<string, TSchema>>;
  /** Their values, from the entity as shown (hidden fields gone, write-only ones null). */
  show(shown: Readonly<Record<string, unknown>>): Record<string, unknown>;
}

/** The list of a definition's field names whose kind is `foreign`. */
export function foreignFields(def: EntityDefinition): string[] {
  return Object.entries(def.fields)
    .filter(([, f]) => f.kind === 'foreign')
    .map(([name]) => name);
}

/**
 * Refuses a definition the store cannot honour: an `encrypted` field that must be compared in the
 * database (unique, endpoint key, unique together) or that is a foreign reference, and a list of
 * ids that is not a plain JSON field (the store searches its text). Called by the
 * store for every definition when it is built, so a mistake stops the start, not a query.
 */
export function checkEntityDefinition(def: EntityDefinition): void {
  const together = new Set((def.uniqueTogether ?? []).flat());
  for (const [name, f] of Object.entries(def.fields)) {
    if (f.foreignList && (f.kind !== 'json' || f.encrypted)) throw new Error(`entity ${def.name}: field ${name} lists ids, so it must be a plain json field`);
    if (!f.encrypted) continue;
    const why =
      f.kind === 'foreign'
        ? 'a foreign reference'
        : f.unique
          ? 'unique'
          : def.endpointKey === name
            ? 'the endpoint key'
            : together.has(name)
              ? 'part of uniqueTogether'
              : null;
    if (why) throw new Error(`entity ${def.name}: field ${name} is encrypted and ${why}; a random-nonce ciphertext cannot be compared`);
  }
}
