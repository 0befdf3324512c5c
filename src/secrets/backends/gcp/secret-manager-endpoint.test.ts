import { it } from 'node:test';
import assert from 'node:assert/strict';
import { secretManagerEndpoint } from './secret-manager-endpoint.js';

it('connects to the global endpoint, the regional one for a location, or the api_endpoint given', () => {
  const cases: ReadonlyArray<readonly [{ api_endpoint?: string; location?: string }, string, string, number]> = [
    [{}, 'googleapis.com', 'secretmanager.googleapis.com', 443],
    [{ location: 'europe-west1' }, 'googleapis.com', 'secretmanager.europe-west1.rep.googleapis.com', 443],
    [{ location: 'u-france-east1' }, 's3nsapis.fr', 'secretmanager.u-france-east1.rep.s3nsapis.fr', 443],
    [{ api_endpoint: 'secretmanager-psc.p.googleapis.com' }, 'googleapis.com', 'secretmanager-psc.p.googleapis.com', 443],
    [{ api_endpoint: '127.0.0.1:8443', location: 'europe-west1' }, 'googleapis.com', '127.0.0.1', 8443],
  ];
  for (const [config, universe, host, port] of cases) assert.deepEqual(secretManagerEndpoint(config, universe), { host, port }, JSON.stringify(config));
});
