/**
 * `portcullis apikeys import` end to end through the real CLI, against the database of a running
 * node: key values (ours, a push issuer's, foreign) and SHA-256 digests, owners by name and by id
 * and from --service, every kind of bad line reported by line number and field with nothing
 * written, --dry-run writing nothing, re-import refused as conflicts, and the imported keys
 * verified by the node's key-auth (a key the node had already refused works once imported: the
 * import's one event clears its negative cache). No key value ever appears in any output.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { admin, runCli, startCliNode, writeConfig, type CliNode, type CliResult } from './support/cli.js';
import { startEchoUpstream, type Echo, type EchoUpstream } from './support/upstream.js';
import { generateApiKey } from '../../src/apikeys/key-format.js';
import { until } from '../support/until.js';

const ISSUERS = [
  { name: 'portcullis', prefix: 'pcg', type: 'local' },
  { name: 'partner', prefix: 'ptn', type: 'push' },
];
const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');
const ours = () => generateApiKey('pcg').key.reveal();

describe('apikeys import through the real CLI', () => {
  let node: CliNode;
  let upstream: EchoUpstream;
  let aliceId = '';
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-import-'));
  let fileNo = 0;
  const file = (lines: readonly unknown[]) => {
    const path = join(dir, `keys-${++fileNo}.jsonl`);
    writeFileSync(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
    return path;
  };
  const runImport = (path: string, ...extra: string[]) => runCli(['apikeys', 'import', path, '--config', node.configFile, ...extra]);
  const call = async (key: string) => {
    const res = await fetch(`${node.proxyUrl}/orders`, { headers: { 'x-api-key': key } });
    return { status: res.status, body: (await res.json()) as Echo };
  };
  /** No value of `keys` in anything the command printed. */
  const assertNoKeyIn = (result: CliResult, keys: readonly string[]) => {
    for (const k of keys) {
      for (const text of [result.stdout, result.stderr]) {
        assert.ok(!text.includes(k), 'a key value was printed');
        assert.ok(!text.includes(k.slice(4, 40)), 'part of a key value was printed');
      }
    }
  };

  before(async () => {
    upstream = await startEchoUpstream();
    node = await startCliNode(writeConfig({ api_keys: { issuers: ISSUERS, max_per_consumer: 0 } }));
    await admin(node, 'POST', '/services', { name: 'orders', url: upstream.url });
    await admin(node, 'POST', '/services/orders/routes', { name: 'orders', paths: ['/orders'] });
    aliceId = (await admin(node, 'POST', '/consumers', { username: 'alice' })).body.id;
    await admin(node, 'POST', '/consumers', { username: 'bob' });
    assert.equal((await admin(node, 'POST', '/services/orders/plugins', { name: 'key-auth' })).status, 201);
  });
  after(async () => {
    await node.stop();
    await upstream.close();
  });

  it('reports every kind of bad line by number and field, writes nothing, and prints no key', async () => {
    const good = ours();
    const dup = ours();
    const bad: readonly { line: unknown; field: string }[] = [
      { line: 'not json {', field: '(line)' },
      { line: '[1, 2]', field: '(line)' },
      { line: { value: ours(), service: 'orders', colour: 'blue' }, field: 'colour' },
      { line: { value: ours(), sha256: sha256('x'), service: 'orders' }, field: 'value' },
      { line: { service: 'orders' }, field: 'value' },
      { line: { value: `${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}`, service: 'orders' }, field: 'value' },
      { line: { value: generateApiKey('zzz').key.reveal(), service: 'orders' }, field: 'issuer' },
      { line: { value: ours(), service: 'orders', issuer: 'partner' }, field: 'issuer' },
      { line: { sha256: 'abc', issuer: 'partner', service: 'orders' }, field: 'sha256' },
      { line: { sha256: sha256('y'), issuer: 'nobody', service: 'orders' }, field: 'issuer' },
      { line: { value: ours(), service: 'no-such-service' }, field: 'service' },
      { line: { value: ours(), consumer: 'no-such-consumer' }, field: 'consumer' },
      { line: { value: ours() }, field: 'service' },
      { line: { value: ours(), service: 'orders', name: 'Not A Slug' }, field: 'name' },
      { line: { value: ours(), service: 'orders', expires_at: '2001-01-01T00:00:00Z' }, field: 'expires_at' },
      { line: { value: ours(), service: 'orders', expires_at: 'tomorrow' }, field: 'expires_at' },
      { line: { value: dup, service: 'orders', name: 'dup-2' }, field: 'value' },
      { line: { value: ours(), service: 'orders', name: 'taken' }, field: 'name' },
      { line: JSON.stringify({ value: ours(), service: 'orders', display_name: 'x'.repeat(20_000) }), field: '(line)' },
    ];
    // Good lines around them: the first of each duplicate pair is fine, the second is refused.
    const lines = [
      { value: good, service: 'orders' },
      { value: dup, service: 'orders', name: 'dup-1' },
      { value: ours(), service: 'orders', name: 'taken' },
      ...bad.map((b) => b.line),
    ];
    const result = await runImport(file(lines), '--json');
    assert.equal(result.code, 1, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.committed, false);
    assert.equal(summary.imported, 0);
    assert.equal(summary.error_count, bad.length);
    assert.deepEqual(
      summary.errors.map((e: { line: number; field: string }) => [e.line, e.field]),
      bad.map((b, i) => [i + 4, b.field]),
    );
    assertNoKeyIn(result, [good, dup, ...bad.flatMap((b) => (typeof b.line === 'object' && b.line && 'value' in b.line ? [String(b.line.value)] : []))]);
    assert.equal((await call(good)).status, 401, 'the good lines of a failed import are not written either');
  });

  it('--dry-run checks a good file and writes nothing', async () => {
    const key = ours();
    const result = await runImport(file([{ value: key, service: 'orders' }]), '--dry-run');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /dry run: 1 keys would be imported/);
    assertNoKeyIn(result, [key]);
    assert.equal((await call(key)).status, 401);
  });

  it('imports values and digests with owners by name, id and --service; every key then works through key-auth', async () => {
    const keys = {
      service: ours(),
      forAlice: ours(),
      aliceById: ours(),
      byDefault: ours(),
      foreign: 'legacy-system-key-0123456789abcdef',
      foreignDigest: 'another-legacy-key-fedcba9876543210',
      pushed: generateApiKey('ptn').key.reveal(),
    };
    // Refused before the import: remembered as unknown by the node until the import's event.
    assert.equal((await call(keys.service)).status, 401);
    const path = file([
      { value: keys.service, service: 'orders', name: 'svc', metadata: { team: 'a' } },
      '',
      { value: keys.forAlice, service: 'orders', consumer: 'alice', expires_at: '2099-01-01T00:00:00Z' },
      { value: keys.aliceById, consumer: aliceId },
      { value: keys.byDefault },
      { value: keys.foreign, service: 'orders' },
      { sha256: sha256(keys.foreignDigest), issuer: 'external', service: 'orders' },
      { sha256: sha256(keys.pushed).toUpperCase(), issuer: 'partner', service: 'orders' },
    ]);
    const result = await runImport(path, '--service', 'orders', '--json');
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.deepEqual([summary.lines, summary.imported, summary.committed, summary.error_count], [7, 7, true, 0]);
    assertNoKeyIn(result, Object.values(keys));
    await until('a key refused before the import works after it', async () => (await call(keys.service)).status === 200, 5000);
    for (const [name, key] of Object.entries(keys)) assert.equal((await call(key)).status, 200, `${name} works`);
    assert.equal((await call(keys.forAlice)).body.headers['x-consumer-username'], 'alice');
    assert.equal((await call(keys.aliceById)).body.headers['x-consumer-username'], 'alice');

    const again = await runImport(path, '--service', 'orders');
    assert.equal(again.code, 4, 'a second import of the same keys is refused: only conflicts');
    assert.match(again.stderr, /line 1: value: is already registered/);
    assert.match(again.stderr, /line 7: sha256: is already registered/);
    assertNoKeyIn(again, Object.values(keys));
  });

  it('imports more than one batch (sealed on the worker thread of dist/): keys of every batch work through key-auth', async () => {
    const values = Array.from({ length: 2_500 }, () => ours());
    const result = await runImport(file(values.map((value) => ({ value }))), '--service', 'orders', '--json');
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.deepEqual([summary.imported, summary.committed, summary.error_count], [values.length, true, 0]);
    assertNoKeyIn(result, [values[0]!, values[1_500]!, values.at(-1)!]);
    for (const i of [0, 999, 1_000, 2_001, values.length - 1]) assert.equal((await call(values[i]!)).status, 200, `key of line ${i + 1} works`);
  });

  it('refuses a missing file with exit 2', async () => {
    const result = await runImport(join(dir, 'absent.jsonl'));
    assert.equal(result.code, 2);
    assert.match(result.stderr, /no file at/);
  });
});
