/**
 * The gcp backend (the official `@google-cloud/secret-manager` client, REST mode) against the
 * Secret Manager fake over HTTPS, signing its requests with a service-account key the fake knows.
 * The key is the vault's own config, so nothing here reads the process environment.
 */
import type { AddressInfo } from 'node:net';
import { gcpBackend } from '../../../src/secrets/backends/gcp/index.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createServiceAccountKey, startGcpSecretManagerFake } from '../../fakes/gcp-secret-manager.js';
import { closedPort } from '../../fakes/fake-server.js';
import type { HarnessFactory } from './harness.js';

const factory: HarnessFactory = async () => {
  const projectId = 'portcullis-test';
  const known = createServiceAccountKey(projectId, 'portcullis-reader');
  const unknown = createServiceAccountKey(projectId, 'portcullis-stranger');
  const fake = await startGcpSecretManagerFake({ projectId, serviceAccounts: [known] });
  const unreachable = `127.0.0.1:${await closedPort()}`;
  const deps = { logger: createLogger({ level: 'silent' }), env: {}, timeout: 5000 };
  const config = (key: string, endpoint = fake.endpoint) => ({ project_id: projectId, service_account_key: key, api_endpoint: endpoint });
  let n = 0;
  return {
    factory: gcpBackend,
    backend: () => gcpBackend.create(config(known.json), deps),
    backendWithBadCredentials: () => gcpBackend.create(config(unknown.json), deps),
    backendUnreachable: () => gcpBackend.create(config(known.json, unreachable), deps),
    write: async (resource, value) => fake.addVersion(resource, value),
    decode: (v) => v,
    resource: () => `contract-secret-${++n}`,
    missingVersion: '999999',
    hang: (on) => fake.hang(on),
    get credentials() {
      // The keys, and every Bearer token (self-signed JWT) the client sent.
      const bearers = fake.requests.map((r) => String(r.headers.authorization ?? '').replace(/^Bearer /, '')).filter(Boolean);
      return [known.json, known.privateKeyPem, unknown.json, unknown.privateKeyPem, ...bearers];
    },
    close: () => fake.close(),
  };
};
export default factory;
