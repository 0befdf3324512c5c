/**
 * State of one mapping pass over a decK file: the reader collecting problems, the planned items
 * by kind (written in dependency order), what is not migrated, and the names and ids defined so
 * far, so references resolve to an entity of the file or, failing that, to one in the database.
 */
import { isUuid } from '../entities/common-schemas.js';
import { DeckReader } from './deck-path.js';
import type { PlannedItem, PlanRef, UnsupportedItem } from './import-plan.js';
import { createInputChecker, type InputChecker } from './validate-input.js';
import type { PluginRegistry } from '../plugins/registry.js';

export type IndexedKind = 'service' | 'route' | 'consumer' | 'certificate';

export class MapContext {
  readonly reader = new DeckReader();
  readonly checker: InputChecker = createInputChecker(this.reader);
  readonly unsupported: UnsupportedItem[] = [];
  readonly items: Record<PlannedItem['kind'], PlannedItem[]> = {
    ca_certificate: [],
    certificate: [],
    service: [],
    route: [],
    consumer: [],
    plugin: [],
    basic_auth: [],
    api_key: [],
  };
  readonly #names = new Map<string, string>();
  /** The label (name) of each entity by its path, for messages about what refers to it. */
  readonly labels = new Map<string, string>();
  readonly nowSeconds: number;
  readonly registry: PluginRegistry;
  /** The file's `_format_version`: in "1.1" (Kong 2.x) a regex path has no `~`. */
  formatVersion: string | null = null;

  constructor(deps: { nowSeconds: number; registry: PluginRegistry }) {
    this.nowSeconds = deps.nowSeconds;
    this.registry = deps.registry;
  }

  skip(entity: string, name: string, path: string, reason: string): void {
    this.unsupported.push({ entity, name, path, reason, skipped: true });
  }

  /** Records `key` (a name or an id) of an entity defined at `path`; a second definition is a problem. */
  define(kind: IndexedKind, key: string | undefined, path: string, field: string): void {
    if (key === undefined) return;
    const k = `${kind}:${isUuid(key) ? key.toLowerCase() : key.normalize('NFC')}`;
    const first = this.#names.get(k);
    if (first) this.reader.problem(`${path}.${field}`, `duplicates the ${kind} defined at ${first}`);
    else this.#names.set(k, path);
  }

  /** The entity of the file named (or with the id) `key`, else the database's. */
  ref(kind: IndexedKind, key: string): PlanRef {
    const path = this.#names.get(`${kind}:${isUuid(key) ? key.toLowerCase() : key.normalize('NFC')}`);
    return path ? { plan: path } : { existing: key };
  }

  /** The items in write order: what others refer to first. */
  ordered(): PlannedItem[] {
    const i = this.items;
    return [...i.ca_certificate, ...i.certificate, ...i.service, ...i.route, ...i.consumer, ...i.plugin, ...i.basic_auth, ...i.api_key];
  }
}

/** Kong's id of an entity when it is a UUID (kept, so a second import finds it again). */
export function kongId(value: unknown): string | null {
  return typeof value === 'string' && isUuid(value) ? value.toLowerCase() : null;
}
