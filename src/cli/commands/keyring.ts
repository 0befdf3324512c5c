/**
 * `portcullis keyring status | usage | generate | activate | export | import | import-raw |
 * recover | remove | rewrap`: the keyring from a shell, in two modes, one set of commands written
 * against KeyringService:
 * - with `--admin-url`, through a RUNNING node's Admin API (admin-client.ts). A node holds its
 *   keyring in memory, so while it runs this is the mode that changes what it uses;
 * - without it, on a STOPPED node's database and data folder, through the composition root's
 *   `openStoreParts` (the keyring manager a node builds, with the same config).
 * Everything given on the command line (ids, files, URL, token) is checked before the database or
 * the node is touched. Key material is printed only where the operation exists to reveal it:
 * generate (once, with a warning) and export (RSA-wrapped).
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { withConfigOption } from '../config-option.js';
import { createProgressReporter } from '../progress-bar.js';
import {
  CliFailure,
  EXIT,
  MAX_SMALL_FILE,
  PROCESS_IO,
  createPrivateFile,
  readInput,
  runKeyringCommand,
  type CliIo,
  type TargetOptions,
} from '../run-keyring-command.js';
import { isKeyId } from '../../keyring/keyring.js';
import type { KeyringService, KeyringStatus, KeyringUsage, RewrapProgress } from '../../keyring/keyring-service.js';

/** How often `rewrap` asks for progress. */
export const REWRAP_POLL_MS = 500;
/** Bound on an export file. */
const MAX_EXPORT_FILE = 2 * 1024 * 1024;

const MODES_HELP = `
Two modes:
  --admin-url <url>  works through a RUNNING node's Admin API (token from --admin-token-file or
                     PORTCULLIS_ADMIN_TOKEN). Use it whenever a node runs: a node keeps its
                     keyring in memory and would not see changes made to its database.
  (no --admin-url)   works on a STOPPED node's database and data folder, with the node's config
                     (--config and PORTCULLIS_* variables).

Exit codes: 0 done; 1 bad input or invalid config; 2 unknown key; 3 node, database or keyring
unavailable; 4 refused (key in use, file exists), or a rewrap or recovery left values or keys
behind; 5 the database has pending migrations. See docs/cli.md.`;

