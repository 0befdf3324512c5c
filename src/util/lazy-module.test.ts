import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lazyModule } from './lazy-module.js';

describe('lazyModule', () => {
  it('requires the package at the first call only, and returns it every time', () => {
    const asked: string[] = [];
    const get = lazyModule<{ sep: string }>('node:path', 'the test', (id) => (asked.push(id), { sep: '/' }));
    assert.deepEqual(asked, [], 'nothing is loaded before the first use');
    assert.equal(get().sep, '/');
    assert.equal(get().sep, '/');
    assert.deepEqual(asked, ['node:path']);
  });

  it('loads a real package with the default require', () => {
    const bcrypt = lazyModule<typeof import('@node-rs/bcrypt')>('@node-rs/bcrypt', 'the bcrypt hasher');
    assert.equal(typeof bcrypt().verify, 'function');
  });

  for (const specifier of ['@node-rs/no-such-hasher', 'no-such-package', './no-such-file.js']) {
    it(`throws at each use an error naming ${specifier} and what needs it, when it cannot be loaded`, () => {
      const get = lazyModule(specifier, 'the argon2id hasher');
      for (let attempt = 0; attempt < 2; attempt++) {
        assert.throws(get, (err: unknown) => {
          assert.ok(err instanceof Error);
          assert.ok(err.message.startsWith(`the argon2id hasher needs the package ${specifier}, which cannot be loaded (`), err.message);
          return true;
        });
      }
    });
  }
});
