/**
 * What an import of a decK file will do, decided before anything is written: the Portcullis
 * entities to create (each with where it came from in the file), what cannot be migrated and why,
 * and the problems that make the file unusable. Entities refer to each other by `PlanRef`: another
 * entity of the plan (by its key, the decK path that defined it) or one already in the database.
 */
import type { Secret } from '../observability/secret.js';

/** A problem that stops the import: the decK path (`services[1].routes[0].paths[2]`) and what is wrong. */
export interface DeckProblem {
  readonly path: string;
  readonly message: string;
}

/** Something in the file that Portcullis does not migrate (skipped, or imported without that part). */
export interface UnsupportedItem {
  /** decK's name for it: `plugin`, `upstream`, `route.path_handling`, `keyauth_credential` … */
  readonly entity: string;
  /** Its name in the file (name, username, plugin name), or its path when it has none. */
  readonly name: string;
  readonly path: string;
  readonly reason: string;
  /** True when the item itself is not imported; false when it is imported without that part. */
  readonly skipped: boolean;
}

/** A reference to another entity: one of this plan (`plan`: its key) or one in the database (`existing`: id or name). */
export type PlanRef = { readonly plan: string } | { readonly existing: string };

export type PlannedKind = 'service' | 'route' | 'consumer' | 'plugin' | 'certificate' | 'ca_certificate' | 'basic_auth' | 'api_key';

interface PlannedBase {
  /** The decK path that defined it; also its key for references. */
  readonly path: string;
  /** What listings show: a name, a username, `key-auth on service orders` … Never a secret. */
  readonly label: string;
  /** Kong's id, kept so that a second import finds what the first created. */
  readonly id: string | null;
}

/** A service, route, consumer, plugin or certificate: an Admin API body for its DAO, with references. */
export interface PlannedEntity extends PlannedBase {
  readonly kind: Exclude<PlannedKind, 'api_key' | 'basic_auth'>;
  /** The body, without its references (filled in at apply time from `refs`). */
  readonly input: Readonly<Record<string, unknown>>;
  /** Foreign fields by name: `service`, `route`, `consumer`. */
  readonly refs: Readonly<Record<string, PlanRef>>;
}

/** A key-auth credential, to become an external API key of its consumer. */
export interface PlannedKey extends PlannedBase {
  readonly kind: 'api_key';
  readonly consumer: PlanRef;
  /** The Portcullis key name (`kong-<kong id>`, or `kong-<n>` by position). */
  readonly name: string;
  readonly value: Secret<string>;
  /** Epoch seconds, from Kong's `ttl`; null: never. */
  readonly expiresAt: number | null;
}

/** A basic-auth credential whose password is given in clear (a hand-written decK file). */
export interface PlannedBasicAuth extends PlannedBase {
  readonly kind: 'basic_auth';
  readonly consumer: PlanRef;
  readonly username: string;
  readonly password: Secret<string>;
  readonly tags: readonly string[];
}

export type PlannedItem = PlannedEntity | PlannedKey | PlannedBasicAuth;

export interface ImportPlan {
  /** In write order: certificates, services, routes, consumers, plugins, basic-auth, keys. */
  readonly items: readonly PlannedItem[];
  readonly unsupported: readonly UnsupportedItem[];
  readonly problems: readonly DeckProblem[];
}
