/** The env backend against an environment object the harness owns (the node passes process.env). */
import { envBackend, envVariableName } from '../../../src/secrets/backends/env/env-backend.js';
import { createLogger } from '../../../src/observability/logger.js';
import type { HarnessFactory } from './harness.js';

const factory: HarnessFactory = async () => {
  const env: Record<string, string | undefined> = {};
  let n = 0;
  const deps = { logger: createLogger({ level: 'silent' }), env, timeout: 1000 };
  return {
    factory: envBackend,
    backend: () => envBackend.create({}, deps),
    backendWithBadCredentials: () => null,
    backendUnreachable: () => null,
    async write(resource, value) {
      env[envVariableName(resource)] = value;
      return undefined;
    },
    decode: (v) => v,
    resource: () => `contract-secret-${++n}`,
    hang: null,
    credentials: [],
    async close() {},
  };
};
export default factory;
