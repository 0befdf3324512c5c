/** Masking literal secrets in a dump and restoring the stored values behind markers on apply. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maskSecrets, restoreSecrets, type NestedSecrets } from './declarative-secrets.js';
import { SECRET_MARKER } from './declarative-kinds.js';

// A plugin whose config holds secrets at `password` and in each element of `backends`.
const nested: NestedSecrets = { plugins: { field: 'config', paths: () => [['password'], ['backends', '*', 'token']] } };
const M = SECRET_MARKER;

describe('maskSecrets', () => {
  const cases: [string, unknown, unknown][] = [
    ['a literal', 'hunter2', M],
    ['a reference', '{vault://env/db-password}', '{vault://env/db-password}'],
    ['a reference inside other text', 'Bearer {vault://aws/token}', 'Bearer {vault://aws/token}'],
    ['null', null, null],
  ];
  for (const [what, value, shown] of cases) {
    it(`shows ${what} in a certificate key and a nested config field as ${JSON.stringify(shown)}`, () => {
      assert.deepEqual(maskSecrets('certificates', { cert: 'PEM', key: value, key_alt: null, tags: [] }, nested), {
        cert: 'PEM',
        key: shown,
        key_alt: null,
        tags: [],
      });
      const config = { password: value, backends: [{ token: value, url: 'u' }, { url: 'v' }] };
      assert.deepEqual(maskSecrets('plugins', { name: 'p', config }, nested), {
        name: 'p',
        config: { password: shown, backends: [{ token: shown, url: 'u' }, { url: 'v' }] },
      });
    });
  }

  it('leaves fields that are not encrypted alone, even when they look secret', () => {
    const fields = { name: 'p', config: { username: 'svc', other_password: 'x' } };
    assert.deepEqual(maskSecrets('plugins', fields, nested), fields);
  });
});

describe('restoreSecrets', () => {
  const stored = { name: 'p', config: { password: 'old-pw', backends: [{ token: 't0' }, { token: 't1' }] } };

  it('puts back the stored value at the same place, list index included, and keeps new literals', () => {
    const file = { name: 'p', config: { password: M, backends: [{ token: 'new' }, { token: M }] } };
    const { fields, errors } = restoreSecrets('plugins', file, stored, nested, 'plugins[0]');
    assert.deepEqual(errors, []);
    assert.deepEqual(fields, { name: 'p', config: { password: 'old-pw', backends: [{ token: 'new' }, { token: 't1' }] } });
  });

  it('names every marker with nothing behind it: a new entity, an empty stored field, a new list element', () => {
    const file = { name: 'p', config: { password: M, backends: [{ token: M }, { token: M }, { token: M }] } };
    const created = restoreSecrets('plugins', file, null, nested, 'plugins[3]');
    assert.deepEqual(
      created.errors.map((e) => e.path),
      ['plugins[3].config.password', 'plugins[3].config.backends[0].token', 'plugins[3].config.backends[1].token', 'plugins[3].config.backends[2].token'],
    );
    assert.match(created.errors[0]!.message, /a new entity/);
    const updated = restoreSecrets('plugins', file, { name: 'p', config: { backends: [{ token: 't0' }] } }, nested, 'plugins[0]');
    assert.deepEqual(
      updated.errors.map((e) => e.path),
      ['plugins[0].config.password', 'plugins[0].config.backends[1].token', 'plugins[0].config.backends[2].token'],
    );
    const cert = restoreSecrets('certificates', { cert: 'PEM', key: M }, null, nested, 'certificates[1]');
    assert.deepEqual(
      cert.errors.map((e) => e.path),
      ['certificates[1].key'],
    );
  });
});
