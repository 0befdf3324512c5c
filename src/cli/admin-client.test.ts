/**
 * The admin client against a real Admin API on loopback (the `/keyring` routes over an in-memory
 * KeyringService, admin token required), and `portcullis keyring --admin-url …` end to end through
 * it: every command, its output, files and exit codes, and what a wrong URL, token or server does.
 */
import { describe, it, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { createAdminHarness, type AdminHarness } from '../../test/support/admin-harness.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createMemoryKeyringService, MEMORY_RECOVERY_PEM, type MemoryKeyringService } from '../../test/support/memory-keyring-service.js';
import { keyringRoutes } from '../admin/resources/keyring.js';
import type { KeyringService } from '../keyring/keyring-service.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import { AdminClientError, MAX_ANSWER_BYTES, adminTokenProblem, createAdminClient, parseAdminUrl, remoteKeyringService } from './admin-client.js';
import { registerKeyringCommand } from './commands/keyring.js';
import type { CliIo } from './run-keyring-command.js';

const TOKEN = 'cli-admin-token-0123456789-abcdefghijkl';

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** How long the command slept between progress polls, in total. */
  readonly slept: number;
}

/** Runs `portcullis keyring <args>` in this process with captured streams. */
async function cli(args: readonly string[], options: { env?: Record<string, string>; tty?: boolean } = {}): Promise<CliRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  let code = 0;
  let clock = 0;
  let slept = 0;
  const io: CliIo = {
    stdout: { write: (t: string) => stdout.push(t), isTTY: false },
    stderr: { write: (t: string) => stderr.push(t), isTTY: options.tty ?? false, columns: 100 },
    env: options.env ?? { PORTCULLIS_ADMIN_TOKEN: TOKEN },
    setExitCode: (c) => void (code = c),
    sleep: async (ms) => {
      slept += ms;
      clock += ms;
    },
    now: () => clock,
  };
  const program = new Command('portcullis').exitOverride().configureOutput({ writeOut: (s) => void stdout.push(s), writeErr: (s) => void stderr.push(s) });
  registerKeyringCommand(program, io);
  try {
    await program.parseAsync(['keyring', ...args], { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    code = err.exitCode;
  }
  return { code, stdout: stdout.join(''), stderr: stderr.join(''), slept };
}

/** A plain HTTP server answering every request with `answer`; records the headers it got. */
async function startStub(answer: (res: import('node:http').ServerResponse) => void): Promise<{ url: string; seen: IncomingHttpHeaders[]; server: Server }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    answer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

describe('admin client and `portcullis keyring --admin-url`', () => {
  let database: TestDatabase;
  let h: AdminHarness;
  let url: string;
  let svc: MemoryKeyringService;
  let dir: string;
  const keyring = new Proxy({} as KeyringService, {
    get: (_target, name) => (svc as unknown as Record<string | symbol, (...a: unknown[]) => unknown>)[name]!.bind(svc),
  });
  const at = (...args: string[]) => [...args, '--admin-url', url];
  const file = (name: string, contents: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, contents);
    return path;
  };

  before(async () => {
    database = await createTestDatabase('sqlite');
    h = await createAdminHarness(database, {
      config: { admin_token: TOKEN, admin_listen: '127.0.0.1:0' },
      extraRoutes: [keyringRoutes({ keyring })],
    });
    const { port } = await h.server.listen();
    url = `http://127.0.0.1:${port}`;
  });
  beforeEach(async () => {
    svc = createMemoryKeyringService();
    dir = mkdtempSync(join(tmpdir(), 'portcullis-keyring-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  after(async () => {
    await h.close();
    await database.drop();
  });

  describe('the client', () => {
    it('accepts http and https admin URLs, with a path prefix, and flags plain http to another host', () => {
      const cases: [string, boolean][] = [
        ['http://127.0.0.1:8001', false],
        ['http://localhost:8001/', false],
        ['http://[::1]:8001', false],
        ['https://gateway.example.com/admin/', false],
        ['http://10.0.0.5:8001', true],
        ['http://gateway.example.com', true],
      ];
      for (const [value, cleartextRemote] of cases) {
        const parsed = parseAdminUrl(value);
        assert.ok(parsed.ok, value);
        assert.equal(parsed.cleartextRemote, cleartextRemote, value);
      }
    });

    it('refuses admin URLs that are not http(s), carry credentials, a query or a fragment', () => {
      for (const value of [
        '127.0.0.1:8001',
        'ftp://127.0.0.1',
        'file:///etc/passwd',
        'http://admin:pw@127.0.0.1:8001',
        'http://127.0.0.1:8001/?token=x',
        'http://127.0.0.1:8001/#x',
        '',
      ]) {
        const parsed = parseAdminUrl(value);
        assert.equal(parsed.ok, false, value);
        if (!parsed.ok) assert.ok(!parsed.reason.includes('pw'), 'never quotes credentials');
      }
    });

    it('refuses empty, oversized and multi-line tokens', () => {
      assert.equal(adminTokenProblem(TOKEN), null);
      assert.equal(adminTokenProblem('a token with spaces inside it'), null);
      for (const token of ['', 'x'.repeat(513), 'line1\nline2', 'tab\there', 'nul\0']) assert.notEqual(adminTokenProblem(token), null, JSON.stringify(token));
    });

    it('calls the /keyring endpoints with the token and gives back the node’s answers', async () => {
      const client = createAdminClient({ url: new URL(url), token: TOKEN });
      try {
        const remote = remoteKeyringService(client);
        const { id, key } = await remote.generate();
        assert.equal(Buffer.from(key, 'base64').length, 32);
        await remote.activate(id);
        assert.equal((await remote.status()).active, id);
        await remote.importRaw({ id: 'Raw00001', key: Buffer.alloc(32, 1).toString('base64') });
        const exported = await remote.exportKeyring();
        assert.deepEqual(await remote.importKeyring(exported.data), { imported: [], existing: [id, 'Raw00001'] });
        await remote.remove('Raw00001', { force: false });
        assert.deepEqual((await remote.usage()).keys, {});
        assert.deepEqual(await remote.recover(MEMORY_RECOVERY_PEM), { recovered: [], not_recovered: [] });
        assert.equal((await remote.startRewrap()).status, 'running');
        assert.equal((await remote.rewrapProgress()).status, 'done');
      } finally {
        await client.close();
      }
    });

    it('turns the node’s errors back into PortcullisErrors with their code, message and fields', async () => {
      const client = createAdminClient({ url: new URL(url), token: TOKEN });
      try {
        const remote = remoteKeyringService(client);
        const cases: [() => Promise<unknown>, string, number][] = [
          [() => remote.activate('Unknown1'), 'PC_KEYRING_KEY_UNKNOWN', 404],
          [() => remote.activate('bad'), 'PC_VALIDATION_FAILED', 400],
          [() => remote.importKeyring('garbage'), 'PC_KEYRING_EXPORT_INVALID', 400],
          [() => remote.vaultSync(), 'PC_KEYRING_NOT_CONFIGURED', 400],
          [() => remote.startRewrap(), 'PC_KEYRING_EMPTY', 503],
        ];
        for (const [call, code, status] of cases) {
          await assert.rejects(call, (err: unknown) => err instanceof PortcullisError && err.code === code && err.status === status, code);
        }
        await assert.rejects(
          () => remote.activate('bad'),
          (err: unknown) => err instanceof PortcullisError && err.fields?.[0]?.path === 'key',
        );
        const unauthenticated = createAdminClient({ url: new URL(url), token: 'wrong-token-0123456789-0123456789' });
        await assert.rejects(
          () => remoteKeyringService(unauthenticated).status(),
          (err: unknown) => err instanceof PortcullisError && err.code === 'PC_ADMIN_UNAUTHORIZED',
        );
        await unauthenticated.close();
      } finally {
        await client.close();
      }
    });

    it('reports what is not the Admin API as AdminClientError: no listener, the proxy, a foreign server, a redirect, a huge answer', async () => {
      const stubs = await Promise.all([
        startStub((res) =>
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"code":"PC_PROXY_NO_ROUTE","message":"No route matched this request"}'),
        ),
        startStub((res) => res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>Internal Server Error</h1>')),
        startStub((res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('hello')),
        startStub((res) => res.writeHead(302, { location: 'http://127.0.0.1:9/steal' }).end()),
        startStub((res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          const chunk = Buffer.alloc(1024 * 1024, 0x20);
          for (let i = 0; i <= MAX_ANSWER_BYTES / chunk.length; i++) res.write(chunk);
          res.end('{}');
        }),
      ]);
      const closed = await startStub(() => undefined);
      await new Promise((resolve) => closed.server.close(resolve));
      const expectations: [string, RegExp][] = [
        [closed.url, /cannot reach the Admin API/],
        [stubs[0]!.url, /answered like the proxy/],
        [stubs[1]!.url, /answered 500 without a Portcullis error/],
        [stubs[2]!.url, /answered 200 without a Portcullis error/],
        [stubs[3]!.url, /answered 302 without a Portcullis error/],
        [stubs[4]!.url, /larger than/],
      ];
      try {
        for (const [base, message] of expectations) {
          const client = createAdminClient({ url: new URL(base), token: TOKEN });
          await assert.rejects(
            () => remoteKeyringService(client).status(),
            (err: unknown) => err instanceof AdminClientError && message.test(err.message) && !err.message.includes(TOKEN),
            base,
          );
          await client.close();
        }
        assert.equal(stubs[3]!.seen.length, 1, 'the redirect is not followed');
        assert.equal(stubs[0]!.seen[0]!['portcullis-admin-token'], TOKEN, 'the token goes in its own header');
      } finally {
        for (const stub of stubs) await new Promise((resolve) => stub.server.close(resolve));
      }
    });

    it('gives up after its timeout', async () => {
      const silent = await startStub(() => undefined);
      const client = createAdminClient({ url: new URL(silent.url), token: TOKEN, timeoutMs: 200 });
      try {
        await assert.rejects(() => remoteKeyringService(client).status(), AdminClientError);
      } finally {
        await client.close();
        silent.server.closeAllConnections();
        await new Promise((resolve) => silent.server.close(resolve));
      }
    });
  });

  describe('the CLI through a running node', () => {
    it('status: text and --json, with the token from PORTCULLIS_ADMIN_TOKEN or --admin-token-file', async () => {
      const { id } = await svc.generate();
      await svc.activate(id);
      const text = await cli(at('status'));
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, new RegExp(`^active: +${id}$`, 'm'));
      assert.match(text.stdout, /^complete: +yes$/m);
      const json = await cli(at('status', '--json', '--admin-token-file', file('token', `${TOKEN}\n`)), { env: {} });
      assert.equal(json.code, 0, json.stderr);
      assert.equal(JSON.parse(json.stdout).active, id);
    });

    it('generate prints the id and the key once on stdout and a warning on stderr; activate makes it active', async () => {
      const generated = await cli(at('generate'));
      assert.equal(generated.code, 0, generated.stderr);
      const [, id] = /^id: +([A-Za-z0-9]{8})$/m.exec(generated.stdout)!;
      const [, key] = /^key: +(\S+)$/m.exec(generated.stdout)!;
      assert.equal(Buffer.from(key!, 'base64').length, 32);
      assert.match(generated.stderr, /only time the key material is shown/);
      assert.ok(!generated.stderr.includes(key!), 'the key is on stdout only');
      assert.equal((await svc.status()).active, null, 'generate does not activate');
      const activated = await cli(at('activate', id!));
      assert.equal(activated.code, 0, activated.stderr);
      assert.equal((await svc.status()).active, id);
      const json = await cli(at('generate', '--json'));
      assert.deepEqual(Object.keys(JSON.parse(json.stdout)).sort(), ['id', 'key']);
    });

    it('export writes a new 0600 file, refuses an existing one, and import merges it (also from --json output)', async () => {
      const { id } = await svc.generate();
      await svc.activate(id);
      const out = join(dir, 'keyring.export');
      const exported = await cli(at('export', '--out', out));
      assert.equal(exported.code, 0, exported.stderr);
      assert.equal(statSync(out).mode & 0o777, 0o600);
      const blob = readFileSync(out, 'utf8').trim();
      assert.ok(!exported.stdout.includes(blob), 'the blob goes to the file only');
      const again = await cli(at('export', '--out', out));
      assert.equal(again.code, 4, 'refused: the file exists');
      assert.match(again.stderr, /exists/);
      assert.equal(readFileSync(out, 'utf8').trim(), blob, 'the existing file is untouched');

      const fromJson = file('export.json', (await cli(at('export', '--json'))).stdout);

      svc = createMemoryKeyringService();
      const imported = await cli(at('import', out));
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stdout, new RegExp(`^imported: ${id}$`, 'm'));
      assert.equal((await svc.status()).active, null, 'merging does not change the active key');
      const activated = await cli(at('import', fromJson, '--activate', '--json'));
      assert.deepEqual(JSON.parse(activated.stdout), { imported: [], existing: [id] });
      assert.equal((await svc.status()).active, id);
    });

    it('export leaves no file behind when the node refuses', async () => {
      const out = join(dir, 'refused.export');
      const refused = await cli(at('export', '--out', out), { env: { PORTCULLIS_ADMIN_TOKEN: 'wrong-token-0123456789-0123456789' } });
      assert.equal(refused.code, 4, 'refused: the token is rejected');
      assert.ok(!existsSync(out));
    });

    it('import-raw takes a key file of 32 raw bytes or base64', async () => {
      const raw = Buffer.alloc(32, 0xfb);
      assert.equal((await cli(at('import-raw', '--id', 'Raw00001', '--key-file', file('raw.key', raw)))).code, 0);
      assert.equal((await cli(at('import-raw', '--id', 'Raw00002', '--key-file', file('b64.key', `${raw.toString('base64')}\n`)))).code, 0);
      const status = await svc.status();
      assert.deepEqual(status.ids, ['Raw00001', 'Raw00002']);
      assert.equal(status.keys[0]!.kcv, status.keys[1]!.kcv, 'the same material both ways');
      const conflict = await cli(at('import-raw', '--id', 'Raw00001', '--key-file', file('other.key', Buffer.alloc(32, 1))));
      assert.equal(conflict.code, 4);
      assert.match(conflict.stderr, /^portcullis: PC_KEYRING_KEY_CONFLICT: /);
    });

    it('remove refuses a key in use with exit 4 saying how many values use it, and removes it with --force', async () => {
      const { id: active } = await svc.generate();
      await svc.activate(active);
      const { id: old } = await svc.generate();
      svc.addForeignValues(old, 'plugins', 17);
      const refused = await cli(at('remove', old));
      assert.equal(refused.code, 4);
      assert.match(refused.stderr, /PC_KEYRING_KEY_IN_USE: .*\b17\b/);
      const usage = await cli(at('usage'));
      assert.match(usage.stdout, new RegExp(`^${old}\\t17\\tplugins=17$`, 'm'));
      const forced = await cli(at('remove', old, '--force'));
      assert.equal(forced.code, 0, forced.stderr);
      assert.match(forced.stdout, new RegExp(`removed ${old}`));
    });

    it('recover exits 0 when every key came back, 4 naming how many did not, 1 for a key that is not the recovery key', async () => {
      const pem = file('recovery.pem', MEMORY_RECOVERY_PEM);
      const complete = await cli(at('recover', '--private-key', pem));
      assert.equal(complete.code, 0, complete.stderr);
      svc.addForeignValues('Lost0001', 'plugins', 1);
      const partial = await cli(at('recover', '--private-key', pem, '--json'));
      assert.equal(partial.code, 4);
      assert.deepEqual(JSON.parse(partial.stdout), { recovered: [], not_recovered: ['Lost0001'] });
      assert.match(partial.stderr, /1 keys are not in the recovery copy/);
      const wrong = await cli(at('recover', '--private-key', file('wrong.pem', '-----BEGIN PRIVATE KEY-----\nd3Jvbmc=\n-----END PRIVATE KEY-----\n')));
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /PC_KEYRING_EXPORT_INVALID/);
    });

    it('rewrap polls every 500 ms and, off a TTY, writes plain lines every few seconds and one at the end; exit 0', async () => {
      const { id: old } = await svc.generate();
      await svc.activate(old);
      svc.addForeignValues(old, 'basicauth_credentials', 1000);
      const { id: next } = await svc.generate();
      await svc.activate(next);
      svc.rewrapBatch = 50;
      const run = await cli(at('rewrap'));
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.slept, 20 * 500, 'one poll per 500 ms until done');
      const lines = run.stderr.trim().split('\n');
      assert.ok(lines.length >= 3 && lines.length <= 5, run.stderr);
      assert.match(lines[0]!, /^rewrap: 0\/1000 \(0%\), 0 failed/);
      assert.match(lines.at(-1)!, /^rewrap: 1000\/1000 \(100%\), 0 failed, .*ETA 0s$/);
      assert.ok(!run.stderr.includes('\r'));
      assert.equal(run.stdout, `rewrap done: 1000 of 1000 values re-encrypted with ${next}, 0 failed\n`);
      assert.equal((await cli(at('remove', old))).code, 0, 'the old key is unused after the rewrap');
    });

    it('rewrap draws one rewritten bar on a TTY', async () => {
      const { id } = await svc.generate();
      await svc.activate(id);
      svc.addForeignValues(id, 'plugins', 200);
      const run = await cli(at('rewrap'), { tty: true });
      assert.equal(run.code, 0, run.stderr);
      const frames = run.stderr.split('\r').filter(Boolean);
      assert.ok(frames.length >= 5, run.stderr);
      assert.match(frames.at(-1)!, /^rewrap \[#+\] 100%  200\/200  failed 0 .*\x1b\[K\n$/);
    });

    it('rewrap exits 4 when values failed, saying how many and that the node lacks their key', async () => {
      const { id } = await svc.generate();
      await svc.activate(id);
      svc.addForeignValues(id, 'plugins', 100);
      svc.addForeignValues('Lost0001', 'plugins', 3);
      svc.rewrapFailures = 3;
      const run = await cli(at('rewrap', '--json'));
      assert.equal(run.code, 4);
      const final = JSON.parse(run.stdout);
      assert.equal(final.failed, 3);
      assert.match(run.stderr, /3 values could not be re-encrypted .*keys this node does not hold \(Lost0001\)/);
    });

    it('rewrap --no-wait starts it on the node and returns', async () => {
      const { id } = await svc.generate();
      await svc.activate(id);
      svc.addForeignValues(id, 'plugins', 100);
      const run = await cli(at('rewrap', '--no-wait'));
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.slept, 0);
      assert.match(run.stdout, /rewrap running on the node \(100 values/);
      assert.equal((await svc.rewrapProgress()).status, 'running');
    });

    it('reports refusals, unknown keys and outages with the node’s code and exit 4, 2 or 3', async () => {
      const cases: [args: string[], env: Record<string, string>, code: number, stderr: RegExp][] = [
        [at('status'), { PORTCULLIS_ADMIN_TOKEN: 'wrong-token-0123456789-0123456789' }, 4, /PC_ADMIN_UNAUTHORIZED: The admin token is not valid/],
        [at('status'), {}, 4, /PC_ADMIN_UNAUTHORIZED: A valid admin token is required/],
        [at('activate', 'Unknown1'), { PORTCULLIS_ADMIN_TOKEN: TOKEN }, 2, /PC_KEYRING_KEY_UNKNOWN/],
        [at('rewrap'), { PORTCULLIS_ADMIN_TOKEN: TOKEN }, 3, /PC_KEYRING_EMPTY/],
        [['status', '--admin-url', 'http://127.0.0.1:9'], { PORTCULLIS_ADMIN_TOKEN: TOKEN }, 3, /cannot reach the Admin API at http:\/\/127\.0\.0\.1:9/],
      ];
      for (const [args, env, code, stderr] of cases) {
        const run = await cli(args, { env });
        assert.equal(run.code, code, `${args.join(' ')}: ${run.stderr}`);
        assert.match(run.stderr, stderr);
        assert.ok(!run.stderr.includes(TOKEN));
      }
    });

    it('refuses bad input with exit 1 before calling the node', async () => {
      const empty = file('empty', '');
      const cases: [args: string[], env: Record<string, string>, stderr: RegExp][] = [
        [at('activate', 'bad-id'), {}, /a key id is 8 characters/],
        [at('remove', 'toolong123'), {}, /a key id is 8 characters/],
        [at('import-raw', '--id', 'x', '--key-file', empty), {}, /a key id is 8 characters/],
        [at('import-raw', '--id', 'Raw00001', '--key-file', file('short.key', Buffer.alloc(16))), {}, /32 bytes of key material/],
        [at('import-raw', '--id', 'Raw00001', '--key-file', join(dir, 'absent.key')), {}, /cannot read the key file .*ENOENT/],
        [at('import', empty), {}, /the export file is empty/],
        [at('recover', '--private-key', file('not.pem', 'hello')), {}, /is not a PEM file/],
        [at('status', '--admin-token-file', empty), {}, /the admin token \(.*\) is empty/],
        [['status', '--admin-url', 'http://u:p@127.0.0.1:1'], {}, /--admin-url must not carry credentials/],
        [['status', '--admin-url', 'ftp://127.0.0.1'], {}, /--admin-url must use http or https/],
        [['status', '--admin-token-file', empty], {}, /--admin-token-file needs --admin-url/],
        [['rewrap', '--no-wait'], {}, /--no-wait needs --admin-url/],
      ];
      for (const [args, env, stderr] of cases) {
        const before = await svc.status();
        const run = await cli(args, { env: { PORTCULLIS_ADMIN_TOKEN: TOKEN, ...env } });
        assert.equal(run.code, 1, args.join(' '));
        assert.match(run.stderr, stderr, args.join(' '));
        assert.deepEqual(await svc.status(), before, 'nothing changed on the node');
      }
    });

    it('warns when the token would cross the network in clear text', async () => {
      // 0.0.0.0 is not a loopback name, yet connecting to it fails at once here (nothing listens on port 9).
      const run = await cli(['status', '--admin-url', 'http://0.0.0.0:9'], { env: { PORTCULLIS_ADMIN_TOKEN: TOKEN } });
      assert.equal(run.code, 3);
      assert.match(run.stderr, /warning: the admin token is sent over plain http to another host/);
    });
  });
});
