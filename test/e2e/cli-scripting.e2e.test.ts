/**
 * The real `portcullis` command as a script uses it (docs/cli.md): with --json every command that
 * prints data writes one JSON document on stdout and its messages on stderr; the exit codes follow
 * one table (0 ok, 1 usage, 2 not found, 3 unavailable, 4 refused, 5 pending migrations); a
 * missing database is named by its absolute path and never created by a read-only command; node
 * logs are pretty on request (and on a terminal), JSON otherwise.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { admin, BIN, onLines, runCli, startCliNode, writeConfig, type CliNode, type CliResult } from './support/cli.js';

const CLI_SECRET = 'cli-secret-value-5d1e9a';
const PG_PASSWORD = 'pg-password-never-shown-77c2';

describe('scripting the real CLI', () => {
  let node: CliNode;
  let file: string;
  let dir: string;
  const plaintexts: string[] = [];
  const cli = (args: readonly string[], env: Record<string, string> = {}) => runCli([...args, '--config', file], env);

  before(async () => {
    file = writeConfig();
    dir = dirname(file);
    node = await startCliNode(file);
    assert.equal((await admin(node, 'POST', '/services', { name: 'billing', url: 'http://127.0.0.1:9' })).status, 201);
    assert.equal((await admin(node, 'POST', '/consumers', { username: 'alice' })).status, 201);
  });
  after(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a command that must succeed with --json: stdout is one JSON document, nothing else. */
  async function json(args: readonly string[], env: Record<string, string> = {}, withConfig = true): Promise<{ body: any; res: CliResult }> {
    const res = withConfig ? await cli(args, env) : await runCli(args, env);
    assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
    assert.match(res.stdout, /^[[{][\s\S]*[\]}]\n$/, `${args.join(' ')} printed only JSON: ${res.stdout}`);
    return { body: JSON.parse(res.stdout), res };
  }

  describe('--json: one document on stdout, messages on stderr', () => {
    it('version', async () => {
      const { body } = await json(['version', '--json'], {}, false);
      assert.match(body.version, /^\d+\.\d+\.\d+/);
      assert.equal(body.node, process.versions.node);
    });

    it('config check, with every reference and never a secret', async () => {
      const { body, res } = await json(['config', 'check', '--json'], { PORTCULLIS_PG_PASSWORD: PG_PASSWORD });
      assert.equal(body.valid, true);
      assert.equal(body.file, file);
      assert.equal(body.config.pg_password, '[redacted]');
      assert.ok(!`${res.stdout}${res.stderr}`.includes(PG_PASSWORD));
    });

    it('config check of an invalid configuration: {valid: false, problems}, exit 1', async () => {
      const bad = writeConfig({ pg_port: 99999 });
      const res = await runCli(['config', 'check', '--json', '--config', bad]);
      assert.equal(res.code, 1);
      assert.deepEqual(JSON.parse(res.stdout), { valid: false, problems: [`pg_port: must be <= 65535 (from ${bad})`] });
      assert.match(res.stderr, /pg_port: must be <= 65535/);
    });

    it('migrate status and migrate up (up to date: said on stderr)', async () => {
      const status = await json(['migrate', 'status', '--json']);
      assert.equal(status.body.pending, 0);
      assert.ok(status.body.migrations.every((m: { applied: boolean; executed_at: string }) => m.applied && !Number.isNaN(Date.parse(m.executed_at))));
      assert.match(status.res.stderr, /database is up to date/);
      const up = await json(['migrate', 'up', '--json']);
      assert.deepEqual(up.body, { applied: [] });
      assert.match(up.res.stderr, /database is up to date/);
    });

    it('apikeys generate (the value once, the warning on stderr) for a service and a consumer', async () => {
      for (const owner of [
        ['--service', 'billing', '--name', 'svc-key'],
        ['--consumer', 'alice', '--name', 'own-key'],
      ]) {
        const { body, res } = await json(['apikeys', 'generate', ...owner, '--json']);
        assert.equal(body.name, owner[3]);
        assert.match(body.api_key, /^pcg_/);
        plaintexts.push(body.api_key);
        assert.match(res.stderr, /Store this key now/);
      }
    });

    it('apikeys list without an owner lists every key, service-owned ones included; with one, its keys', async () => {
      const all = await json(['apikeys', 'list', '--json']);
      assert.deepEqual(all.body.map((k: { name: string }) => k.name).sort(), ['own-key', 'svc-key']);
      const billing = await json(['apikeys', 'list', '--service', 'billing', '--json']);
      assert.deepEqual(
        billing.body.map((k: { name: string }) => k.name),
        ['svc-key'],
      );
      const active = await json(['apikeys', 'list', '--status', 'active', '--json']);
      assert.equal(active.body.length, 2);
      for (const res of [all.res, billing.res, active.res]) for (const p of plaintexts) assert.ok(!res.stdout.includes(p), 'a listing shows no key value');
    });

    it('apikeys show, regenerate and revoke', async () => {
      const shown = await json(['apikeys', 'show', 'svc-key', '--service', 'billing', '--json']);
      assert.equal(shown.body.name, 'svc-key');
      assert.equal(shown.body.api_key, undefined);
      for (const p of plaintexts) assert.ok(!shown.res.stdout.includes(p));
      const regenerated = await json(['apikeys', 'regenerate', 'svc-key', '--service', 'billing', '--json']);
      assert.match(regenerated.body.api_key, /^pcg_/);
      const revoked = await json(['apikeys', 'revoke', 'own-key', '--consumer', 'alice', '--json']);
      assert.deepEqual(revoked.body, { revoked: 'own-key' });
      const human = await cli(['apikeys', 'revoke', 'own-key', '--consumer', 'alice']);
      assert.equal(human.code, 0);
      assert.equal(human.stdout, '');
      assert.match(human.stderr, /revoked own-key/);
    });

    it('keyring status and usage, on the stopped-node path and through the running node', async () => {
      const stopped = await json(['keyring', 'status', '--json']);
      assert.ok(Array.isArray(stopped.body.keys));
      const running = await json(['keyring', 'status', '--json', '--admin-url', node.adminUrl], {}, false);
      assert.equal(running.body.active, stopped.body.active);
      const usage = await json(['keyring', 'usage', '--json']);
      assert.equal(typeof usage.body.plaintext, 'number');
    });

    it('keyring generate (the material once, the warning on stderr) and export', async () => {
      const generated = await json(['keyring', 'generate', '--json', '--admin-url', node.adminUrl], {}, false);
      assert.match(generated.body.id, /^[A-Za-z0-9]{8}$/);
      assert.match(generated.res.stderr, /only time the key material is shown/);
      assert.ok(!generated.res.stderr.includes(generated.body.key));
      const exported = await json(['keyring', 'export', '--json', '--admin-url', node.adminUrl], {}, false);
      assert.equal(typeof exported.body.data, 'string');
    });

    it('vault list, vault get (a fingerprint; the value only with --show) and vault references', async () => {
      const list = await json(['vault', 'list', '--json']);
      assert.deepEqual(
        list.body.map((v: { prefix: string }) => v.prefix),
        ['env'],
      );
      const got = await json(['vault', 'get', '{vault://env/cli-secret}', '--json'], { CLI_SECRET });
      assert.deepEqual(Object.keys(got.body).sort(), ['bytes', 'reference', 'sha256']);
      assert.equal(got.body.bytes, CLI_SECRET.length);
      assert.ok(!got.res.stdout.includes(CLI_SECRET));
      const shown = await json(['vault', 'get', '{vault://env/cli-secret}', '--show', '--json'], { CLI_SECRET });
      assert.equal(shown.body.value, CLI_SECRET);
      const references = await json(['vault', 'references', '--json', '--admin-url', node.adminUrl], {}, false);
      assert.ok(Array.isArray(references.body));
    });

    it('human output keeps data on stdout and messages on stderr', async () => {
      const res = await cli(['migrate', 'status']);
      assert.equal(res.code, 0);
      assert.match(res.stdout, /^applied {2}0001_core {2}\S+Z$/m);
      assert.doesNotMatch(res.stdout, /up to date/);
      assert.match(res.stderr, /database is up to date/);
    });
  });

  describe('exit codes', () => {
    const fresh = () => join(mkdtempSync(join(tmpdir(), 'portcullis-fresh-')), 'data', 'portcullis.db');
    const table: [number, string, () => Promise<CliResult>, RegExp][] = [
      [0, 'help', () => runCli(['--help']), /Usage: portcullis/],
      [1, 'an unknown command', () => runCli(['apikeys', 'lst']), /unknown command 'lst'/],
      [1, 'an unknown option', () => cli(['apikeys', 'list', '--colour']), /unknown option '--colour'/],
      [1, 'a typo in --status', () => cli(['apikeys', 'list', '--status', 'actve']), /Allowed choices are active, revoked, expired/],
      [
        1,
        'an unknown vault reference status',
        () => runCli(['vault', 'references', '--status', 'bogus', '--admin-url', node.adminUrl]),
        /Allowed choices are resolved, stale, failing, unresolvable/,
      ],
      [1, 'an unknown --log-format', () => cli(['start', '--log-format', 'xml']), /Allowed choices are auto, json, pretty/],
      [1, 'a bad duration', () => cli(['apikeys', 'generate', '--service', 'billing', '--expires-in', 'soon']), /use a number with a unit/],
      [1, 'no owner where one is needed', () => cli(['apikeys', 'show', 'svc-key']), /exactly one of --service or --consumer/],
      [1, 'an invalid configuration', () => runCli(['apikeys', 'list', '--config', writeConfig({ pg_port: 0 })]), /pg_port/],
      [1, 'a malformed vault reference', () => cli(['vault', 'get', 'not-a-reference']), /is not a vault reference/],
      [2, 'an unknown key', () => cli(['apikeys', 'show', 'nope', '--service', 'billing']), /PC_NOT_FOUND/],
      [2, 'an unknown owner', () => cli(['apikeys', 'list', '--service', 'nosuch']), /PC_NOT_FOUND/],
      [2, 'an unknown vault', () => cli(['vault', 'get', '{vault://nosuch/x}']), /no vault has the prefix "nosuch"/],
      [2, 'an unknown keyring key', () => runCli(['keyring', 'activate', 'Abcd1234', '--admin-url', node.adminUrl]), /PC_KEYRING_KEY_UNKNOWN/],
      [3, 'a missing database', () => runCli(['apikeys', 'list'], { PORTCULLIS_SQLITE_PATH: fresh() }), /no database at \/.*portcullis\.db/],
      [3, 'a node that is not running', () => runCli(['keyring', 'status', '--admin-url', 'http://127.0.0.1:9']), /cannot reach the Admin API/],
      [
        3,
        'an unreachable PostgreSQL',
        () =>
          runCli(['migrate', 'status'], {
            PORTCULLIS_DATABASE: 'postgres',
            PORTCULLIS_PG_PORT: '9',
            PORTCULLIS_PG_PASSWORD: PG_PASSWORD,
            PORTCULLIS_SQLITE_PATH: fresh(),
          }),
        /PostgreSQL database "portcullis" on 127\.0\.0\.1:9 \(user portcullis\).*PORTCULLIS_PG_HOST/,
      ],
      [4, 'a key name taken', () => cli(['apikeys', 'generate', '--service', 'billing', '--name', 'svc-key']), /PC_STORE_UNIQUE_VIOLATION/],
      [4, 'an export over an existing file', () => cli(['keyring', 'export', '--out', file]), /exists: choose a new file/],
      [4, 'removing the active key', () => removeActiveKey(), /PC_KEYRING_KEY_IN_USE/],
      [
        5,
        'pending migrations (migrate status)',
        () => runCli(['migrate', 'status'], { PORTCULLIS_SQLITE_PATH: emptyDatabase() }),
        /7 pending: run `portcullis migrate up`/,
      ],
      [5, 'pending migrations (apikeys list)', () => runCli(['apikeys', 'list', '--json'], { PORTCULLIS_SQLITE_PATH: emptyDatabase() }), /not migrated/],
    ];
    for (const [code, name, run, message] of table) {
      it(`${code} for ${name}`, async () => {
        const res = await run();
        assert.equal(res.code, code, res.stderr);
        assert.match(code === 0 ? res.stdout : res.stderr, message);
        if (code !== 0) assert.ok(!res.stdout.includes('portcullis:'), 'failures go to stderr');
        assert.ok(!`${res.stdout}${res.stderr}`.includes(PG_PASSWORD), 'no password in any output');
      });
    }

    function emptyDatabase(): string {
      const path = join(mkdtempSync(join(tmpdir(), 'portcullis-empty-')), 'portcullis.db');
      writeFileSync(path, '');
      return path;
    }

    async function removeActiveKey(): Promise<CliResult> {
      const { body } = await json(['keyring', 'status', '--json', '--admin-url', node.adminUrl], {}, false);
      return runCli(['keyring', 'remove', body.active, '--admin-url', node.adminUrl]);
    }
  });

  describe('read-only commands never create a data folder', () => {
    const commands: string[][] = [
      ['migrate', 'status'],
      ['apikeys', 'list'],
      ['apikeys', 'show', 'k', '--service', 'billing'],
      ['keyring', 'status'],
      ['keyring', 'usage'],
      ['keyring', 'export'],
      ['vault', 'list'],
      ['vault', 'get', '{vault://env/home}'],
    ];
    for (const args of commands) {
      it(`${args.join(' ')} on a fresh path exits 3, naming the absolute path and how to point elsewhere, and creates nothing`, async () => {
        const root = mkdtempSync(join(tmpdir(), 'portcullis-ro-'));
        const config = writeConfig({ sqlite_path: join(root, 'data', 'portcullis.db') }, root);
        const res = await runCli([...args, '--json', '--config', config]);
        assert.equal(res.code, 3, res.stderr);
        assert.equal(res.stdout, '');
        assert.ok(res.stderr.includes(`no database at ${join(root, 'data', 'portcullis.db')} (sqlite_path)`), res.stderr);
        assert.match(res.stderr, /--config <file>.*PORTCULLIS_SQLITE_PATH/);
        assert.equal(existsSync(join(root, 'data')), false, 'the data folder was created');
        rmSync(root, { recursive: true, force: true });
      });
    }

    it('config check touches no database either', async () => {
      const root = mkdtempSync(join(tmpdir(), 'portcullis-ro-'));
      const res = await runCli(['config', 'check', '--json', '--config', writeConfig({ sqlite_path: join(root, 'data', 'portcullis.db') }, root)]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(existsSync(join(root, 'data')), false);
      rmSync(root, { recursive: true, force: true });
    });
  });

  describe('node logs', () => {
    /** Starts a node with `args`, resolves with its stdout up to the started line, then stops it. */
    async function startedLine(args: string[], env: Record<string, string> = {}): Promise<string> {
      const config = writeConfig({ admin_token: 'admin-token-for-log-format-0123456789' });
      const child = spawn(process.execPath, [BIN, 'start', '--config', config, ...args], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      try {
        return await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no started line within 60 s')), 60_000);
          onLines(child.stdout!, (line) => {
            if (!line.includes('portcullis started')) return;
            clearTimeout(timer);
            resolve(line);
          });
          void exited.then(() => reject(new Error('the node exited before starting')));
        });
      } finally {
        child.kill('SIGTERM');
        await exited;
        rmSync(dirname(config), { recursive: true, force: true });
      }
    }

    it('are human-readable with --log-format pretty', async () => {
      const line = await startedLine(['--log-format', 'pretty']);
      assert.throws(() => JSON.parse(line));
      assert.match(line, /INFO.*portcullis started/);
    });

    it('are JSON when not on a terminal, and with PORTCULLIS_LOG_FORMAT=json', async () => {
      for (const env of [{}, { PORTCULLIS_LOG_FORMAT: 'json' }] as Record<string, string>[])
        assert.equal(JSON.parse(await startedLine([], env)).msg, 'portcullis started');
    });
  });
});
