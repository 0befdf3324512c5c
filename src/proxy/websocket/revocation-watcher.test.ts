import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { ClusterEvent } from '../../store/cluster-events.js';
import { createRevocationWatcher } from './revocation-watcher.js';
import { WatchedTunnels } from './watched-tunnels.js';

/** A stand-in for a Tunnel: records its close code and, like a Tunnel, leaves the index when closed. */
class FakeTunnel {
  code: number | null = null;
  constructor(
    readonly name: string,
    private readonly index: WatchedTunnels<FakeTunnel>,
  ) {}
  close(code: number): void {
    this.code = code;
    this.index.remove(this);
  }
}

function setup(rows: Record<string, { status: string; expires_at: number | null } | null> = {}) {
  const index = new WatchedTunnels<FakeTunnel>();
  const logs: Record<string, unknown>[] = [];
  const watcher = createRevocationWatcher({
    tunnels: index,
    findApiKey: async (id) => (rows[id] === undefined ? null : (rows[id] as never)),
    logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) }),
    now: () => 1_000_000,
  });
  const open = (name: string, keyId: string, consumerId: string | null, serviceId: string | null) => {
    const tunnel = new FakeTunnel(name, index);
    index.add(tunnel, { keyId, consumerId, serviceId });
    return tunnel;
  };
  const send = (...events: Partial<ClusterEvent>[]) => watcher.onEvents(events.map((e) => ({ data: null, entity_id: '', ...e }) as ClusterEvent));
  return { index, logs, open, send };
}

describe('close_on_revoke: the revocation watcher and its index', () => {
  it('closes with 1008 exactly the tunnels of a deleted consumer, or of a deleted service their key is scoped to', () => {
    const { index, logs, open, send } = setup();
    const bob1 = open('bob1', 'k-bob1', 'c-bob', 's-orders');
    const bob2 = open('bob2', 'k-bob2', 'c-bob', null);
    const alice = open('alice', 'k-alice', 'c-alice', 's-orders');
    const carol = open('carol', 'k-carol', 'c-carol', 's-billing');
    const anonymous = open('anon', 'k-anon', null, null);

    send({ entity: 'consumers', operation: 'delete', entity_id: 'c-bob' });
    assert.deepEqual([bob1.code, bob2.code, alice.code, carol.code, anonymous.code], [1008, 1008, null, null, null]);

    send({ entity: 'services', operation: 'delete', entity_id: 's-orders' });
    assert.deepEqual([alice.code, carol.code, anonymous.code], [1008, null, null]);
    // Updates are not deletions; another entity's id that happens to match is not a service's.
    send({ entity: 'services', operation: 'update', entity_id: 's-billing' }, { entity: 'routes', operation: 'delete', entity_id: 's-billing' });
    assert.equal(carol.code, null);

    assert.equal(index.size, 2);
    assert.equal(index.has('consumer', 'c-bob'), false);
    assert.equal(index.has('service', 's-orders'), false);
    assert.deepEqual(
      logs.map((l) => [l['msg'], l['consumer_id'] ?? l['service_id'], l['connections']]),
      [
        ['WebSocket connections closed: their consumer was deleted', 'c-bob', 2],
        ['WebSocket connections closed: the service their API key was scoped to was deleted', 's-orders', 1],
      ],
    );
  });

  it('closes on a deleted key and on a remote revocation; re-reads an updated key and closes it only when no longer valid', async () => {
    const { open, send } = setup({
      'row-revoked': { status: 'revoked', expires_at: null },
      'row-expired': { status: 'active', expires_at: 999 },
      'row-fine': { status: 'active', expires_at: 2_000 },
    });
    const deleted = open('deleted', 'k-deleted', null, null);
    const remote = open('remote', 'k-remote', 'c-x', null);
    const revoked = open('revoked', 'k-revoked', null, null);
    const expired = open('expired', 'k-expired', null, null);
    const fine = open('fine', 'k-fine', null, null);
    const gone = open('gone', 'k-gone', null, null);

    send(
      { entity: 'api_keys', operation: 'delete', entity_id: 'row-deleted', data: { key_id: 'k-deleted' } },
      { entity: 'api_key_revocations', operation: 'create', data: { key_ids: ['k-remote', 42, 'k-unknown'] } },
      { entity: 'api_keys', operation: 'update', entity_id: 'row-revoked', data: { key_id: 'k-revoked' } },
      { entity: 'api_keys', operation: 'update', entity_id: 'row-expired', data: { key_id: 'k-expired' } },
      { entity: 'api_keys', operation: 'update', entity_id: 'row-fine', data: { key_id: 'k-fine' } },
      { entity: 'api_keys', operation: 'update', entity_id: 'row-gone', data: { key_id: 'k-gone' } },
    );
    assert.deepEqual([deleted.code, remote.code], [1008, 1008]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual([revoked.code, expired.code, fine.code, gone.code], [1008, 1008, null, 1008]);
  });

  it('keeps the index exact when tunnels share a key, a consumer and a service, and when removed twice', () => {
    const index = new WatchedTunnels<object>();
    const a = {};
    const b = {};
    index.add(a, { keyId: 'k', consumerId: 'c', serviceId: 's' });
    index.add(b, { keyId: 'k', consumerId: 'c', serviceId: null });
    assert.equal(index.find('key', 'k').length, 2);
    assert.equal(index.find('service', 's').length, 1);
    index.remove(a);
    index.remove(a);
    assert.deepEqual(index.find('key', 'k'), [b]);
    assert.equal(index.has('service', 's'), false);
    index.remove(b);
    assert.equal(index.size, 0);
    assert.equal(index.has('key', 'k') || index.has('consumer', 'c'), false);
    // Scopes do not mix: an id under one scope is not found under another.
    index.add(a, { keyId: 'same', consumerId: null, serviceId: null });
    assert.deepEqual(index.find('consumer', 'same'), []);
  });
});
