/**
 * `portcullis vault …`: the secrets side of the CLI.
 *
 *   vault get <reference> [--show]   resolves one reference with the node's config and database
 *                                     (a stopped node's, or a running node's: it only reads); prints
 *                                     its size and a SHA-256 fingerprint, the value only with --show
 *   vault list                        the vaults: the built-in env, the config file's, the database's
 *   vault references --admin-url …    a RUNNING node's references in use and their health
 *
 * Exit codes (exit-codes.ts): 1 malformed reference or invalid config; 2 unknown vault or secret
 * not found; 3 vault, node or database unavailable.
 */
import { createHash } from 'node:crypto';
import { Option, type Command } from 'commander';
import { withConfigOption } from '../config-option.js';
import { openAdminClient, openStoppedNodeParts } from '../run-keyring-command.js';
import { CliFailure, PROCESS_IO, printJson, runCommand, type CliIo } from '../run-command.js';
import type { ReferenceHealth } from '../../secrets/secret-resolver.js';
import { isVaultReference } from '../../secrets/reference.js';

const STATUSES = ['resolved', 'stale', 'failing', 'unresolvable'];

export function registerVaultCommand(program: Command, io: CliIo = PROCESS_IO): void {
  const vault = program.command('vault').description('Resolve vault references and list vaults and the references in use');
  const out = (text: string) => void io.stdout.write(`${text}\n`);

  withConfigOption(vault.command('get').description('Resolve one reference (its value is printed only with --show)'))
    .argument('<reference>', 'a reference, e.g. {vault://hcv/db/creds/password}')
    .option('--show', 'print the value itself (it may end up in your terminal history or logs)')
    .option('--json', 'print JSON: {reference, bytes, sha256} (and value with --show)')
    .action((reference: string, options: { config?: string; show?: boolean; json?: boolean }) =>
      runCommand(io, async (defer) => {
        if (!isVaultReference(reference)) throw new CliFailure(`${String(reference).slice(0, 100)} is not a vault reference ({vault://<prefix>/<resource>…})`);
        const parts = await openStoppedNodeParts(io, options);
        defer(() => parts.close());
        // An unknown prefix is PC_VAULT_UNKNOWN (not found), a malformed one PC_VAULT_UNRESOLVED (invalid input).
        const value = await parts.secrets.resolve(reference);
        const sha256 = createHash('sha256').update(value).digest('hex').slice(0, 16);
        const bytes = Buffer.byteLength(value);
        if (options.json) return printJson(io, { reference, bytes, sha256, ...(options.show ? { value } : {}) });
        if (options.show) out(value);
        else out(`${reference}: resolved, ${bytes} bytes, sha256:${sha256} (--show prints it)`);
      }),
    );

  withConfigOption(vault.command('list').description('List the vaults: prefix, backend, where it is defined, cache settings'))
    .option('--json', 'print JSON')
    .action((options: { config?: string; json?: boolean }) =>
      runCommand(io, async (defer) => {
        const parts = await openStoppedNodeParts(io, options);
        defer(() => parts.close());
        const vaults = parts.secrets.vaults
          .list()
          .map((v) => ({ prefix: v.definition.prefix, backend: v.factory.name, origin: v.definition.origin, ...v.settings }));
        if (options.json) return printJson(io, vaults);
        out(['PREFIX', 'BACKEND', 'DEFINED IN', 'TTL', 'NEG_TTL', 'RESURRECT_TTL'].join('\t'));
        for (const v of vaults) out([v.prefix, v.backend, v.origin, v.ttl, v.neg_ttl, v.resurrect_ttl].join('\t'));
      }),
    );

  vault
    .command('references')
    .description("List a running node's references in use and their health (never a value)")
    .option('--admin-url <url>', "the running node's Admin API", 'http://127.0.0.1:8001')
    .option('--admin-token-file <file>', 'file holding the admin token (default: $PORTCULLIS_ADMIN_TOKEN)')
    .addOption(new Option('--status <status>', 'only references with this status').choices(STATUSES))
    .option('--json', 'print JSON')
    .action((options: { adminUrl: string; adminTokenFile?: string; status?: string; json?: boolean }) =>
      runCommand(io, async (defer) => {
        const client = await openAdminClient(io, options);
        defer(() => client.close());
        const query = options.status ? `?status=${options.status}` : '';
        const { data } = await client.call<{ data: ReferenceHealth[] }>('GET', `/vaults/references${query}`);
        if (options.json) return printJson(io, data);
        out(['STATUS', 'REFERENCE', 'USED BY', 'LAST REFRESH', 'LAST ERROR'].join('\t'));
        for (const r of data) {
          const refreshed = r.last_refresh === null ? '-' : new Date(r.last_refresh * 1000).toISOString();
          out([r.status, r.reference, r.used_by.join(','), refreshed, r.last_error?.code ?? '-'].join('\t'));
        }
      }),
    );
}
