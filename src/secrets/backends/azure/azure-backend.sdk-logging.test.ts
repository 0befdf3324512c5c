/**
 * With the Azure SDK's own logging at its most verbose (`AZURE_LOG_LEVEL=verbose`, which operators
 * set to debug a connection, and which the SDK reads from the environment at load), a read that
 * succeeds and one refused for a wrong secret write neither client secret, token nor value to the
 * process's output. Run in a child process, since the SDK reads the variable once, at import.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startAzureFakes } from '../../../../test/support/azure-fakes.js';

const backendModule = fileURLToPath(new URL('./index.ts', import.meta.url));

it("the SDK's verbose log shows no client secret, token or secret value", async () => {
  const tenantId = randomUUID();
  const clientId = randomUUID();
  const clientSecret = `fake-client-secret-${randomBytes(12).toString('base64url')}`;
  const wrongSecret = `${clientSecret}-wrong`;
  const value = `value-${randomBytes(8).toString('hex')}`;
  const fakes = await startAzureFakes(tenantId, { apps: [{ tenantId, clientId, clientSecret }] });
  try {
    fakes.vault.setSecret('db-pass', value);
    const config = {
      vault_uri: fakes.vault.url,
      tenant_id: tenantId,
      client_id: clientId,
      authority_host: fakes.identity.url,
      disable_challenge_resource_verification: true,
    };
    const child = `
      const { azureBackend } = await import(${JSON.stringify(backendModule)});
      const deps = { logger: { warn() {} }, env: {}, timeout: 5000 };
      const config = ${JSON.stringify(config)};
      const ok = await azureBackend.create({ ...config, client_secret: process.env.CS }, deps).read('db-pass', null, {}, AbortSignal.timeout(5000));
      await azureBackend.create({ ...config, client_secret: process.env.WS }, deps).read('db-pass', null, {}, AbortSignal.timeout(5000)).catch(() => {});
      console.log(ok.value === process.env.EXPECTED ? 'READ-OK' : 'READ-WRONG');
    `;
    const output = await new Promise<string>((resolve, reject) => {
      const env = {
        PATH: process.env['PATH'],
        NODE_EXTRA_CA_CERTS: process.env['NODE_EXTRA_CA_CERTS'],
        AZURE_LOG_LEVEL: 'verbose',
        CS: clientSecret,
        WS: wrongSecret,
        EXPECTED: value,
      };
      const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
      proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
      proc.on('error', reject);
      proc.on('exit', () => resolve(out));
    });
    assert.match(output, /READ-OK/);
    assert.match(output, /azure:keyvault-secrets:info Request/, 'the SDK did log');
    assert.ok(fakes.identity.issued.length >= 1);
    for (const s of [clientSecret, wrongSecret, value, ...fakes.identity.issued]) assert.ok(!output.includes(s), 'the SDK log shows a secret');
  } finally {
    await fakes.close();
  }
});
