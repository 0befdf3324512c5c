/**
 * The gcp backend without `service_account_key`: application default credentials from the key
 * file GOOGLE_APPLICATION_CREDENTIALS names in the node's environment (`deps.env`).
 *
 * ADC's other steps read process.env inside google-auth-library, so this file (its own process
 * under node's test runner) seals it: no inherited GOOGLE_* or metadata variables, a HOME without a
 * gcloud login, and METADATA_SERVER_DETECTION=none (the metadata server is gcp-backend-adc-metadata's subject).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../observability/logger.js';
import { createServiceAccountKey, startGcpSecretManagerFake, type GcpSecretManagerFake } from '../../../../test/fakes/gcp-secret-manager.js';
import { gcpBackend } from './index.js';
import { PROJECT, readFailure, signal } from './testing/gcp-test-setup.js';

const home = mkdtempSync(join(tmpdir(), 'portcullis-gcp-adc-'));
for (const name of Object.keys(process.env)) if (/^(GOOGLE_|GCE_METADATA|CLOUDSDK_|GCLOUD_)/.test(name)) delete process.env[name];
process.env['HOME'] = home;
process.env['METADATA_SERVER_DETECTION'] = 'none';

const key = createServiceAccountKey(PROJECT, 'adc-reader');

describe('gcp backend with application default credentials from a key file', () => {
  let fake: GcpSecretManagerFake;
  const backendWith = (env: Record<string, string>) =>
    gcpBackend.create({ project_id: PROJECT, api_endpoint: fake.endpoint }, { logger: createLogger({ level: 'silent' }), env, timeout: 5000 });
  const file = (name: string, text: string) => {
    const path = join(home, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };

  before(async () => {
    fake = await startGcpSecretManagerFake({ projectId: PROJECT, serviceAccounts: [key] });
    fake.addVersion('adc-secret', 'from adc');
  });
  after(async () => {
    await fake.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('signs with the key file GOOGLE_APPLICATION_CREDENTIALS names in the node environment', async () => {
    const backend = backendWith({ GOOGLE_APPLICATION_CREDENTIALS: file('key.json', key.json) });
    assert.equal((await backend.read('adc-secret', null, {}, signal())).value, 'from adc');
    await backend.close?.();
    const jwt = String(fake.requests.at(-1)?.headers.authorization).replace(/^Bearer /, '');
    const header = JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: string };
    assert.equal(header.kid, key.keyId);
    assert.equal(process.env['GOOGLE_APPLICATION_CREDENTIALS'], undefined, 'the process environment was not the source');
  });

  it('finds no credentials at all: unauthorized, saying where it looked, without a request', async () => {
    const before = fake.requests.length;
    const backend = backendWith({});
    const err = await readFailure(backend.read('adc-secret', null, {}, signal()));
    assert.equal(err.kind, 'unauthorized');
    assert.match(err.message, /application default credentials found none/);
    assert.equal(fake.requests.length, before);
    await backend.close?.();
  });

  it('a key file that is missing or not a key is unauthorized, without a request and without quoting the file', async () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ['a missing file', join(home, 'no-such-key.json')],
      ['a PEM key instead of the JSON key file', file('key.pem', key.privateKeyPem)],
      ['a JSON key file cut short', file('short.json', key.json.slice(0, key.json.length / 2))],
    ];
    for (const [what, path] of cases) {
      const before = fake.requests.length;
      const backend = backendWith({ GOOGLE_APPLICATION_CREDENTIALS: path });
      const err = await readFailure(backend.read('adc-secret', null, {}, signal()));
      assert.equal(err.kind, 'unauthorized', `${what}: ${err.message}`);
      assert.equal(fake.requests.length, before, what);
      for (const line of key.privateKeyPem.split('\n').filter((l) => l.length > 20)) {
        assert.ok(!err.message.includes(line) && !String(err.stack).includes(line), `${what}: the key is quoted`);
      }
      await backend.close?.();
    }
  });

  it('obtains credentials again on the next read once the key file is fixed', async () => {
    const path = file('later.json', '{}');
    const backend = backendWith({ GOOGLE_APPLICATION_CREDENTIALS: path });
    assert.equal((await readFailure(backend.read('adc-secret', null, {}, signal()))).kind, 'unauthorized');
    writeFileSync(path, key.json);
    assert.equal((await backend.read('adc-secret', null, {}, signal())).value, 'from adc');
    await backend.close?.();
  });
});
