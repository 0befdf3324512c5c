/**
 * `portcullis apikeys generate | list | show | regenerate | revoke | import`: the key lifecycle from a shell
 * (`import`, the bulk load of a file of keys, is in apikeys-import.ts).
 * The commands work on the database directly, through the same service as the Admin API; a
 * running node learns of the change from `cluster_events` within `cluster_poll_interval`.
 * Keys are shown masked; a key's value is printed once, by generate and regenerate.
 */
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { loadConfigOrFail, withConfigOption } from '../config-option.js';
import { cliLogger } from '../cli-logger.js';
import { openDatabase } from '../open-database.js';
import { CliFailure, PROCESS_IO, printJson, runCommand, type CliIo } from '../run-command.js';
import { createApiKeyService, type ApiKeyService, type OwnerRef } from '../../apikeys/lifecycle/api-key-service.js';
import { toApiKeyView } from '../../apikeys/lifecycle/api-key-view.js';
import { parseDuration } from '../duration.js';
import { registerApiKeysImportCommand } from './apikeys-import.js';

/** The statuses `list --status` accepts, as the Admin API's `?status=`. */
export const KEY_STATUSES = ['active', 'revoked', 'expired'] as const;

interface OwnerOptions {
  config?: string;
  service?: string;
  consumer?: string;
  json?: boolean;
}

export function registerApiKeysCommand(program: Command, io: CliIo = PROCESS_IO): void {
  const apikeys = program.command('apikeys').description('Generate, list, show, regenerate, revoke and import API keys');
  const withService = (options: OwnerOptions, fn: (keys: ApiKeyService) => Promise<void>) => runWithService(io, options, fn);
  const owned = (cmd: Command) =>
    withConfigOption(cmd)
      .option('-s, --service <service>', 'the service (id or name) the key belongs to')
      .option('-u, --consumer <consumer>', 'the consumer (id or username) the key belongs to')
      .option('--json', 'print JSON');

  owned(apikeys.command('generate').description('Generate a key; its value is printed once'))
    .option('-n, --name <name>', 'a slug naming the key (generated when absent)')
    .option('--display-name <text>', 'a human name')
    .option('--for-consumer <consumer>', 'the consumer a service key identifies')
    .option('--expires-in <duration>', 'e.g. 3600s, 90m, 12h, 30d, 4w', parseDurationOption)
    .option('--issuer <name>', 'a local issuer (default: the first local issuer)')
    .action((options: OwnerOptions & { name?: string; displayName?: string; forConsumer?: string; expiresIn?: number; issuer?: string }) =>
      withService(options, async (keys) => {
        const result = await keys.create(
          owner(options),
          {
            ...(options.name ? { name: options.name } : {}),
            ...(options.displayName ? { display_name: options.displayName } : {}),
            ...(options.forConsumer ? { consumer: options.forConsumer } : {}),
            ...(options.expiresIn ? { expires_in: { unit: 'seconds' as const, duration: options.expiresIn } } : {}),
            ...(options.issuer ? { issuer: options.issuer } : {}),
          },
          { protectedConnection: true },
        );
        printKey(io, options, toApiKeyView(result.record, keys.nowSeconds()), result.plaintext?.reveal());
      }),
    );

  owned(apikeys.command('list').description("List keys (masked): every key without --service/--consumer, else that owner's"))
    .addOption(new Option('--status <status>', 'only keys with this status').choices(KEY_STATUSES))
    .option('--issuer <name>', 'only keys of this issuer')
    .action((options: OwnerOptions & { status?: 'active' | 'revoked' | 'expired'; issuer?: string }) =>
      withService(options, async (keys) => {
        const rows = [];
        let offset: string | undefined;
        do {
          const page = await keys.list({
            // With an owner: the keys it owns (a consumer's own, not its service keys); without: every key, service keys included.
            ...(options.service || options.consumer ? { owner: owner(options), owned: true } : {}),
            size: 1000,
            ...(offset ? { offset } : {}),
            ...(options.status ? { status: options.status } : {}),
            ...(options.issuer ? { issuer: options.issuer } : {}),
          });
          rows.push(...page.data.map((r) => toApiKeyView(r, keys.nowSeconds())));
          offset = page.offset ?? undefined;
        } while (offset);
        if (options.json) return printJson(io, rows);
        io.stdout.write(`${['NAME', 'KEY', 'STATUS', 'ISSUER', 'EXPIRES', 'LAST USED'].join('\t')}\n`);
        for (const r of rows) io.stdout.write(`${[r.name, r.masked_key, r.status, r.issuer, r.expires_at ?? 'never', r.last_used_at ?? '-'].join('\t')}\n`);
      }),
    );

  owned(apikeys.command('show').description('Show one key (masked) of a service or consumer').argument('<name>', 'the key name or id')).action(
    (name: string, options: OwnerOptions) =>
      withService(options, async (keys) => {
        const view = toApiKeyView(await keys.get(owner(options), name), keys.nowSeconds());
        if (options.json) return printJson(io, view);
        for (const [field, value] of Object.entries(view))
          io.stdout.write(`${field}:\t${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}\n`);
      }),
  );

  owned(apikeys.command('regenerate').description('Replace the secret of a key; the new value is printed once').argument('<name>', 'the key name'))
    .option('--grace-period <duration>', 'how long the old value keeps working (e.g. 300s, 1h)', parseDurationOption)
    .action((name: string, options: OwnerOptions & { gracePeriod?: number }) =>
      withService(options, async (keys) => {
        const result = await keys.regenerate(owner(options), name, options.gracePeriod ? { grace_period: options.gracePeriod } : {});
        printKey(io, options, toApiKeyView(result.record, keys.nowSeconds()), result.plaintext?.reveal());
      }),
    );

  owned(apikeys.command('revoke').description('Revoke a key (succeeds for unknown keys too)').argument('<name>', 'the key name')).action(
    (name: string, options: OwnerOptions) =>
      withService(options, async (keys) => {
        await keys.revoke(owner(options), name);
        if (options.json) printJson(io, { revoked: name });
        else io.stderr.write(`revoked ${name} (if it existed)\n`);
      }),
  );

  registerApiKeysImportCommand(apikeys, io);
}

