/**
 * The exit codes of every `portcullis` command, in one table (documented in docs/cli.md), and the
 * one mapping from a failure to its code and its line on stderr. Scripts branch on these codes, so
 * a code means the same thing for every command: a new failure picks the row it belongs to.
 */
import { CommanderError } from 'commander';
import { ConfigError } from '../config/load-config.js';
import { isPortcullisError } from '../errors/portcullis-error.js';

export const EXIT = {
  /** Done. */
  OK: 0,
  /** Usage or invalid input: unknown command or option, bad option value, invalid config, a 400 from the node. */
  USAGE: 1,
  /** What the command names does not exist: a key, a secret, a vault, a keyring key (a 404). */
  NOT_FOUND: 2,
  /** Something needed is unavailable: the database (missing or unreachable), the node, a vault, the keyring (a 5xx). */
  UNAVAILABLE: 3,
  /** Refused by the current state: a conflict (409), a name taken, a key in use, a rejected admin token, values left behind. */
  REFUSED: 4,
  /** The database has pending migrations (`migrate status`, and every command that needs a migrated database). */
  PENDING_MIGRATIONS: 5,
  /** A bug: an error no row above describes (please report it). */
  INTERNAL: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure of the command itself (bad input, missing database …), with its exit code. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.USAGE,
  ) {
    super(message);
  }
}

/** The exit code an HTTP status stands for (a PortcullisError, local or from the node). */
export function exitCodeOfStatus(status: number): ExitCode {
  if (status === 404) return EXIT.NOT_FOUND;
  if (status >= 500) return EXIT.UNAVAILABLE;
  if (status === 401 || status === 403 || status === 409 || status === 429) return EXIT.REFUSED;
  return EXIT.USAGE;
}

/**
 * The code and the stderr line of a failure; null for what is not a known failure (a bug, which
 * the caller reports as INTERNAL with its message). Commander's own errors were already printed.
 */
export function describeFailure(err: unknown): { readonly code: ExitCode; readonly message: string | null } | null {
  if (err instanceof CliFailure) return { code: err.exitCode, message: err.message };
  if (err instanceof ConfigError) return { code: EXIT.USAGE, message: err.message };
  if (err instanceof CommanderError) return { code: err.exitCode === 0 ? EXIT.OK : EXIT.USAGE, message: null };
  if (isPortcullisError(err)) {
    const fields = (err.fields ?? []).map((f) => `\n  ${f.path}: ${f.message}`).join('');
    return { code: exitCodeOfStatus(err.status), message: `${err.code}: ${err.message}${fields}` };
  }
  return null;
}
