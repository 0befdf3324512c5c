/**
 * The `aws` backend through the official SDK against the Secrets Manager fake, with static keys
 * from a shared credentials file profile named in the backend's own `env` (so the suite's process
 * environment, and a developer's AWS profile, play no part).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { awsBackend } from '../../../src/secrets/backends/aws/index.js';
import { createLogger } from '../../../src/observability/logger.js';
import { startSecretsManagerFake } from '../../fakes/aws-secrets-manager.js';
import { closedPort } from '../../fakes/fake-server.js';
import type { HarnessFactory } from './harness.js';

const factory: HarnessFactory = async () => {
  const good = { accessKeyId: 'AKIACONTRACTGOOD0001', secretAccessKey: randomBytes(30).toString('base64') };
  const bad = { accessKeyId: 'AKIACONTRACTBAD00001', secretAccessKey: randomBytes(30).toString('base64') };
  const fake = await startSecretsManagerFake({ region: 'eu-west-3', credentials: [good] });
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-aws-contract-'));
  const credentialsFile = join(dir, 'credentials');
  const profile = (name: string, c: typeof good) => `[${name}]\naws_access_key_id = ${c.accessKeyId}\naws_secret_access_key = ${c.secretAccessKey}\n`;
  writeFileSync(credentialsFile, `${profile('contract', good)}\n${profile('contract-bad', bad)}`);
  writeFileSync(join(dir, 'config'), '');
  const deps = (name: string) => ({
    logger: createLogger({ level: 'silent' }),
    env: { AWS_PROFILE: name, AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_CONFIG_FILE: join(dir, 'config') },
    timeout: 2000,
  });
  const config = (endpoint: string) => ({ region: 'eu-west-3', endpoint_url: endpoint, role_session_name: 'portcullis' });
  const unreachable = `http://127.0.0.1:${await closedPort()}`;
  let n = 0;
  return {
    factory: awsBackend,
    backend: () => awsBackend.create(config(fake.url), deps('contract')),
    backendWithBadCredentials: () => awsBackend.create(config(fake.url), deps('contract-bad')),
    backendUnreachable: () => awsBackend.create(config(unreachable), deps('contract')),
    write: async (resource, value) => fake.putSecretValue(resource, value),
    decode: (v) => v,
    resource: () => `contract/secret-${++n}`,
    missingVersion: randomUUID(),
    hang: (on) => fake.hang(on),
    credentials: [good.secretAccessKey, bad.secretAccessKey],
    async close() {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
export default factory;
