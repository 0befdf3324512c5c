/**
 * `portcullis apikeys generate | list | regenerate | revoke`: the key lifecycle from a shell.
 * The commands work on the database directly, through the same service as the Admin API; a
 * running node learns of the change from `cluster_events` within `cluster_poll_interval`.
 */
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { loadConfigOrReport, withConfigOption } from '../config-option.js';
import { openStoreParts, PendingMigrationsError, type StoreParts } from '../../node/store-parts.js';
import { cliLogger } from '../cli-logger.js';
import { createApiKeyService, type ApiKeyService, type OwnerRef } from '../../apikeys/lifecycle/api-key-service.js';
import { toApiKeyView } from '../../apikeys/lifecycle/api-key-view.js';
import { isPortcullisError } from '../../errors/portcullis-error.js';
import { parseDuration } from '../duration.js';

interface OwnerOptions {
  config?: string;
  service?: string;
  consumer?: string;
  json?: boolean;
}

export function registerApiKeysCommand(program: Command): void {
  const apikeys = program.command('apikeys').description('Generate, list, regenerate and revoke API keys');
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
        printKey(options, toApiKeyView(result.record, keys.nowSeconds()), result.plaintext?.reveal());
      }),
    );

  owned(apikeys.command('list').description("List keys (masked): every key without --service/--consumer, else that owner's"))
    .addOption(new Option('--status <status>', 'only keys with this status').choices(['active', 'revoked', 'expired']))
    .option('--issuer <name>', 'only keys of this issuer')
    .action((options: OwnerOptions & { status?: 'active' | 'revoked' | 'expired'; issuer?: string }) =>
      withService(options, async (keys) => {
        const rows = [];
        let offset: string | undefined;
        do {
          const page = await keys.list({
            owner: owner(options, true),
            // With an owner: the keys it owns (a consumer's own, not its service keys); without: all keys.
            owned: Boolean(options.service || options.consumer),
            size: 1000,
            ...(offset ? { offset } : {}),
            ...(options.status ? { status: options.status } : {}),
            ...(options.issuer ? { issuer: options.issuer } : {}),
          });
          rows.push(...page.data.map((r) => toApiKeyView(r, keys.nowSeconds())));
          offset = page.offset ?? undefined;
        } while (offset);
        if (options.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        process.stdout.write(`${['NAME', 'KEY', 'STATUS', 'ISSUER', 'EXPIRES', 'LAST USED'].join('\t')}\n`);
        for (const r of rows)
          process.stdout.write(`${[r.name, r.masked_key, r.status, r.issuer, r.expires_at ?? 'never', r.last_used_at ?? '-'].join('\t')}\n`);
      }),
    );

  owned(apikeys.command('regenerate').description('Replace the secret of a key; the new value is printed once').argument('<name>', 'the key name'))
    .option('--grace-period <duration>', 'how long the old value keeps working (e.g. 300s, 1h)', parseDurationOption)
    .action((name: string, options: OwnerOptions & { gracePeriod?: number }) =>
      withService(options, async (keys) => {
        const result = await keys.regenerate(owner(options), name, options.gracePeriod ? { grace_period: options.gracePeriod } : {});
        printKey(options, toApiKeyView(result.record, keys.nowSeconds()), result.plaintext?.reveal());
      }),
    );

  owned(apikeys.command('revoke').description('Revoke a key (succeeds for unknown keys too)').argument('<name>', 'the key name')).action(
    (name: string, options: OwnerOptions) =>
      withService(options, async (keys) => {
        await keys.revoke(owner(options), name);
        process.stdout.write(options.json ? `${JSON.stringify({ revoked: name })}\n` : `revoked ${name} (if it existed)\n`);
      }),
  );
}

function parseDurationOption(value: string): number {
  const seconds = parseDuration(value);
  if (seconds === null) throw new InvalidArgumentError('use a number with a unit: s, m, h, d or w (e.g. 30d)');
  return seconds;
}

function owner(options: OwnerOptions, optional = false): OwnerRef {
  if (!optional && Boolean(options.service) === Boolean(options.consumer)) throw new UsageError('give exactly one of --service or --consumer');
  return { ...(options.service ? { service: options.service } : {}), ...(options.consumer ? { consumer: options.consumer } : {}) };
}

class UsageError extends Error {}

function printKey(options: OwnerOptions, view: ReturnType<typeof toApiKeyView>, plaintext: string | undefined): void {
  if (options.json) return void process.stdout.write(`${JSON.stringify({ ...view, ...(plaintext ? { api_key: plaintext } : {}) }, null, 2)}\n`);
  process.stdout.write(`name:     ${view.name}\nkey id:   ${view.key_id}\nexpires:  ${view.expires_at ?? 'never'}\n`);
  if (view.grace_until) process.stdout.write(`old value works until ${view.grace_until}\n`);
  if (plaintext) {
    process.stdout.write(`api key:  ${plaintext}\n`);
    process.stderr.write('Store this key now: it is not stored here and cannot be shown again.\n');
  }
}

/** Opens the store, refuses a database that is not migrated, runs `fn`, reports errors cleanly. */
async function withService(options: OwnerOptions, fn: (keys: ApiKeyService) => Promise<void>): Promise<void> {
  const config = await loadConfigOrReport(options);
  if (!config) return void (process.exitCode = 1);
  let parts: StoreParts | undefined;
  try {
    parts = await openStoreParts({ config, env: process.env, logger: cliLogger(), migrations: 'require' });
    const keys = createApiKeyService({ store: parts.store, config: config.api_keys, issuers: parts.issuers, hashers: parts.keyHashers });
    await fn(keys);
  } catch (err) {
    if (err instanceof UsageError || err instanceof PendingMigrationsError || isPortcullisError(err)) {
      process.stderr.write(`portcullis: ${isPortcullisError(err) ? `${err.code}: ` : ''}${err.message}\n`);
      process.exitCode = isPortcullisError(err) && err.status >= 500 ? 3 : 2;
      return;
    }
    throw err;
  } finally {
    await parts?.close();
  }
}
