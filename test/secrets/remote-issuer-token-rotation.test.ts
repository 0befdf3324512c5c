/**
 * Rotation on failure of a remote issuer's token: `api_keys.issuers[].token` is a reference to a
 * Vault secret (a config-file vault, the real hcv backend, the Vault fake). The issuer moves to a
 * new token while the node runs: the node's next question is refused (401), it fetches the token
 * again at once and asks once more, and the client's request goes through.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadResolvedConfig } from '../../src/config/load-resolved-config.js';
import { createLogger } from '../../src/observability/logger.js';
import { startNode, type RunningNode } from '../../src/node/node.js';
import { generateApiKey } from '../../src/apikeys/key-format.js';
import { startVaultFake, type VaultFake } from '../fakes/vault-kv2.js';
import { startEchoUpstream, type EchoUpstream } from '../e2e/support/upstream.js';

const VAULT_TOKEN = 'hvs.issuer-rotation-0f3a';
const TOKENS = ['issuer-token-one-8c2d', 'issuer-token-two-41e7'] as const;

describe("a remote issuer's token from a vault, rotated while the node runs", () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-issuer-rotation-'));
  const logs: Record<string, any>[] = [];
  let vault: VaultFake;
  let issuer: Server;
  let upstream: EchoUpstream;
  let node: RunningNode;
  let acceptedToken: string = TOKENS[0];
  const presented: string[] = [];

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${node.adminAddress.port}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, text: await res.text() };
  };

  before(async () => {
    vault = await startVaultFake({ token: VAULT_TOKEN });
    vault.writeSecret('secret', 'issuer', { token: TOKENS[0] });
    issuer = createServer((req, res) => {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      presented.push(token);
      req.resume().on('end', () => {
        if (token !== acceptedToken) return void res.writeHead(401).end();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ valid: true }));
      });
    });
    await new Promise<void>((resolve) => issuer.listen(0, '127.0.0.1', resolve));
    upstream = await startEchoUpstream();
    const vaultUrl = new URL(vault.url);
    const env = {
      VAULT_TOKEN,
      PORTCULLIS_SQLITE_PATH: join(dir, 'portcullis.db'),
      PORTCULLIS_PROXY_LISTEN: '127.0.0.1:0',
      PORTCULLIS_PROXY_LISTEN_TLS: 'off',
      PORTCULLIS_ADMIN_LISTEN: '127.0.0.1:0',
      PORTCULLIS_VAULTS: JSON.stringify([
        {
          prefix: 'hv',
          name: 'hcv',
          config: { protocol: 'http', host: vaultUrl.hostname, port: Number(vaultUrl.port), kv: 'v2', token: '{vault://env/vault-token}' },
        },
      ]),
      PORTCULLIS_API_KEYS_ISSUERS: JSON.stringify([
        { name: 'portcullis', prefix: 'pcg', type: 'local' },
        {
          name: 'mgmt',
          prefix: 'mgt',
          type: 'remote',
          url: `http://127.0.0.1:${(issuer.address() as AddressInfo).port}/validate`,
          token: '{vault://hv/issuer/token}',
        },
      ]),
    };
    const loaded = await loadResolvedConfig({ env });
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(JSON.parse(line)) } });
    node = await startNode({ config: loaded.config, env, configReferences: loaded.references, configFields: loaded.fields, logger });
    assert.equal((await admin('POST', '/services', { name: 'api', url: upstream.url })).status, 201);
    assert.equal((await admin('POST', '/services/api/routes', { name: 'r', paths: ['/api'] })).status, 201);
    assert.equal((await admin('POST', '/services/api/plugins', { name: 'key-auth' })).status, 201);
  });

  after(async () => {
    await node?.close();
    await vault?.close();
    await upstream?.close();
    await new Promise((resolve) => issuer?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (key: string) => fetch(`http://127.0.0.1:${node.proxyAddress.port}/api/x`, { headers: { apikey: key } }).then((r) => r.status);

  it('asks with the token from the vault', async () => {
    assert.equal(await call(generateApiKey('mgt').key.reveal()), 200);
    assert.deepEqual(presented, [TOKENS[0]]);
  });

  it('when the issuer refuses the token, fetches it again and asks once more', async () => {
    acceptedToken = TOKENS[1];
    vault.writeSecret('secret', 'issuer', { token: TOKENS[1] });
    presented.length = 0;
    assert.equal(await call(generateApiKey('mgt').key.reveal()), 200);
    assert.deepEqual(presented, [TOKENS[0], TOKENS[1]]);
    presented.length = 0;
    assert.equal(await call(generateApiKey('mgt').key.reveal()), 200);
    assert.deepEqual(presented, [TOKENS[1]], 'later questions use the new token at once');
  });

  it('a key the issuer does not know stays unknown: one more question at most, then 401', async () => {
    acceptedToken = 'nobody-has-this';
    presented.length = 0;
    assert.equal(await call(generateApiKey('mgt').key.reveal()), 401);
    assert.ok(presented.length <= 2, `asked ${presented.length} times`);
    const text = logs.map((l) => JSON.stringify(l)).join('\n');
    for (const secret of [...TOKENS, VAULT_TOKEN]) assert.ok(!text.includes(secret), 'a token reached the log');
  });
});
