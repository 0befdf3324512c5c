/**
 * Keyring sharing between real `portcullis start` processes (issue 10 §4) on one PostgreSQL
 * database, each with its own data folder (as on separate machines): a new node gets the keyring
 * from a running one and serves credentials the first created; a key generated and activated on
 * the second reaches the first; encryption counts are the cluster's sum; with no node holding the
 * keys, a fresh node reports PC_KEYRING_NOT_SHARED (status, readiness, one log line) and completes
 * by itself once a holder starts again. No key material crosses the database in plaintext.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { admin, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { startEchoUpstream, type EchoUpstream } from './support/upstream.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { until as waitUntil } from '../support/until.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const until = (what: string, check: () => boolean | Promise<boolean>, ms = 20_000) => waitUntil(what, check, ms);

describe('keyring sharing between nodes on PostgreSQL', () => {
  let upstream: EchoUpstream;
  let database: TestDatabase;
  const running = new Set<CliNode>();
  const configs: string[] = [];
  /** Key material as the Admin API showed it once (generate), to look for in the tables. */
  const secrets: string[] = [];

  /** A config with its own data folder (its own keyring files), like a node on another machine. */
  const configFor = () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-share-'));
    const c = database.config;
    if (c.database !== 'postgres') throw new Error('a PostgreSQL database is expected');
    return writeConfig(
      {
        database: 'postgres',
        sqlite_path: join(dir, 'data', 'unused.db'),
        pg_host: c.pg_host,
        pg_port: c.pg_port,
        pg_user: c.pg_user,
        pg_password: c.pg_password,
        pg_database: c.pg_database,
        cluster_poll_interval: 50,
        keyring_share_timeout: 2000,
      },
      dir,
    );
  };
  const start = async (config: string) => {
    const node = await startCliNode(config);
    running.add(node);
    return node;
  };
  const stop = async (node: CliNode) => {
    running.delete(node);
    assert.equal(await node.stop(), 0);
  };
  const ready = async (node: CliNode) => (await fetch(`${node.adminUrl}/status/ready`)).status === 200;
  const call = (node: CliNode, user: string, password: string) =>
    fetch(`${node.proxyUrl}/intranet`, { headers: { authorization: basic(user, password) } }).then((r) => r.status);
  const keyring = async (node: CliNode) => (await admin(node, 'GET', '/keyring')).body;
  let n1: CliNode;
  let n2: CliNode;

  before(async () => {
    upstream = await startEchoUpstream();
    database = await createTestDatabase('postgres');
    configs.push(configFor(), configFor(), configFor());
  });
  after(async () => {
    for (const node of running) await node.stop();
    await upstream?.close();
    await database?.drop();
  });

  it('a node started with another data folder is not ready, gets the keyring from a running node, then serves what that node encrypted', async () => {
    n1 = await start(configs[0]!);
    await until('node 1 ready', () => ready(n1));
    assert.equal((await admin(n1, 'POST', '/services', { name: 'intranet', url: upstream.url })).status, 201);
    assert.equal((await admin(n1, 'POST', '/services/intranet/routes', { name: 'intranet', paths: ['/intranet'] })).status, 201);
    assert.equal((await admin(n1, 'POST', '/routes/intranet/plugins', { name: 'basic-auth' })).status, 201);
    assert.equal((await admin(n1, 'POST', '/consumers', { username: 'carol' })).status, 201);
    assert.equal((await admin(n1, 'POST', '/consumers/carol/basic-auth', { username: 'carol', password: 'carol-password' })).status, 201);

    n2 = await start(configs[1]!);
    // At its start it lacks node 1's key (its own data folder is empty): it says so before asking.
    assert.ok(n2.logs.some((l) => l.includes('keyring incomplete')));
    await until('node 2 ready', () => ready(n2));
    const status = await keyring(n2);
    assert.equal(status.complete, true);
    assert.deepEqual(status.ids, (await keyring(n1)).ids);
    await until('node 2 authenticates a credential node 1 created', async () => (await call(n2, 'carol', 'carol-password')) === 200);
    assert.equal(await call(n2, 'carol', 'wrong-password'), 401);
    assert.ok(n1.logs.some((l) => l.includes('keyring keys handed to another node')));
    assert.ok(n2.logs.some((l) => l.includes('keyring keys received from another node')));
  });

  it('a key generated and activated on node 2 reaches node 1, which reads values written under it', async () => {
    const made = await admin(n2, 'POST', '/keyring/generate');
    assert.equal(made.status, 200);
    secrets.push(made.body.key);
    assert.equal((await admin(n2, 'POST', '/keyring/activate', { key: made.body.id })).status, 204);
    await until('node 1 holds and uses the new key', async () => {
      const k = await keyring(n1);
      return k.active === made.body.id && k.complete === true;
    });
    assert.equal((await admin(n2, 'POST', '/consumers', { username: 'dave' })).status, 201);
    assert.equal((await admin(n2, 'POST', '/consumers/dave/basic-auth', { username: 'dave', password: 'dave-password' })).status, 201);
    await until('node 1 authenticates a credential written on node 2 under the new key', async () => (await call(n1, 'dave', 'dave-password')) === 200);
    assert.equal((await admin(n1, 'POST', '/consumers/carol/basic-auth', { username: 'carol-2', password: 'carol-2-password' })).status, 201);
    // Each node counted one encryption under the new key; both show the cluster's sum once they persisted their counts.
    await until('both nodes show the summed encryption count', async () => {
      const [a, b] = await Promise.all([keyring(n1), keyring(n2)]);
      const count = (k: { keys: { id: string; encryptions: number }[] }) => k.keys.find((x) => x.id === made.body.id)!.encryptions;
      return count(a) === count(b) && count(a) >= 2;
    });
  });

  it('with no node holding the keys, a fresh node reports PC_KEYRING_NOT_SHARED, then completes by itself when a holder starts', async () => {
    await stop(n1);
    await stop(n2);
    const n3 = await start(configs[2]!);
    await until('node 3 reports the keys as not shared', async () => (await admin(n3, 'GET', '/status')).body.keyring?.error?.code === 'PC_KEYRING_NOT_SHARED');
    const status = (await admin(n3, 'GET', '/status')).body;
    assert.match(status.keyring.error.message, /portcullis keyring import/);
    const notReady = await fetch(`${n3.adminUrl}/status/ready`);
    assert.equal(notReady.status, 503);
    assert.match(((await notReady.json()) as { message: string }).message, /PC_KEYRING_NOT_SHARED/);
    const lines = n3.logs.filter((l) => l.includes('No running node has handed over keyring'));
    assert.equal(lines.length, 1, 'one clear error line');
    assert.equal(JSON.parse(lines[0]!).level, 'error');

    n1 = await start(configs[0]!); // restarts from its own blob file, which holds the key node 2 made
    await until('node 3 ready without a restart', () => ready(n3), 30_000);
    assert.equal(await call(n3, 'dave', 'dave-password'), 200);
    assert.ok(n3.logs.some((l) => l.includes('keyring complete again')));
  });

  it('leaves no key material in plaintext in the database', async () => {
    const client = new pg.Client({
      host: database.config.database === 'postgres' ? database.config.pg_host : '',
      port: database.config.database === 'postgres' ? database.config.pg_port : 0,
      user: database.config.database === 'postgres' ? database.config.pg_user : '',
      password: database.config.database === 'postgres' ? database.config.pg_password : '',
      database: database.config.database === 'postgres' ? database.config.pg_database : '',
    });
    await client.connect();
    try {
      const forms = secrets.flatMap((b64) => {
        const raw = Buffer.from(b64, 'base64');
        return [b64, raw.toString('base64url'), raw.toString('hex')];
      });
      assert.ok(forms.length > 0);
      for (const table of ['keyring_exchange', 'cluster_events', 'keyring_keys', 'keyring_blobs', 'cluster_nodes']) {
        const exists = await client.query('select to_regclass($1) as t', [table]);
        if (!exists.rows[0].t) continue;
        const text = JSON.stringify((await client.query(`select * from ${table}`)).rows).toLowerCase();
        for (const form of forms) assert.ok(!text.includes(form.toLowerCase()), `${table} holds key material`);
      }
    } finally {
      await client.end();
    }
  });
});
