/**
 * The one interface every secret backend implements (`src/secrets/backends/<name>/`). A backend
 * reads one secret by resource (and version) and knows nothing of caching, rotation, references in
 * use or JSON keys: the resolver (`secret-resolver.ts`) does those for every backend alike.
 *
 * Contract (checked for every backend by `test/contract/vault-backend.contract.test.ts`):
 * - `read` returns the secret's text. A map-shaped secret (Vault's KV data) is returned as its JSON
 *   text, so the reference's `/<json key>` picks a field the same way for every backend.
 * - Failures are `VaultBackendError`s with a `kind`: `not_found` (no such secret or version),
 *   `unauthorized` (credentials refused), `unavailable` (anything else: network, timeout, 5xx,
 *   throttling). A message names the resource, never a value or a credential.
 * - `read` honours `signal` (the resolver's timeout) and never retries for long on its own: the
 *   resolver decides when to try again.
 * - Credentials a backend obtains (a Vault token from AppRole, a Conjur access token, cloud tokens)
 *   are its own business: cached inside it, renewed before expiry, obtained again once when refused.
 */
import type { TObject } from 'typebox';
import type { Logger } from 'pino';

export type VaultFailureKind = 'not_found' | 'unauthorized' | 'unavailable';

export class VaultBackendError extends Error {
  readonly kind: VaultFailureKind;
  constructor(kind: VaultFailureKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VaultBackendError';
    this.kind = kind;
  }
}

export interface SecretRead {
  /** The secret's text (a map: its JSON text). */
  readonly value: string;
  /** The version read, when the backend has versions (reported by the health API). */
  readonly version?: string;
}

export interface VaultBackend {
  /**
   * Reads one secret. `resource` is the reference's resource, percent-decoded (`db/creds`;
   * Conjur IDs may hold `/`); `version` is the reference's `#<version>` or null for the current one;
   * `options` are the reference's query options this backend declared in `referenceOptions`.
   */
  read(resource: string, version: string | null, options: Readonly<Record<string, string>>, signal: AbortSignal): Promise<SecretRead>;
  /** Releases connections and timers (token renewal). */
  close?(): Promise<void> | void;
}

/** What a backend may use: no global state, no `process.env` (the node passes `env`). */
export interface VaultBackendDeps {
  readonly logger: Logger;
  /** The environment, for credential chains that read it (AWS, GCP, Azure); tests pass their own. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Milliseconds one backend call may take (the resolver also aborts `read` through its signal). */
  readonly timeout: number;
  /** The prefix of the vault this backend serves (the `store` backend finds its rows by it). */
  readonly vault?: string;
}

export interface VaultBackendFactory<C extends Record<string, unknown> = Record<string, unknown>> {
  /** The backend's name, as in a vault entity's `name` (`hcv`, `aws` …). */
  readonly name: string;
  /** One sentence for docs and the Admin API's schema listing. */
  readonly description: string;
  /**
   * The vault entity's `config` for this backend. Credential fields carry `encrypted: true` (kept
   * through the keyring) and may carry `referenceable: true` (e.g. a Vault token from `env`).
   * Defaults are applied before `create` is called.
   */
  readonly configSchema: TObject;
  /** Whether `#<version>` means something to this backend; a versioned reference to one that has none is refused. */
  readonly supportsVersions: boolean;
  /**
   * Reference query options this backend accepts (`?prefix=` for env). An option that would send a
   * backend to another endpoint or use another credential must never be listed: references are
   * written by people who must not choose where secrets come from.
   */
  readonly referenceOptions: readonly string[];
  create(config: C, deps: VaultBackendDeps): VaultBackend;
}
