/**
 * What the declarative file holds and in which order: one top-level list per entity kind, written
 * in dependency order (a kind only refers to kinds before it), so creates run top to bottom and
 * deletes bottom to top. Each kind says how an entity is identified across a dump and an apply:
 * by its human key (service and route `name`, consumer `username`, vault `prefix`, SNI `name`), by
 * `id` when it has none (certificates, CA certificates, an unnamed service), and plugins by where
 * they apply (`name` + service + route + consumer, their unique set).
 */
import type { EntityDefinition, EntityName, FieldDef } from '../entities/entity.js';
import { caCertificatesDefinition } from '../entities/ca-certificates.js';
import { certificatesDefinition } from '../entities/certificates.js';
import { snisDefinition } from '../entities/snis.js';
import { vaultsDefinition } from '../entities/vaults.js';
import { servicesDefinition } from '../entities/services.js';
import { routesDefinition } from '../entities/routes.js';
import { consumersDefinition } from '../entities/consumers.js';
import { pluginsDefinition } from '../entities/plugins.js';

/** The `_format_version` this build writes and reads. */
export const FORMAT_VERSION = '1.0';

/** What a dump shows for an encrypted field holding a literal secret; on apply it keeps the stored value. */
export const SECRET_MARKER = '<encrypted: kept>';

export interface DeclarativeKind {
  readonly name: EntityName;
  readonly definition: EntityDefinition;
  /** The field naming the entity (null: identified by `id`). */
  readonly keyField: string | null;
  /** The fields the file holds, in the definition's order: writable, not hidden, not computed. */
  readonly fields: readonly string[];
}

const ORDER: readonly EntityDefinition[] = [
  caCertificatesDefinition,
  certificatesDefinition,
  snisDefinition,
  vaultsDefinition,
  servicesDefinition,
  routesDefinition,
  consumersDefinition,
  pluginsDefinition,
].map((d) => d as unknown as EntityDefinition);

const KEY_FIELDS: Partial<Record<EntityName, string>> = { services: 'name', routes: 'name', consumers: 'username', vaults: 'prefix', snis: 'name' };

/** The kinds in dependency order. API keys and basic-auth credentials are not here: they are hashes, never dumped nor touched. */
export const DECLARATIVE_KINDS: readonly DeclarativeKind[] = ORDER.map((definition) => {
  const writable = new Set(Object.keys(definition.inputSchema.properties));
  return {
    name: definition.name,
    definition,
    keyField: KEY_FIELDS[definition.name] ?? null,
    fields: Object.entries(definition.fields)
      .filter(([field, f]) => writable.has(field) && !f.hidden)
      .map(([field]) => field),
  };
});

export function declarativeKind(name: EntityName): DeclarativeKind {
  const kind = DECLARATIVE_KINDS.find((k) => k.name === name);
  if (!kind) throw new Error(`${name} is not part of the declarative file`);
  return kind;
}

/** The kind a field refers to: a foreign field's entity or the entity a list of ids names. */
export function referredKind(f: FieldDef): EntityName | null {
  return (f.kind === 'foreign' ? f.foreign : f.foreignList) ?? null;
}
