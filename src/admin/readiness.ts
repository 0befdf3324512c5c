/**
 * Whether a node is ready to take traffic, and if not, why: the verdict behind `/status/ready`.
 * A node is ready only when its configuration is loaded, its database takes writes, it holds
 * every keyring key the database uses, and its event stream is in place (connected and caught up
 * after the last (re)connect): a node that may have missed a revocation must not be ready.
 *
 * The cause names a code or a state, never a file path, host or secret: the probe is public.
 */
import type { PortcullisError } from '../errors/portcullis-error.js';

/** What readiness is computed from; each input is read fresh at every probe. */
export interface ReadinessInputs {
  /** The node has loaded its configuration and its proxy listens. */
  readonly loaded: boolean;
  /** Why a write would fail now, or null. */
  readonly storage: PortcullisError | null;
  /** Why the keyring is incomplete, or null (also null when there is no keyring to check). */
  readonly keyring: PortcullisError | null;
  /** The event bus's state, or null when the node runs without one (tests of the Admin API alone). */
  readonly events: { readonly connected: boolean; readonly caughtUp: boolean } | null;
}

/** Null when ready; otherwise the public reason, the first failing input in the order above. */
export function notReadyCause(inputs: ReadinessInputs): string | null {
  if (!inputs.loaded) return 'The node has not loaded its configuration yet';
  if (inputs.storage) return storageCause(inputs.storage);
  if (inputs.keyring) return `The keyring is incomplete (${inputs.keyring.code})`;
  if (inputs.events && !inputs.events.connected) return 'The cluster event stream is not connected: changes made by other nodes may be missed';
  if (inputs.events && !inputs.events.caughtUp) return 'The node is catching up on cluster events after a (re)connect';
  return null;
}

/** The cause's code, never its message (which names the database file or host). */
function storageCause(problem: PortcullisError): string {
  if (problem.code === 'PC_STORE_FULL') return 'The database storage is full (PC_STORE_FULL)';
  if (problem.code === 'PC_STORE_READ_ONLY') return 'The database is read-only (PC_STORE_READ_ONLY)';
  return 'The database is not reachable or cannot take writes (PC_STORE_UNAVAILABLE)';
}
