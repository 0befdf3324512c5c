/**
 * How a `portcullis keyring` command reaches the keyring it works on, and how it fails. With
 * `--admin-url` it is a RUNNING node's Admin API (admin-client.ts); without, the STOPPED node's
 * database and data folder, opened through the composition root's `openStoreParts` with the
 * node's config, so the CLI builds exactly the keyring manager a node builds. `runKeyringCommand`
 * opens the target once when the command asks for it (after checking its own input), closes it at
 * the end, and turns failures into one line on stderr and an exit code (exit-codes.ts).
 */
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { adminTokenProblem, createAdminClient, parseAdminUrl, remoteKeyringService, type AdminClient } from './admin-client.js';
import type { StoreParts } from '../node/store-parts.js';
import { loadResolvedConfig } from '../config/load-resolved-config.js';
import { CliFailure, EXIT } from './exit-codes.js';
import { openDatabase } from './open-database.js';
import { cliLogger } from './cli-logger.js';
import { report, type CliIo } from './run-command.js';
import type { KeyringService } from '../keyring/keyring-service.js';

export { CliFailure, EXIT };
export { PROCESS_IO, report, type CliIo } from './run-command.js';

/** The options every keyring command takes. */
export interface TargetOptions {
  config?: string;
  adminUrl?: string;
  adminTokenFile?: string;
  json?: boolean;
}

/** Bound on the small files a command reads: a key, a PEM, a token. */
export const MAX_SMALL_FILE = 64 * 1024;

export type OpenKeyring = () => Promise<KeyringService>;

/**
 * Runs one command: `work` checks its input, then calls `openKeyring` (the node's Admin API or the
 * stopped node's store parts, opened once and closed at the end). Failures become a message on
 * stderr and an exit code; a number `work` returns is the exit code.
 */
export async function runKeyringCommand(io: CliIo, options: TargetOptions, work: (openKeyring: OpenKeyring) => Promise<number | void>): Promise<void> {
  let close: (() => Promise<void>) | undefined;
  const openKeyring: OpenKeyring = async () => {
    const opened = options.adminUrl ? await openAdminApi(io, options) : await openStoppedNode(io, options);
    close = opened.close;
    return opened.keyring;
  };
  try {
    if (options.adminTokenFile && !options.adminUrl) throw new CliFailure('--admin-token-file needs --admin-url');
    const code = await work(openKeyring);
    if (code) io.setExitCode(code);
  } catch (err) {
    io.setExitCode(report(io, err));
  } finally {
    await close?.();
  }
}

async function openAdminApi(io: CliIo, options: TargetOptions): Promise<{ keyring: KeyringService; close(): Promise<void> }> {
  const client = await openAdminClient(io, options);
  return { keyring: remoteKeyringService(client), close: () => client.close() };
}

/** A client of the Admin API at `--admin-url`, with the token from `--admin-token-file` or PORTCULLIS_ADMIN_TOKEN. */
export async function openAdminClient(io: CliIo, options: Pick<TargetOptions, 'adminUrl' | 'adminTokenFile'>): Promise<AdminClient> {
  const parsed = parseAdminUrl(options.adminUrl!);
  if (!parsed.ok) throw new CliFailure(`--admin-url ${parsed.reason}`);
  const token = options.adminTokenFile
    ? (await readInput(options.adminTokenFile, 'admin token file', MAX_SMALL_FILE)).toString('utf8').trim()
    : io.env['PORTCULLIS_ADMIN_TOKEN'];
  const problem = token === undefined ? null : adminTokenProblem(token);
  if (problem) throw new CliFailure(`the admin token (${options.adminTokenFile ?? 'PORTCULLIS_ADMIN_TOKEN'}) ${problem}`);
  if (parsed.cleartextRemote && token !== undefined) {
    io.stderr.write('portcullis: warning: the admin token is sent over plain http to another host; use https\n');
  }
  return createAdminClient({ url: parsed.url, token });
}

async function openStoppedNode(io: CliIo, options: TargetOptions): Promise<{ keyring: KeyringService; close(): Promise<void> }> {
  const parts = await openStoppedNodeParts(io, options);
  return { keyring: parts.keyring, close: () => parts.close() };
}

/** The store parts of a stopped node (its database and data folder), with the node's config. */
export async function openStoppedNodeParts(io: CliIo, options: Pick<TargetOptions, 'config'>): Promise<StoreParts> {
  const { config } = await loadResolvedConfig({ file: options.config, env: io.env });
  return openDatabase({ config, env: io.env, logger: cliLogger(io.stderr), migrations: 'require' });
}

/** Reads a file the user named, bounded, with a message that says which file failed. */
export async function readInput(path: string, what: string, maxBytes: number): Promise<Buffer> {
  try {
    if ((await stat(path)).size > maxBytes) throw new CliFailure(`the ${what} ${path} is larger than ${maxBytes} bytes`);
    return await readFile(path);
  } catch (err) {
    if (err instanceof CliFailure) throw err;
    throw new CliFailure(`cannot read the ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Creates `path` for writing, exclusively and readable by its owner only. */
export async function createPrivateFile(path: string) {
  try {
    const handle = await open(path, 'wx', 0o600);
    return { handle, remove: () => unlink(path).catch(() => undefined) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliFailure(
      code === 'EEXIST' ? `${path} exists: choose a new file (an export is never written over another file)` : `cannot create ${path}: ${code}`,
      code === 'EEXIST' ? EXIT.REFUSED : EXIT.USAGE,
    );
  }
}