function parseDurationOption(value: string): number {
  const seconds = parseDuration(value);
  if (seconds === null) throw new InvalidArgumentError('use a number with a unit: s, m, h, d or w (e.g. 30d)');
  return seconds;
}

function owner(options: OwnerOptions): OwnerRef {
  if (Boolean(options.service) === Boolean(options.consumer)) throw new CliFailure('give exactly one of --service or --consumer');
  return { ...(options.service ? { service: options.service } : {}), ...(options.consumer ? { consumer: options.consumer } : {}) };
}

function printKey(io: CliIo, options: OwnerOptions, view: ReturnType<typeof toApiKeyView>, plaintext: string | undefined): void {
  if (options.json) printJson(io, { ...view, ...(plaintext ? { api_key: plaintext } : {}) });
  else {
    io.stdout.write(`name:     ${view.name}\nkey id:   ${view.key_id}\nexpires:  ${view.expires_at ?? 'never'}\n`);
    if (view.grace_until) io.stdout.write(`old value works until ${view.grace_until}\n`);
    if (plaintext) io.stdout.write(`api key:  ${plaintext}\n`);
  }
  if (plaintext) io.stderr.write('Store this key now: it is not stored here and cannot be shown again.\n');
}

/** Opens the store (refusing a missing or unmigrated database), runs `fn`, reports failures with their exit code. */
function runWithService(io: CliIo, options: OwnerOptions, fn: (keys: ApiKeyService) => Promise<void>): Promise<void> {
  return runCommand(io, async (defer) => {
    const config = await loadConfigOrFail(io, options);
    const parts = await openDatabase({ config, env: io.env, logger: cliLogger(io.stderr), migrations: 'require' });
    defer(() => parts.close());
    await fn(createApiKeyService({ store: parts.store, config: config.api_keys, issuers: parts.issuers, hashers: parts.keyHashers }));
  });
}
