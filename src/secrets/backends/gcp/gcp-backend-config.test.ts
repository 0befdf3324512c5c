import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createValidator } from '../../../schema/validator.js';
import { flaggedPaths } from '../../../schema/flagged-paths.js';
import { GcpBackendConfig } from './gcp-backend-config.js';

const validator = createValidator(GcpBackendConfig);

describe('gcp vault config', () => {
  it('accepts project ids, project numbers, regions and endpoints as Google writes them', () => {
    const accepted: ReadonlyArray<Record<string, unknown>> = [
      { project_id: 'my-project' },
      { project_id: 'example.com:my-project' },
      { project_id: '123456789012' },
      { project_id: 'my-project', location: 'europe-west1' },
      { project_id: 'my-project', location: 'northamerica-northeast2' },
      { project_id: 'my-project', api_endpoint: 'secretmanager.googleapis.com' },
      { project_id: 'my-project', api_endpoint: 'secretmanager-psc.p.googleapis.com:443' },
      { project_id: 'my-project', api_endpoint: '127.0.0.1:65535' },
      { project_id: 'my-project', service_account_key: '{"type":"service_account"}' },
    ];
    for (const config of accepted) assert.deepEqual(validator.errors(config), [], JSON.stringify(config));
  });

  it('refuses what is not a project, region or host, and unknown keys', () => {
    const refused: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
      [{}, 'project_id'],
      [{ project_id: 'My-Project' }, 'project_id'],
      [{ project_id: 'short' }, 'project_id'],
      [{ project_id: 'ends-with-' }, 'project_id'],
      [{ project_id: 'a/../b' }, 'project_id'],
      [{ project_id: 'p'.repeat(31) }, 'project_id'],
      [{ project_id: 'my-project', location: 'Europe-West1' }, 'location'],
      [{ project_id: 'my-project', location: 'europe/west1' }, 'location'],
      [{ project_id: 'my-project', api_endpoint: 'https://secretmanager.googleapis.com' }, 'api_endpoint'],
      [{ project_id: 'my-project', api_endpoint: 'host/path' }, 'api_endpoint'],
      [{ project_id: 'my-project', api_endpoint: 'host:65536' }, 'api_endpoint'],
      [{ project_id: 'my-project', api_endpoint: 'host:0' }, 'api_endpoint'],
      [{ project_id: 'my-project', api_endpoint: 'user@host' }, 'api_endpoint'],
      [{ project_id: 'my-project', service_account_key: 'k'.repeat(16385) }, 'service_account_key'],
      [{ project_id: 'my-project', credentials: '{}' }, 'credentials'],
    ];
    for (const [config, path] of refused) {
      const errors = validator.errors(config);
      assert.ok(
        errors.some((e) => e.path === path),
        `${JSON.stringify(config).slice(0, 80)}: ${JSON.stringify(errors)}`,
      );
    }
  });

  it('flags the service-account key, and only it, as encrypted and referenceable', () => {
    assert.deepEqual(flaggedPaths(GcpBackendConfig, 'encrypted'), [['service_account_key']]);
    assert.deepEqual(flaggedPaths(GcpBackendConfig, 'referenceable'), [['service_account_key']]);
  });

  it('describes every key for the docs', () => {
    for (const [name, schema] of Object.entries(GcpBackendConfig.properties)) {
      const { description } = schema as { description?: unknown };
      assert.ok(typeof description === 'string' && description.length > 20, name);
    }
  });
});