export function registerKeyringCommand(program: Command, io: CliIo = PROCESS_IO): void {
  const keyring = program
    .command('keyring')
    .description('Manage the keyring that encrypts sensitive fields at rest (on a stopped node, or a running one with --admin-url)')
    .addHelpText('after', MODES_HELP);
  const target = (cmd: Command) =>
    withConfigOption(cmd)
      .option('--admin-url <url>', "call a RUNNING node's Admin API (e.g. http://127.0.0.1:8001) instead of opening a stopped node's database")
      .option('--admin-token-file <file>', 'file holding the admin token (default: $PORTCULLIS_ADMIN_TOKEN)')
      .option('--json', 'print JSON')
      .addHelpText('after', MODES_HELP);
  const out = (text: string) => void io.stdout.write(`${text}\n`);
  const json = (value: unknown) => out(JSON.stringify(value, null, 2));

  target(keyring.command('status').description('Show the keys (ids, check values, counts), the active key and any missing key')).action(
    (options: TargetOptions) =>
      runKeyringCommand(io, options, async (openKeyring) => {
        const status = await (await openKeyring()).status();
        if (options.json) return json(status);
        out(formatStatus(status));
      }),
  );

  target(keyring.command('usage').description('Count the stored values each key encrypts, by entity')).action((options: TargetOptions) =>
    runKeyringCommand(io, options, async (openKeyring) => {
      const usage = await (await openKeyring()).usage();
      if (options.json) return json(usage);
      out(formatUsage(usage));
    }),
  );

  target(keyring.command('generate').description('Make a new key (not active); its material is printed once')).action((options: TargetOptions) =>
    runKeyringCommand(io, options, async (openKeyring) => {
      const generated = await (await openKeyring()).generate();
      if (options.json) json(generated);
      else out(`id:   ${generated.id}\nkey:  ${generated.key}`);
      io.stderr.write(
        `This is the only time the key material is shown: if you need a copy, store it now, secretly (exports carry it too, wrapped). ` +
          `The key is not active yet: portcullis keyring activate ${generated.id}\n`,
      );
    }),
  );

  target(keyring.command('activate').description('Make a held key the one new values are encrypted with'))
    .argument('<id>', 'the key id', parseKeyId)
    .action((id: string, options: TargetOptions) =>
      runKeyringCommand(io, options, async (openKeyring) => {
        await (await openKeyring()).activate(id);
        if (options.json) return json({ active: id });
        out(`${id} is now the active key: run \`portcullis keyring rewrap\` to re-encrypt older values with it`);
      }),
    );

  target(keyring.command('export').description('Write the keyring wrapped under keyring_public_key (to --out with mode 0600, or stdout)'))
    .option('-o, --out <file>', 'a new file to write the export to (refused if it exists)')
    .action((options: TargetOptions & { out?: string }) =>
      runKeyringCommand(io, options, async (openKeyring) => {
        // Created first (exclusive, 0600), so a taken path fails before anything is exported.
        const file = options.out ? await createPrivateFile(options.out) : undefined;
        try {
          const { data } = await (await openKeyring()).exportKeyring();
          if (!file) return options.json ? json({ data }) : out(data);
          await file.handle.writeFile(`${data}\n`);
          await file.handle.close();
          if (options.json) return json({ out: options.out });
          out(`keyring exported to ${options.out}`);
        } catch (err) {
          await file?.handle.close().catch(() => undefined);
          await file?.remove();
          throw err;
        }
      }),
    );

  target(keyring.command('import').description('Merge an export into the keyring (needs keyring_private_key); never removes a key'))
    .argument('<file>', 'the export (as written by `keyring export`, or the JSON the Admin API returned)')
    .option('--activate', "also make the export's active key the active one")
    .action((path: string, options: TargetOptions & { activate?: boolean }) =>
      runKeyringCommand(io, options, async (openKeyring) => {
        const data = parseExportFile(await readInput(path, 'export file', MAX_EXPORT_FILE));
        const result = await (await openKeyring()).importKeyring(data, { activate: options.activate === true });
        if (options.json) return json(result);
        out(`imported: ${listOrNone(result.imported)}\nalready held: ${listOrNone(result.existing)}`);
      }),
    );

  target(keyring.command('import-raw').description('Add one key given as an id and its 32 bytes of material'))
    .requiredOption('--id <id>', 'the key id', parseKeyId)
    .requiredOption('--key-file <file>', 'file holding the key: 32 raw bytes, or their base64')
    .action((options: TargetOptions & { id: string; keyFile: string }) =>
      runKeyringCommand(io, options, async (openKeyring) => {
        const key = parseRawKeyFile(await readInput(options.keyFile, 'key file', MAX_SMALL_FILE));
        await (await openKeyring()).importRaw({ id: options.id, key });
        if (options.json) return json({ imported: options.id });
        out(`imported ${options.id}`);
      }),
    );

  target(keyring.command('recover').description("Restore keys from the database's recovery copy with the recovery private key"))
    .requiredOption('--private-key <file>', 'the PEM private key matching keyring_recovery_public_key')
    .action((options: TargetOptions & { privateKey: string }) =>
      runKeyringCommand(io, options, async (openKeyring) => {
        const pem = (await readInput(options.privateKey, 'private key file', MAX_SMALL_FILE)).toString('utf8');
        if (!pem.includes('-----BEGIN ')) throw new CliFailure(`${options.privateKey} is not a PEM file`);
        const result = await (await openKeyring()).recover(pem);
        if (options.json) json(result);
        else out(`recovered: ${listOrNone(result.recovered)}\nnot recovered: ${listOrNone(result.not_recovered)}`);
        if (result.not_recovered.length === 0) return 0;
        io.stderr.write(`portcullis: ${result.not_recovered.length} keys are not in the recovery copy or do not open with this private key\n`);
        return EXIT.REFUSED;
      }),
    );

  target(keyring.command('remove').description('Remove a key: refused while it is active or stored values use it, unless --force'))
    .argument('<id>', 'the key id', parseKeyId)
    .option('--force', 'remove it even while stored values use it: those values become unreadable')
    .action((id: string, options: TargetOptions & { force?: boolean }) =>
      runKeyringCommand(io, options, async (openKeyring) => {
        await (await openKeyring()).remove(id, { force: options.force === true });
        if (options.json) return json({ removed: id });
        out(`removed ${id}`);
      }),
    );

  target(keyring.command('rewrap').description('Re-encrypt every stored value with the active key, showing progress until done'))
    .option('--no-wait', 'start it and return (with --admin-url only: the node carries on)')
    .action((options: TargetOptions & { wait: boolean }) =>
      runKeyringCommand(io, options, async (openKeyring) => {
        if (!options.wait && !options.adminUrl) throw new CliFailure('--no-wait needs --admin-url: without it the rewrap runs in this process');
        const keyring = await openKeyring();
        if (!options.wait) {
          const started = await keyring.startRewrap();
          if (options.json) return json(started);
          out(`rewrap ${started.status} on the node (${started.total} values, key ${started.target_key ?? '-'}): follow it with \`portcullis keyring rewrap\``);
          return 0;
        }
        return followRewrap(io, keyring, options.json === true);
      }),
    );
}

/** commander argument parser: an 8-character key id. */
export function parseKeyId(value: string): string {
  if (!isKeyId(value)) throw new InvalidArgumentError('a key id is 8 characters of A-Z, a-z, 0-9');
  return value;
}

