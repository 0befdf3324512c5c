/**
 * The stand-in on `admin_listen` while a node waits for its database: the readiness probe answers
 * "not ready, waiting for the database" to anyone, `/status` needs the admin token when one is
 * set, every other path is 503, and closing frees the address for the real Admin API.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
// @ts-expect-error: a plain ES module of the test tooling, without types
import { freePort } from '../../scripts/test-postgres.mjs';
import { loadConfig } from '../config/load-config.js';
import { startStartingListener } from './starting-listener.js';

const TOKEN = 'a-long-admin-token-0123456789';

describe('the starting listener', () => {
  const CASES: { name: string; path: string; headers: Record<string, string>; status: number; code: string | undefined }[] = [
    { name: 'the readiness probe, without a token', path: '/status/ready', headers: {}, status: 503, code: 'PC_ADMIN_NOT_READY' },
    { name: '/status without a token', path: '/status', headers: {}, status: 401, code: 'PC_ADMIN_UNAUTHORIZED' },
    { name: '/status with a wrong token', path: '/status', headers: { authorization: 'Bearer wrong' }, status: 401, code: 'PC_ADMIN_UNAUTHORIZED' },
    { name: '/status with the token', path: '/status', headers: { authorization: `Bearer ${TOKEN}` }, status: 200, code: undefined },
    { name: '/status with the token in its own header', path: '/status', headers: { 'portcullis-admin-token': TOKEN }, status: 200, code: undefined },
    { name: 'an Admin API route', path: '/services', headers: { authorization: `Bearer ${TOKEN}` }, status: 503, code: 'PC_ADMIN_NOT_READY' },
  ];

  it('answers each path as a node that is not ready yet, and frees its address when closed', async () => {
    const port: number = await freePort();
    const config = { ...loadConfig({ env: {} }), database: 'postgres' as const, admin_listen: `127.0.0.1:${port}`, admin_token: TOKEN };
    const listener = await startStartingListener(config, { nodeName: 'edge-1', instanceId: 'f1e2d3c4-0000-4000-8000-000000000001' });
    listener.setCause('db.internal:5432 is unreachable (ECONNREFUSED)');
    try {
      for (const c of CASES) {
        const res = await fetch(`http://127.0.0.1:${port}${c.path}`, { headers: c.headers });
        const body = (await res.json()) as any;
        assert.equal(res.status, c.status, c.name);
        assert.equal(body.code, c.code, c.name);
        if (c.status === 503) assert.match(body.message, /waiting for the database/);
        if (c.status === 200) {
          assert.deepEqual(
            { instance: body.instance_id, name: body.node_name, starting: body.starting, ready: body.ready, db: body.database },
            {
              instance: 'f1e2d3c4-0000-4000-8000-000000000001',
              name: 'edge-1',
              starting: true,
              ready: false,
              db: {
                dialect: 'postgres',
                reachable: false,
                writable: false,
                error: { code: 'PC_STORE_UNAVAILABLE', message: 'db.internal:5432 is unreachable (ECONNREFUSED)' },
              },
            },
          );
        }
      }
    } finally {
      await listener.close();
    }
    // The real Admin API binds the same address next.
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses to start on an address already taken (the start reports it)', async () => {
    const port: number = await freePort();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    try {
      const config = { ...loadConfig({ env: {} }), admin_listen: `127.0.0.1:${port}` };
      await assert.rejects(startStartingListener(config, { nodeName: 'n', instanceId: 'i' }), /EADDRINUSE/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
