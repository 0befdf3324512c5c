import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VaultBackendError } from '../../vault-backend.js';
import { kvNotFound, kvSecret, kvTarget } from './kv-read.js';

const refusal = (fn: () => unknown): VaultBackendError => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof VaultBackendError);
    return err;
  }
  assert.fail('expected a VaultBackendError');
};

describe('kvTarget', () => {
  it('builds v1 and v2 paths, encoding each segment of the resource on its own', () => {
    for (const [mount, kv, resource, version, path] of [
      ['secret', 'v1', 'app/db', null, 'secret/app/db'],
      ['secret', 'v2', 'app/db', null, 'secret/data/app/db'],
      ['secret', 'v2', 'app/db', '3', 'secret/data/app/db?version=3'],
      ['kv/team', 'v2', 'db', null, 'kv/team/data/db'],
      ['secret', 'v1', 'a b/c', null, 'secret/a%20b/c'],
      ['secret', 'v2', 'q?x/h#y', null, 'secret/data/q%3Fx/h%23y'],
      ['secret', 'v2', 'per%cent/plus+/at@:', null, 'secret/data/per%25cent/plus%2B/at%40%3A'],
      ['secret', 'v1', 'ünï/☃', null, 'secret/%C3%BCn%C3%AF/%E2%98%83'],
    ] as const) {
      assert.equal(kvTarget(mount, kv, resource, version).path, path, `${mount} ${kv} ${resource}`);
    }
    assert.equal(kvTarget('secret', 'v2', 'app/db', '7').shown, 'secret/app/db#7');
  });

  it('refuses, as not_found, segments that URL normalisation would move', () => {
    for (const resource of ['a/../b', '..', './a', 'a/.', 'a//b', '/a', 'a/', '']) {
      const err = refusal(() => kvTarget('secret', 'v2', resource, null));
      assert.equal(err.kind, 'not_found', resource);
      assert.match(err.message, /not a Vault secret path/);
    }
  });

  it('refuses a version on a KV v1 mount, saying that v1 keeps none', () => {
    const err = refusal(() => kvTarget('secret', 'v1', 'app', '2'));
    assert.equal(err.kind, 'not_found');
    assert.match(err.message, /"secret\/app#2" names a version, but the mount "secret" is KV v1/);
  });

  it('refuses KV v2 versions that are not whole numbers from 1', () => {
    for (const version of ['0', '-1', '01', '1.5', '1e3', 'abc', ' 2', '12345678901', 'latest']) {
      assert.equal(refusal(() => kvTarget('secret', 'v2', 'app', version)).kind, 'not_found', version);
    }
  });
});

describe('kvSecret', () => {
  it('returns the map’s JSON text, and the version on v2', () => {
    assert.deepEqual(kvSecret('v1', { status: 200, body: { data: { a: 'b' } } }, 's/x'), { value: '{"a":"b"}' });
    assert.deepEqual(kvSecret('v2', { status: 200, body: { data: { data: { a: 'b' }, metadata: { version: 4 } } } }, 's/x'), {
      value: '{"a":"b"}',
      version: '4',
    });
  });

  it('is unavailable for answers that are not a KV secret of that version', () => {
    for (const [kv, body] of [
      ['v1', null],
      ['v1', { data: null }],
      ['v1', { data: ['a'] }],
      ['v1', { data: 'text' }],
      ['v2', { data: null }],
      ['v2', { data: { data: null } }],
      ['v2', { data: { data: 'x' } }],
    ] as const) {
      const err = refusal(() => kvSecret(kv, { status: 200, body }, 'secret/app'));
      assert.equal(err.kind, 'unavailable', JSON.stringify(body));
      assert.match(err.message, new RegExp(`"secret/app" is not a KV ${kv} secret`));
    }
  });
});

describe('kvNotFound', () => {
  it('tells Vault’s 404s apart', () => {
    const meta = (destroyed: boolean) => ({
      data: { data: null, metadata: { version: 2, deletion_time: destroyed ? '' : '2026-01-01T00:00:00Z', destroyed } },
    });
    for (const [kv, body, message] of [
      ['v2', { errors: [] }, /no secret at "s\/x" \(404\)/],
      ['v1', { errors: [] }, /no secret at/],
      ['v2', meta(false), /is deleted/],
      ['v2', meta(true), /is destroyed/],
      ['v1', { data: null, warnings: ['Invalid path for a versioned K/V secrets engine. See …'] }, /the mount is KV v2: set kv: v2/],
      ['v2', null, /no secret at/],
    ] as const) {
      const err = kvNotFound(kv, { status: 404, body }, 's/x');
      assert.equal(err.kind, 'not_found');
      assert.match(err.message, message);
    }
  });
});
