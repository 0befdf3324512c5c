import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import Type from 'typebox';
import { lazyBackend } from './lazy-backend.js';
import { VaultBackendError, type VaultBackendFactory } from './vault-backend.js';
import { lazyAwsBackend, lazyAzureBackend, lazyGcpBackend } from './backends/cloud-backends.js';
import { awsBackend } from './backends/aws/index.js';
import { gcpBackend } from './backends/gcp/index.js';
import { azureBackend } from './backends/azure/index.js';

const deps = { logger: pino({ level: 'silent' }), env: {}, timeout: 1000 };
const signal = new AbortController().signal;

/** A backend that answers `<config.label>:<resource>`, counting how often it was created. */
function mapBackend(): VaultBackendFactory<{ label: string }> & { created: number } {
  const factory = {
    name: 'map',
    description: 'test',
    configSchema: Type.Object({ label: Type.String() }),
    supportsVersions: false,
    referenceOptions: [],
    created: 0,
    create(config: { label: string }) {
      factory.created++;
      return { read: async (resource: string) => ({ value: `${config.label}:${resource}` }) };
    },
  };
  return factory;
}

describe('lazyBackend', () => {
  it('declares what the cloud backends declare, without loading them', () => {
    for (const [lazy, real] of [
      [lazyAwsBackend, awsBackend],
      [lazyGcpBackend, gcpBackend],
      [lazyAzureBackend, azureBackend],
    ] as const) {
      const { create: _a, ...declared } = lazy as VaultBackendFactory;
      const { create: _b, ...expected } = real as VaultBackendFactory;
      assert.deepEqual(declared, expected, real.name);
    }
  });

  it('imports the implementation at the first read, once for every vault of its kind', async () => {
    const real = mapBackend();
    let loads = 0;
    const lazy = lazyBackend({ ...real, create: undefined } as never, async () => (loads++, real as VaultBackendFactory<{ label: string }>));
    const one = lazy.create({ label: 'one' }, deps);
    const two = lazy.create({ label: 'two' }, deps);
    assert.equal(loads, 0, 'creating a vault loads nothing');
    assert.deepEqual(await Promise.all([one.read('a', null, {}, signal), one.read('b', null, {}, signal), two.read('c', null, {}, signal)]), [
      { value: 'one:a' },
      { value: 'one:b' },
      { value: 'two:c' },
    ]);
    assert.equal(loads, 1);
    assert.equal(real.created, 2, 'one backend per vault');
  });

  it('closes without loading a backend that was never read', async () => {
    let loads = 0;
    const lazy = lazyBackend(mapBackend(), async () => (loads++, mapBackend()));
    await lazy.create({ label: 'x' }, deps).close?.();
    assert.equal(loads, 0);
  });

  const failures: readonly (readonly [string, () => Promise<VaultBackendFactory<{ label: string }>>, RegExp])[] = [
    ['a package that is not installed', async () => (await import('@portcullis-test/no-such-sdk' as string)).backend, /no-such-sdk/],
    ['a module file that is missing', async () => (await import('./backends/no-such-backend.js' as string)).backend, /no-such-backend/],
    ['a module that throws while loading', async () => Promise.reject(new Error('native binding failed')), /native binding failed/],
  ];
  for (const [what, load, detail] of failures) {
    it(`fails every read with "unavailable", naming the backend, for ${what}`, async () => {
      const lazy = lazyBackend(mapBackend(), load);
      const backend = lazy.create({ label: 'x' }, deps);
      for (let attempt = 0; attempt < 2; attempt++) {
        await assert.rejects(backend.read('secret', null, {}, signal), (err: unknown) => {
          assert.ok(err instanceof VaultBackendError);
          assert.equal(err.kind, 'unavailable');
          assert.match(err.message, /^the map backend cannot be loaded \(/);
          assert.match(err.message, detail);
          return true;
        });
      }
      await backend.close?.();
    });
  }
});
