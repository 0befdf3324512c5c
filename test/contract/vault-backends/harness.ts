/**
 * What each backend gives the shared backend contract suite (`../vault-backend.contract.test.ts`):
 * a file `<name>.harness.ts` in this folder whose default export is a `HarnessFactory`. The suite
 * finds the files itself, so adding a backend is adding its harness.
 *
 * A harness owns the backend's stand-in (a fake in `test/fakes/`, the real database for `store`, the
 * process environment for `env`) and makes backends configured against it.
 */
import type { VaultBackend, VaultBackendFactory } from '../../../src/secrets/vault-backend.js';

export interface BackendHarness {
  readonly factory: VaultBackendFactory;
  /** A backend with working credentials. */
  backend(): VaultBackend;
  /** A backend whose credentials the stand-in refuses (expect `unauthorized`); null when the backend has none (env). */
  backendWithBadCredentials(): VaultBackend | null;
  /** A backend pointed where nothing answers (expect `unavailable`); null when the backend has no address (env). */
  backendUnreachable(): VaultBackend | null;
  /**
   * Stores `value` (text) as the secret named `resource`, as a new version when it exists, and
   * returns that version as `#<version>` would name it (undefined for unversioned backends).
   * Map-shaped backends (Vault KV) store `{"value": <value>}`: see `decode`.
   */
  write(resource: string, value: string): Promise<string | undefined>;
  /** Turns a read's text back into what `write` was given (identity, or `JSON.parse(v).value` for maps). */
  decode(read: string): string;
  /** A resource name valid for this backend, unique per call (`contract/secret-1`). */
  resource(): string;
  /** A version that cannot exist, in this backend's syntax (`999999`, a random UUID …). */
  readonly missingVersion?: string;
  /** Makes the stand-in stop answering (requests hang) until called with false; null if it cannot. */
  hang: ((on: boolean) => void) | null;
  /** Credentials and tokens the harness configured: none may appear in an error message. */
  readonly credentials: readonly string[];
  close(): Promise<void>;
}

export type HarnessFactory = () => Promise<BackendHarness>;
