/**
 * Process identity (issue 10 §1): two `portcullis start` processes on one SQLite file configured
 * with the SAME `node_id`. Each process has its own instance id, so each applies the other's
 * events: a route created through one is served by the other, and a key revoked through one is
 * refused by the other within the poll interval — not kept cached until the key cache's TTL, which
 * is what skipping "its own" events by a shared node_id used to do.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { admin, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { startEchoUpstream, type EchoUpstream } from './support/upstream.js';
import { until } from '../support/until.js';

const NAME = 'edge-1';

describe('two processes with the same node_id', () => {
  let upstream: EchoUpstream;
  let a: CliNode;
  let b: CliNode;

  before(async () => {
    upstream = await startEchoUpstream();
    const sqlitePath = join(mkdtempSync(join(tmpdir(), 'portcullis-same-id-')), 'portcullis.db');
    const config = () => writeConfig({ sqlite_path: sqlitePath, node_id: NAME, cluster_poll_interval: 50 }, mkdtempSync(join(tmpdir(), 'portcullis-same-id-')));
    // One after the other: both would migrate the fresh database.
    a = await startCliNode(config());
    b = await startCliNode(config());
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await upstream?.close();
  });

  it('share the name but not the instance id', async () => {
    const [infoA, infoB] = await Promise.all([admin(a, 'GET', '/'), admin(b, 'GET', '/')]);
    assert.equal(infoA.body.node_id, NAME);
    assert.equal(infoB.body.node_id, NAME);
    assert.match(infoA.body.instance_id, /^[0-9a-f-]{36}$/);
    assert.notEqual(infoA.body.instance_id, infoB.body.instance_id);
  });

  it("apply each other's changes: a key revoked through one is refused by the other", async () => {
    assert.equal((await admin(a, 'POST', '/services', { name: 'orders', url: upstream.url })).status, 201);
    assert.equal((await admin(a, 'POST', '/services/orders/routes', { name: 'orders', paths: ['/orders'] })).status, 201);
    assert.equal((await admin(a, 'POST', '/consumers', { username: 'alice' })).status, 201);
    assert.equal((await admin(a, 'POST', '/services/orders/plugins', { name: 'key-auth' })).status, 201);
    const generated = await admin(a, 'POST', '/services/orders/api-keys', { name: 'mobile', consumer: 'alice' });
    assert.equal(generated.status, 201);
    const key: string = generated.body.api_key;
    const callB = async () => (await fetch(`${b.proxyUrl}/orders`, { headers: { 'x-api-key': key } })).status;

    await until('the other process serves the route and accepts the key', async () => (await callB()) === 200);
    assert.equal(await callB(), 200, 'the key is now in its cache');
    assert.equal((await admin(a, 'DELETE', '/services/orders/api-keys/mobile')).status, 204);
    await until('the other process refuses the revoked key', async () => (await callB()) === 401);
  });
});