/** The key of an `import-raw` key file, as base64: 32 raw bytes, or their canonical base64 (one line). */
export function parseRawKeyFile(contents: Buffer): string {
  // 32 random bytes are all printable with odds of 1 in 10^14: 32 printable ones are a passphrase
  // or hex typed into a file, never key material, and are refused rather than taken as a weak key.
  if (contents.length === 32 && !/^[\x20-\x7e]*$/.test(contents.toString('latin1'))) return contents.toString('base64');
  const text = contents.toString('utf8').trim();
  const bytes = Buffer.from(text, 'base64');
  // Node's decoder skips what is not base64; only a text that encodes back to itself is a key.
  if (bytes.length === 32 && bytes.toString('base64') === text) return text;
  throw new CliFailure('the key file must hold 32 bytes of key material, raw or base64');
}

/** The export in an import file: the bare blob, or the `{"data": …}` JSON the Admin API returned. */
export function parseExportFile(contents: Buffer): string {
  const text = contents.toString('utf8').trim();
  if (text.startsWith('{')) {
    const data = (() => {
      try {
        return (JSON.parse(text) as { data?: unknown }).data;
      } catch {
        return undefined;
      }
    })();
    if (typeof data === 'string' && data.length > 0) return data;
    throw new CliFailure('the export file holds JSON without a "data" string');
  }
  if (text.length === 0) throw new CliFailure('the export file is empty');
  return text;
}

export function formatStatus(status: KeyringStatus): string {
  const incomplete = status.missing.length ? `no: this node lacks ${status.missing.join(', ')}` : 'no: no active key';
  const lines = [`strategy:  ${status.strategy}`, `active:    ${status.active ?? 'none'}`, `complete:  ${status.complete ? 'yes' : incomplete}`];
  if (status.keys.length === 0) return [...lines, 'no keys'].join('\n');
  lines.push(['ID', 'KCV', 'ACTIVE', 'HELD', 'ENCRYPTIONS', 'CREATED'].join('\t'));
  for (const k of status.keys) {
    lines.push([k.id, k.kcv, k.active ? 'yes' : '-', k.held ? 'yes' : 'no', String(k.encryptions), new Date(k.created_at * 1000).toISOString()].join('\t'));
  }
  return lines.join('\n');
}

export function formatUsage(usage: KeyringUsage): string {
  const lines = [['KEY', 'VALUES', 'BY ENTITY'].join('\t')];
  for (const [id, { total, by_entity }] of Object.entries(usage.keys)) {
    const entities = Object.entries(by_entity).map(([entity, n]) => `${entity}=${n}`);
    lines.push([id, String(total), entities.join(', ') || '-'].join('\t'));
  }
  lines.push(`plaintext values (written before encryption, encrypted on their next write): ${usage.plaintext}`);
  return lines.join('\n');
}

/**
 * What a finished rewrap means for the operator: the summary, why values failed (a key this node
 * lacks, else a failed integrity check), and the exit code (0 only when every value moved).
 */
export function rewrapOutcome(
  p: RewrapProgress,
  missingKeys: readonly string[],
): { readonly exitCode: typeof EXIT.OK | typeof EXIT.REFUSED; readonly summary: string; readonly problem?: string } {
  const summary = `rewrap ${p.status}: ${p.done} of ${p.total} values re-encrypted with ${p.target_key ?? 'the active key'}, ${p.failed} failed`;
  const why = missingKeys.length
    ? `they use keys this node does not hold (${missingKeys.join(', ')}): import or recover those keys, then run the rewrap again`
    : 'they fail their integrity check (tampered or damaged); the node’s log names them';
  if (p.status === 'failed') {
    return {
      exitCode: EXIT.REFUSED,
      summary,
      problem: `the rewrap stopped before the end; run it again to resume${p.failed ? `. ${p.failed} values failed: ${why}` : ''}`,
    };
  }
  if (p.failed > 0) return { exitCode: EXIT.REFUSED, summary, problem: `${p.failed} values could not be re-encrypted and were left as they are: ${why}` };
  return { exitCode: EXIT.OK, summary };
}

/** Starts (or joins) the rewrap and follows it every REWRAP_POLL_MS until it ends. */
async function followRewrap(io: CliIo, keyring: KeyringService, asJson: boolean): Promise<number> {
  const reporter = createProgressReporter({ stream: io.stderr, label: 'rewrap', now: () => io.now() });
  let progress = await keyring.startRewrap();
  while (progress.status === 'running') {
    reporter.update(progress);
    await io.sleep(REWRAP_POLL_MS);
    progress = await keyring.rewrapProgress();
  }
  reporter.finish(progress);
  const failedAny = progress.failed > 0 || progress.status === 'failed';
  const outcome = rewrapOutcome(progress, failedAny ? (await keyring.status()).missing : []);
  io.stdout.write(asJson ? `${JSON.stringify(progress, null, 2)}\n` : `${outcome.summary}\n`);
  if (outcome.problem) io.stderr.write(`portcullis: ${outcome.problem}\n`);
  return outcome.exitCode;
}

function listOrNone(ids: readonly string[]): string {
  return ids.length ? ids.join(', ') : 'none';
}
