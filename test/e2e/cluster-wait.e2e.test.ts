/**
 * Acknowledged revocation (issue 10 §3) with three real `portcullis start` processes on one
 * PostgreSQL: `?wait=` answers 200 only once both other nodes applied the revoke (and then both
 * refuse the key on the first try), 202 naming a node that is paused (SIGSTOP) instead of
 * pretending, and a node stopped cleanly leaves `/clustering/nodes`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { admin, startCliNode, writeConfigFor, type CliNode } from './support/cli.js';
import { startEchoUpstream, type EchoUpstream } from './support/upstream.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { until as waitUntil } from '../support/until.js';

const until = (what: string, check: () => boolean | Promise<boolean>, ms = 10_000) => waitUntil(what, check, ms);

describe('acknowledged revocation across three nodes on PostgreSQL', () => {
  let upstream: EchoUpstream;
  let database: TestDatabase;
  const nodes: CliNode[] = [];
  let keyCount = 0;
  const call = async (node: CliNode, key: string) => (await fetch(`${node.proxyUrl}/orders`, { headers: { 'x-api-key': key } })).status;
  const ids = (refs: { instance_id: string }[]) => refs.map((r) => r.instance_id).sort();
  const instanceOf = async (node: CliNode): Promise<string> => (await admin(node, 'GET', '/')).body.instance_id;
  /** A key generated on node 1 and cached by every other node (each answered 200 with it). */
  const warmKey = async (others: CliNode[]) => {
    const name = `k${++keyCount}`;
    const generated = await admin(nodes[0]!, 'POST', '/consumers/alice/api-keys', { name });
    assert.equal(generated.status, 201);
    const key: string = generated.body.api_key;
    for (const node of others) await until('the key works on the other node', async () => (await call(node, key)) === 200);
    return { name, key };
  };

  before(async () => {
    upstream = await startEchoUpstream();
    database = await createTestDatabase('postgres');
    // Polling here (LISTEN/NOTIFY arrives with another part); a short interval keeps the test quick.
    // One data folder (the keyring file) for the three: handing the keyring over is another part's test.
    const config = () => writeConfigFor(database.config, { cluster_poll_interval: 20, cluster_heartbeat_interval: 200 });
    // One after the other: the first migrates the fresh database.
    for (let i = 0; i < 3; i++) nodes.push(await startCliNode(config()));
    const a = nodes[0]!;
    assert.equal((await admin(a, 'POST', '/services', { name: 'orders', url: upstream.url })).status, 201);
    assert.equal((await admin(a, 'POST', '/services/orders/routes', { name: 'orders', paths: ['/orders'] })).status, 201);
    assert.equal((await admin(a, 'POST', '/services/orders/plugins', { name: 'key-auth' })).status, 201);
    assert.equal((await admin(a, 'POST', '/consumers', { username: 'alice' })).status, 201);
  });
  after(async () => {
    for (const node of nodes) {
      try {
        process.kill(node.process.pid!, 'SIGCONT');
      } catch {
        // already gone
      }
      await node.stop();
    }
    await upstream?.close();
    await database?.drop();
  });

  it('lists the three processes as live', async () => {
    await until('three ready nodes', async () => {
      const listed = (await admin(nodes[0]!, 'GET', '/clustering/nodes')).body.data as { live: boolean; state: string }[];
      return listed.length === 3 && listed.every((n) => n.live && n.state === 'ready');
    });
  });

  it('revoke with wait=5s answers 200 once both other nodes applied it, and both refuse the key on the first try', async () => {
    const [a, b, c] = nodes as [CliNode, CliNode, CliNode];
    const { name, key } = await warmKey([b, c]);
    const res = await admin(a, 'DELETE', `/consumers/alice/api-keys/${name}?wait=5s`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(ids(res.body.propagation.acknowledged), [await instanceOf(a), await instanceOf(b), await instanceOf(c)].sort());
    assert.deepEqual(res.body.propagation.pending, []);
    const [onB, onC] = await Promise.all([call(b, key), call(c, key)]);
    assert.deepEqual([onB, onC], [401, 401]);
    // And the event says the same afterwards.
    const event = await admin(b, 'GET', `/clustering/events/${res.body.propagation.event}`);
    assert.equal(event.status, 200);
    assert.equal(event.body.complete, true);
    assert.equal(event.body.written_by, await instanceOf(a));
  });

  it('a paused node (SIGSTOP) is reported pending with 202; it refuses the key once resumed', async () => {
    const [a, b, c] = nodes as [CliNode, CliNode, CliNode];
    const { name, key } = await warmKey([b, c]);
    const paused = await instanceOf(c);
    process.kill(c.process.pid!, 'SIGSTOP');
    try {
      const res = await admin(a, 'DELETE', `/consumers/alice/api-keys/${name}?wait=2s`);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.equal(res.body.committed, true);
      assert.deepEqual(ids(res.body.propagation.pending), [paused]);
      assert.deepEqual(ids(res.body.propagation.acknowledged), [await instanceOf(a), await instanceOf(b)].sort());
      assert.equal(await call(b, key), 401);
    } finally {
      process.kill(c.process.pid!, 'SIGCONT');
    }
    await until('the resumed node refuses the key', async () => (await call(c, key)) === 401);
  });

  it('a node stopped cleanly disappears from /clustering/nodes', async () => {
    const c = nodes[2]!;
    const gone = await instanceOf(c);
    assert.equal(await c.stop(), 0);
    const listed = (await admin(nodes[0]!, 'GET', '/clustering/nodes')).body.data as { instance_id: string }[];
    assert.equal(listed.length, 2);
    assert.ok(!listed.some((n) => n.instance_id === gone));
    // And a wait no longer counts it.
    const { name } = await warmKey([nodes[1]!]);
    const res = await admin(nodes[0]!, 'DELETE', `/consumers/alice/api-keys/${name}?wait=2s`);
    assert.equal(res.status, 200);
    assert.equal(res.body.propagation.acknowledged.length, 2);
  });
});
