/**
 * `portcullis import kong` end to end: a realistic decK file (2 services, 4 routes with a regex,
 * 3 consumers with key-auth keys and basic-auth credentials, key-auth on the services, a plugin
 * Portcullis lacks) imported by the real CLI, then a real node proving through its proxy that each
 * imported key authenticates on its routes, as it did under Kong, and that no key value is in the
 * database files or in anything the commands printed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { runCli, startCliNode, writeConfig, type CliNode, type CliResult } from './support/cli.js';
import { startEchoUpstream, type Echo, type EchoUpstream } from './support/upstream.js';
import { until } from '../support/until.js';

const FIXTURE = readFileSync(new URL('../fixtures/kong/kong.yaml', import.meta.url), 'utf8');
const KEYS = {
  alice1: 'alice-orders-key-7c1d5b2e9a40f3',
  alice2: 'alice-second-key-0e4f8a2b6c9d17',
  bob: 'bob-billing-key-3a9e1c7f5d2b80',
  carol: 'carol-mobile-key-6d2f0a8c4e1b95',
};
const SECRETS = [...Object.values(KEYS), 'carol-correct-horse-battery'];

/** A proxy request with any headers (Host included, which fetch does not let us set). */
function call(node: CliNode, path: string, headers: Record<string, string> = {}): Promise<{ status: number; echo: Echo | null }> {
  const url = new URL(path, node.proxyUrl);
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, echo: res.statusCode === 200 ? (JSON.parse(body) as Echo) : null }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('portcullis import kong (real CLI, real node)', () => {
  let upstream: EchoUpstream;
  let configFile: string;
  let node: CliNode;
  const outputs: CliResult[] = [];

  before(async () => {
    upstream = await startEchoUpstream();
    configFile = writeConfig();
    const port = new URL(upstream.url).port;
    const deckFile = join(dirname(configFile), 'kong.yaml');
    writeFileSync(deckFile, FIXTURE.replaceAll('http://127.0.0.1:9/', `${upstream.url}/`).replace('port: 9\n', `port: ${port}\n`));
    const migrated = await runCli(['migrate', 'up', '--config', configFile]);
    assert.equal(migrated.code, 0, migrated.stderr);
    outputs.push(await runCli(['import', 'kong', deckFile, '--config', configFile, '--dry-run']));
    outputs.push(await runCli(['import', 'kong', deckFile, '--config', configFile]));
    outputs.push(await runCli(['import', 'kong', deckFile, '--config', configFile, '--json']));
    outputs.push(await runCli(['import', 'kong', deckFile, '--config', configFile, '--strict']));
    node = await startCliNode(configFile);
  });
  after(async () => {
    await node?.stop();
    await upstream.close();
  });

  it('the dry run and the import report what they create and each part not migrated', () => {
    const [dry, run] = outputs;
    assert.equal(dry!.code, 0, dry!.stderr);
    assert.match(dry!.stdout, /would create route order-by-id/);
    assert.match(dry!.stdout, /Dry run, nothing written/);
    assert.equal(run!.code, 0, run!.stderr);
    assert.match(run!.stdout, /skipped\s+plugin rate-limiting on service orders \(services\[0\]\.plugins\[1\]\): Portcullis has no "rate-limiting" plugin/);
    assert.match(run!.stdout, /basicauth_credential bob .*SHA-1/);
    assert.match(run!.stdout, /upstreams orders-upstream/);
    assert.match(run!.stdout, /api_keys\s+created 4, already present 0, skipped 0, failed 0/);
    assert.match(run!.stderr, /credentials: 5\/5 \(100%\)/, 'the progress of the hashing');
  });

  it('a second run with --json prints pure JSON on stdout: everything already present, nothing duplicated', () => {
    const json = outputs[2]!;
    assert.equal(json.code, 0, json.stderr);
    const summary = JSON.parse(json.stdout);
    assert.deepEqual(summary.totals, { created: 0, exists: 16, skipped: 0, failed: 0, unsupported: 5 });
    assert.equal(summary.counts.api_keys.exists, 4);
    assert.deepEqual(
      summary.unsupported.map((u: { entity: string; name: string }) => `${u.entity} ${u.name}`),
      [
        'plugin rate-limiting on service orders',
        'acls alice',
        'basicauth_credential bob of consumer bob',
        '_workspace _workspace',
        'upstreams orders-upstream',
      ],
    );
  });

  it('--strict refuses the file with exit code 1 and lists what cannot be migrated', () => {
    const strict = outputs[3]!;
    assert.equal(strict.code, 1);
    assert.match(strict.stderr, /--strict: 5 part\(s\) of the file cannot be migrated; nothing was written/);
    assert.match(strict.stderr, /rate-limiting/);
  });

  it('each imported key authenticates its consumer on its routes, in the header and query string Kong read', async () => {
    const cases: { name: string; path: string; headers: Record<string, string>; consumer: string; upstreamPath: string }[] = [
      { name: "alice's first key in apikey", path: '/orders', headers: { apikey: KEYS.alice1 }, consumer: 'alice', upstreamPath: '/api' },
      { name: "alice's first key in the query string", path: `/orders?apikey=${KEYS.alice1}`, headers: {}, consumer: 'alice', upstreamPath: '/api' },
      {
        name: "alice's second key on the regex route",
        path: '/v2/orders/42',
        headers: { 'x-api-key': KEYS.alice2 },
        consumer: 'alice',
        upstreamPath: '/api/v2/orders/42',
      },
      {
        name: "bob's key on a route matched by host",
        path: '/invoices',
        headers: { host: 'billing.example.test', 'x-billing-key': KEYS.bob },
        consumer: 'bob',
        upstreamPath: '/billing',
      },
      {
        name: "carol's key on a top-level route",
        path: '/billing-health',
        headers: { 'x-billing-key': KEYS.carol },
        consumer: 'carol',
        upstreamPath: '/billing',
      },
      { name: "carol's key on the other service", path: '/orders', headers: { apikey: KEYS.carol }, consumer: 'carol', upstreamPath: '/api' },
    ];
    // The node verifies keys it has not seen with one lookup; wait for the first to pass.
    await until('the first imported key works', async () => (await call(node, '/orders', { apikey: KEYS.alice1 })).status === 200, 10_000);
    for (const c of cases) {
      const res = await call(node, c.path, c.headers);
      assert.equal(res.status, 200, c.name);
      assert.equal(res.echo!.headers['x-consumer-username'], c.consumer, c.name);
      assert.equal(res.echo!.url.split('?')[0], c.upstreamPath, c.name);
    }
  });

  it("keeps Kong's hide_credentials per plugin: hidden on orders (true in the file), passed on billing (Kong's default)", async () => {
    const orders = await call(node, '/orders', { apikey: KEYS.alice1 });
    assert.equal(orders.echo!.headers['apikey'], undefined);
    const billing = await call(node, '/billing-health', { 'x-billing-key': KEYS.carol });
    assert.equal(billing.echo!.headers['x-billing-key'], KEYS.carol);
  });

  it('refuses a missing, wrong or misplaced key with 401', async () => {
    for (const [path, headers] of [
      ['/orders', {}],
      ['/orders', { apikey: 'not-a-key-that-was-imported-0000' }],
      ['/billing-health', { apikey: KEYS.carol }],
      ['/orders', { 'x-billing-key': KEYS.bob }],
    ] as const) {
      assert.equal((await call(node, path, headers)).status, 401, `${path} ${JSON.stringify(headers)}`);
    }
  });

  it('refuses a broken file before writing, naming the place in the file (exit 1), and a missing file (exit 2)', async () => {
    const dir = dirname(configFile);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, '_format_version: "3.0"\nservices:\n  - name: x\n    url: http://x.test\n    routes:\n      - paths: [/a, /b, "~/(unclosed"]\n');
    const bomb = join(dir, 'bomb.yaml');
    writeFileSync(
      bomb,
      ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((l, i) => `${l}: &${l} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)].join('\n'),
    );
    const cases: [string, number, RegExp][] = [
      [broken, 1, /services\[0\]\.routes\[0\]\.paths\[2\]/],
      [bomb, 1, /alias/i],
      [join(dir, 'missing.yaml'), 2, /no such file/],
    ];
    for (const [file, code, message] of cases) {
      const res = await runCli(['import', 'kong', file, '--config', configFile]);
      assert.equal(res.code, code, res.stderr);
      assert.match(res.stderr, message);
      assert.match(res.stderr, /nothing was written/);
    }
    assert.equal((await call(node, '/a')).status, 404, 'nothing of the broken file was written');
  });

  it('no key value or password is in the database files, the commands output or the node logs', () => {
    const folder = dirname(parse(readFileSync(configFile, 'utf8')).sqlite_path as string);
    for (const f of readdirSync(folder)) {
      const bytes = readFileSync(join(folder, f)).toString('latin1');
      for (const s of SECRETS) assert.ok(!bytes.includes(s), `a secret in ${f}`);
    }
    const printed = [...outputs.flatMap((o) => [o.stdout, o.stderr]), ...node.logs].join('\n');
    for (const s of SECRETS) assert.ok(!printed.includes(s), 'a secret in the output');
  });
});
