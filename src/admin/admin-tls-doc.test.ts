/**
 * Keeps the "Admin API over TLS" section of docs/operations.md true: its ```yaml
 * admin-tls-example block loads (references resolved from the environment) into a configuration
 * whose HTTPS Admin API starts on a non-loopback address, answers the documented curl call (CA
 * and bearer token) and refuses it without the token; the same block without `admin_token`
 * refuses to load.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadResolvedConfig } from '../config/load-resolved-config.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createAdminHarness } from '../../test/support/admin-harness.js';
import { createTestCa, type TestCa, type TestCertificate } from '../../test/support/certificates.js';

const WHOLE = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
/** The section under test, up to the next section. */
const DOC = WHOLE.slice(WHOLE.indexOf('## The Admin API over TLS'), WHOLE.indexOf('\n## ', WHOLE.indexOf('## The Admin API over TLS') + 1));
const TOKEN = 'doc-example-admin-token-0123456789abcdef';

/** The body of the fenced block whose info string is `info`. */
function block(info: string): string {
  const start = DOC.indexOf(`\`\`\`${info}\n`);
  assert.notEqual(start, -1, `the section has a \`\`\`${info} block`);
  const body = DOC.slice(start + info.length + 4);
  return body.slice(0, body.indexOf('```'));
}

function get(port: number, path: string, ca: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca: [ca], servername: 'admin.internal.example', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('docs/operations.md: the Admin API over TLS', () => {
  let database: TestDatabase;
  let dir: string;
  let ca: TestCa;
  let pair: TestCertificate;
  let env: Record<string, string>;

  before(async () => {
    database = await createTestDatabase('sqlite');
    dir = mkdtempSync(join(tmpdir(), 'portcullis-admin-tls-doc-'));
    ca = await createTestCa({ name: 'admin CA' });
    pair = await ca.issue({ names: ['admin.internal.example'] });
    env = { ADMIN_TOKEN: TOKEN, ADMIN_TLS_CERT: pair.cert, ADMIN_TLS_KEY: pair.key };
  });
  after(async () => {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the example starts an HTTPS Admin API that answers the documented curl call', async () => {
    const file = join(dir, 'portcullis.yaml');
    writeFileSync(file, block('yaml admin-tls-example'));
    const { config } = await loadResolvedConfig({ file, env });
    assert.deepEqual([config.admin_listen_tls, config.admin_tls_cert, config.admin_tls_key], ['0.0.0.0:8444', pair.cert, pair.key]);

    // The documented addresses, on ports free here.
    const h = await createAdminHarness(database, { config: { ...config, admin_listen: '127.0.0.1:0', admin_listen_tls: '0.0.0.0:0' } });
    try {
      await h.server.listen();
      const port = h.server.tlsAddress()!.port;
      const curl = /^curl --cacert admin-ca\.pem -H "Authorization: Bearer \$ADMIN_TOKEN" https:\/\/admin\.internal\.example:8444(\/\S+)$/m.exec(block('sh'));
      assert.ok(curl, 'the section shows the curl call with --cacert and the token');
      assert.equal(await get(port, curl[1]!, ca.cert, { authorization: `Bearer ${TOKEN}`, host: 'admin.internal.example:8444' }), 200);
      assert.equal(await get(port, curl[1]!, ca.cert, { host: 'admin.internal.example:8444' }), 401);
    } finally {
      await h.close();
    }
  });

  it('the example without admin_token refuses to load, naming admin_listen_tls', async () => {
    const file = join(dir, 'no-token.yaml');
    writeFileSync(file, block('yaml admin-tls-example').replace(/^admin_token:.*\n/m, ''));
    await assert.rejects(loadResolvedConfig({ file, env }), { name: 'ConfigError', message: /admin_listen_tls: 0\.0\.0\.0:8444 is not a loopback address/ });
  });
});
