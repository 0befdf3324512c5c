/**
 * A write to the built-in secret store rotates on every node at once: two nodes on one PostgreSQL
 * database, a plugin on both that sends a store secret upstream, and a new version written through
 * node A's Admin API; node B's proxy sends the new value as soon as it has read the cluster event,
 * not after the vault's ttl (here an hour).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { admin } from '../e2e/support/cli.js';
import { startTwoNodes, type TwoNodes } from './support/two-nodes.js';

describe('store secret rotation across two nodes on PostgreSQL', () => {
  let pair: TwoNodes;

  const sent = async (node: TwoNodes['nodes'][number]) => {
    const res = await fetch(`${node.proxyUrl}/sec/x`);
    if (res.status !== 200) return `status ${res.status}`;
    return ((await res.json()) as { headers: Record<string, string> }).headers['x-secret'];
  };

  before(async () => {
    pair = await startTwoNodes('postgres', { max_per_consumer: 100 });
    const [a] = pair.nodes;
    const echo = (await admin(a, 'GET', '/services/echo')).body as { host: string; port: number };
    assert.equal((await admin(a, 'POST', '/vaults', { prefix: 'st', name: 'store', config: { ttl: 3600 } })).status, 201);
    assert.equal((await admin(a, 'PUT', '/vaults/st/secrets/tok', { value: 'version-one' })).status, 201);
    assert.equal((await admin(a, 'POST', '/services', { name: 'sec', url: `http://${echo.host}:${echo.port}` })).status, 201);
    assert.equal((await admin(a, 'POST', '/services/sec/routes', { name: 'sec', paths: ['/sec'] })).status, 201);
    const plugin = await admin(a, 'POST', '/services/sec/plugins', {
      name: 'upstream-auth',
      config: { type: 'header', header_name: 'x-secret', header_value: '{vault://st/tok}' },
    });
    assert.equal(plugin.status, 201, JSON.stringify(plugin.body));
    await pair.settle();
  });
  after(async () => pair?.close());

  it("node B sends node A's new version within moments of the write", async (ctx) => {
    const [a, b] = pair.nodes;
    let first = '';
    for (let i = 0; i < 100 && first !== 'version-one'; i++) {
      first = (await sent(b)) ?? '';
      if (first !== 'version-one') await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(first, 'version-one');
    assert.equal((await admin(a, 'PUT', '/vaults/st/secrets/tok', { value: 'version-two' })).status, 200);
    const written = Date.now();
    let now = '';
    while (Date.now() - written < 5000 && now !== 'version-two') {
      now = (await sent(b)) ?? '';
      if (now !== 'version-two') await new Promise((r) => setTimeout(r, 10));
    }
    const took = Date.now() - written;
    assert.equal(now, 'version-two', 'node B never sent the new version');
    assert.ok(took < 1000, `node B took ${took} ms (cluster poll 20 ms; the vault ttl is an hour)`);
    ctx.diagnostic(`node B sent the new version ${took} ms after node A's write answered`);
  });
});
