/**
 * `portcullis config dump` and `config apply` through the real CLI beside a running node: a route
 * added by apply is served by the node (cluster events), a dry run and a fresh dump change
 * nothing, `--json` prints pure JSON, a bad file exits 1 naming the path, and no dump or diff
 * shows a secret.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { admin, runCli, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { startEchoUpstream, type EchoUpstream } from './support/upstream.js';
import { until } from '../support/until.js';

const UPSTREAM_PASSWORD = 'declarative-e2e-upstream-password-41c7';

describe('declarative configuration through the real CLI', () => {
  let upstream: EchoUpstream;
  let node: CliNode;
  let configFile: string;
  const cli = (...args: string[]) => runCli(['config', ...args, '--config', configFile]);
  const file = (name: string, doc: unknown) => {
    const path = join(dirname(configFile), name);
    writeFileSync(path, typeof doc === 'string' ? doc : stringify(doc));
    return path;
  };

  before(async () => {
    upstream = await startEchoUpstream();
    configFile = writeConfig();
    node = await startCliNode(configFile);
    assert.equal((await admin(node, 'POST', '/services', { name: 'echo', url: upstream.url })).status, 201);
    assert.equal((await admin(node, 'POST', '/routes', { name: 'old', service: { name: 'echo' }, paths: ['/old'] })).status, 201);
    const plugin = { name: 'upstream-auth', service: { name: 'echo' }, config: { type: 'basic', username: 'svc', password: UPSTREAM_PASSWORD } };
    assert.equal((await admin(node, 'POST', '/plugins', plugin)).status, 201);
  });
  after(async () => {
    await node?.stop();
    await upstream?.close();
  });

  it('applies a route that the running node then serves, and a fresh dump is "no changes"', async () => {
    const dumped = await cli('dump');
    assert.equal(dumped.code, 0, dumped.stderr);
    assert.ok(!dumped.stdout.includes(UPSTREAM_PASSWORD));
    const doc = parse(dumped.stdout);
    doc.routes.push({ name: 'new', service: 'echo', paths: ['/new'] });
    const applied = await cli('apply', file('add-route.yaml', doc));
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(applied.stdout, '+ route new\n1 to create, 0 to update, 0 to delete\n');
    await until('the node serves the applied route', async () => (await fetch(`${node.proxyUrl}/new/x`)).status === 200);
    const echoed = (await (await fetch(`${node.proxyUrl}/new/x`)).json()) as { url: string; headers: Record<string, string> };
    assert.equal(echoed.url, '/x');
    // The stored password, kept by the marker, still reaches the upstream.
    assert.equal(echoed.headers['authorization'], `Basic ${Buffer.from(`svc:${UPSTREAM_PASSWORD}`).toString('base64')}`);
    const again = await cli('dump');
    assert.equal((await cli('apply', file('again.yaml', again.stdout))).stdout, 'no changes\n');
  });

  it('prints the diff of a dry run, as text and as pure JSON, and writes nothing', async () => {
    const doc = parse((await cli('dump')).stdout);
    doc.routes = doc.routes.filter((r: { name: string }) => r.name !== 'old');
    const path = file('drop-old.yaml', doc);
    const dry = await cli('apply', path, '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.stdout, '- route old\n0 to create, 0 to update, 1 to delete\n');
    assert.match(dry.stderr, /dry run: nothing was written/);
    const json = await cli('apply', path, '--dry-run', '--json');
    assert.deepEqual(JSON.parse(json.stdout), {
      dry_run: true,
      applied: false,
      changes: [{ op: 'delete', entity: 'routes', key: 'old', label: 'route old', fields: [] }],
      errors: [],
    });
    assert.equal((await admin(node, 'GET', '/routes/old')).status, 200);
    assert.equal((await fetch(`${node.proxyUrl}/old/`)).status, 200);
  });

  it('dumps JSON that applies as YAML does', async () => {
    const json = await cli('dump', '--json');
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout)._format_version, '1.0');
    assert.equal((await cli('apply', file('dump.json', json.stdout))).stdout, 'no changes\n');
  });

  it('exits 1 on a bad file, naming each path on stderr, and 2 on a missing one', async () => {
    const doc = parse((await cli('dump')).stdout);
    doc.routes.push({ name: 'bad', service: 'nowhere', paths: ['relative'] });
    const bad = await cli('apply', file('bad.yaml', doc));
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /the file is not valid/);
    assert.match(bad.stderr, /routes\[\d\]\.paths\[0\]: must match pattern/);
    const missing = await cli('apply', join(dirname(configFile), 'missing.yaml'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*missing\.yaml: ENOENT/);
  });
});
