import { it } from 'node:test';
import assert from 'node:assert/strict';
import { secretVersionName } from './secret-version-name.js';

it('names the version a reference reads, in the vault project (and location)', () => {
  const cases: ReadonlyArray<readonly [{ project_id: string; location?: string }, string, string | null, string]> = [
    [{ project_id: 'p-123456' }, 'db-password', null, 'projects/p-123456/secrets/db-password/versions/latest'],
    [{ project_id: 'p-123456' }, 'DB_password_2', '7', 'projects/p-123456/secrets/DB_password_2/versions/7'],
    [{ project_id: 'p-123456' }, 'db', 'prod-blue', 'projects/p-123456/secrets/db/versions/prod-blue'],
    [{ project_id: '42', location: 'europe-west1' }, 'db', 'latest', 'projects/42/locations/europe-west1/secrets/db/versions/latest'],
  ];
  for (const [scope, resource, version, expected] of cases) assert.equal(secretVersionName(scope, resource, version), expected);
});

it('refuses a resource or version Secret Manager cannot have, so a reference cannot reach another project', () => {
  const scope = { project_id: 'p-123456' };
  const cases: ReadonlyArray<readonly [string, string | null]> = [
    ['', null],
    ['a/b', null],
    ['../other', null],
    ['projects/x/secrets/y', null],
    ['with space', null],
    ['with.dot', null],
    ['é', null],
    ['s'.repeat(256), null],
    ['db', ''],
    ['db', '0'],
    ['db', '01'],
    ['db', '-3'],
    ['db', '2.0'],
    ['db', '9a'],
    ['db', 'a/b'],
    ['db', `a${'b'.repeat(63)}`],
    ['db', '1'.repeat(20)],
  ];
  for (const [resource, version] of cases) assert.equal(secretVersionName(scope, resource, version), null, `${resource}#${version}`);
  assert.ok(secretVersionName(scope, 's'.repeat(255), `a${'b'.repeat(62)}`));
});
