import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Type from 'typebox';
import type { PluginDefinition } from './plugin.js';
import { BUILTIN_PLUGINS, createPluginRegistry } from './registry.js';

const sample: PluginDefinition = {
  name: 'sample',
  priority: 10,
  configSchema: Type.Object(
    { limit: Type.Integer({ minimum: 1, default: 5 }), names: Type.Array(Type.String(), { default: ['a'] }) },
    { additionalProperties: false },
  ),
  create: () => ({}),
};

describe('createPluginRegistry', () => {
  it('finds plugins by name and lists them in the given order', () => {
    const registry = createPluginRegistry([sample, ...BUILTIN_PLUGINS]);
    assert.equal(registry.get('sample'), sample);
    assert.equal(registry.get('request-termination')?.priority, 2);
    assert.equal(registry.get('nope'), undefined);
    assert.deepEqual(
      registry.list().map((p) => p.name),
      ['sample', ...BUILTIN_PLUGINS.map((p) => p.name)],
    );
  });

  it('lists the config paths a plugin schema marks encrypted (upstream-auth’s secrets, none for other built-ins, none for unknown plugins)', () => {
    const secretive: PluginDefinition = {
      name: 'secretive',
      priority: 1,
      configSchema: Type.Object({
        token: Type.String({ encrypted: true }),
        upstreams: Type.Array(Type.Object({ password: Type.String({ encrypted: true }) })),
      }),
      create: () => ({}),
    };
    const registry = createPluginRegistry([secretive, ...BUILTIN_PLUGINS]);
    assert.deepEqual(registry.encryptedPaths('secretive'), [['token'], ['upstreams', '*', 'password']]);
    assert.deepEqual(registry.encryptedPaths('upstream-auth'), [
      ['header_value'],
      ['password'],
      ['client_secret'],
      ['access_key_id'],
      ['secret_access_key'],
      ['session_token'],
    ]);
    for (const p of BUILTIN_PLUGINS.filter((b) => b.name !== 'upstream-auth')) assert.deepEqual(registry.encryptedPaths(p.name), []);
    assert.deepEqual(registry.encryptedPaths('nope'), []);
  });

  it('refuses two plugins with the same name', () => {
    assert.throws(() => createPluginRegistry([sample, sample]), /registered twice/);
  });

  it('applies schema defaults without changing the input', () => {
    const registry = createPluginRegistry([sample]);
    const input = {};
    const result = registry.validateConfig('sample', input);
    assert.deepEqual(result, { config: { limit: 5, names: ['a'] }, errors: [] });
    assert.deepEqual(input, {});
    assert.deepEqual(registry.validateConfig('sample', undefined).config, { limit: 5, names: ['a'] });
  });

  it('reports invalid fields with paths prefixed by config.', () => {
    const registry = createPluginRegistry([sample]);
    const { errors } = registry.validateConfig('sample', { limit: 0, extra: true, names: [1] });
    const paths = errors.map((e) => e.path).sort();
    assert.deepEqual(paths, ['config.extra', 'config.limit', 'config.names.0']);
  });

  it('reports an unknown plugin on the name and a non-object config on config', () => {
    const registry = createPluginRegistry([sample]);
    assert.deepEqual(
      registry.validateConfig('ghost', {}).errors.map((e) => e.path),
      ['name'],
    );
    assert.deepEqual(registry.validateConfig('sample', [1]).errors, [{ path: 'config', message: 'must be an object' }]);
  });
});
