/**
 * The conjur backend against the Conjur fake (test/fakes/conjur.ts) over HTTPS, logging in as a
 * host; resources hold `/` (sent as one %2F-encoded path segment) and Conjur's version numbers.
 */
import { randomBytes } from 'node:crypto';
import { conjurBackend } from '../../../src/secrets/backends/conjur/index.js';
import { createLogger } from '../../../src/observability/logger.js';
import { startConjurFake } from '../../fakes/conjur.js';
import { LOCALHOST_TLS } from '../../support/tls-fixtures.js';
import type { HarnessFactory } from './harness.js';

const factory: HarnessFactory = async () => {
  const fake = await startConjurFake({ tls: LOCALHOST_TLS });
  const login = 'host/contract/portcullis';
  const apiKey = randomBytes(24).toString('hex');
  fake.addRole(login, apiKey);
  const deps = { logger: createLogger({ level: 'silent' }), env: {}, timeout: 2000 };
  const config = (overrides: Record<string, string> = {}) =>
    ({ endpoint_url: fake.url, auth_method: 'api_key', account: fake.account, login, api_key: apiKey, ...overrides }) as const;
  let n = 0;
  return {
    factory: conjurBackend,
    backend: () => conjurBackend.create(config(), deps),
    backendWithBadCredentials: () => conjurBackend.create(config({ api_key: `${apiKey}x` }), deps),
    // Port 9 (discard) on loopback: nothing listens there.
    backendUnreachable: () => conjurBackend.create(config({ endpoint_url: 'https://127.0.0.1:9' }), deps),
    write: async (resource, value) => String(fake.addSecret(resource, value)),
    decode: (v) => v,
    resource: () => `contract/app-${++n}/db password`,
    missingVersion: '999999',
    hang: (on) => fake.hang(on),
    // The API key, and every access token the backend sent so far.
    get credentials() {
      return [apiKey, ...fake.requests.flatMap((r) => /token="([^"]+)"/.exec(r.headers.authorization ?? '')?.[1] ?? [])];
    },
    close: () => fake.close(),
  };
};
export default factory;
