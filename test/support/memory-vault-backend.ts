/**
 * An in-memory secret backend for tests of the parts above the backends (the resolver, the prepare
 * step, the Admin API): it stands in for an external vault the way the fakes in test/fakes/ do for
 * real ones, with scenario switches. Real backends are tested against their fakes by the contract suite.
 */
import Type from 'typebox';
import { VaultBackendError, type VaultBackendFactory, type VaultFailureKind } from '../../src/secrets/vault-backend.js';

export interface MemoryVault {
  readonly factory: VaultBackendFactory;
  /** Sets a secret's current text (a new version). */
  set(resource: string, value: string): void;
  delete(resource: string): void;
  /** Every read fails with this kind until cleared with null. */
  fail(kind: VaultFailureKind | null): void;
  /** Reads hang (until their signal aborts) while on. */
  hang(on: boolean): void;
  /** Reads so far, by resource. */
  readonly calls: Map<string, number>;
  totalCalls(): number;
}

export function createMemoryVault(name = 'memory'): MemoryVault {
  const secrets = new Map<string, string[]>();
  const calls = new Map<string, number>();
  let failing: VaultFailureKind | null = null;
  let hanging = false;
  const factory: VaultBackendFactory = {
    name,
    description: 'In-memory test backend.',
    configSchema: Type.Object({ label: Type.Optional(Type.String()) }, { additionalProperties: false }),
    supportsVersions: true,
    referenceOptions: ['flavour'],
    create: () => ({
      async read(resource, version, _options, signal) {
        calls.set(resource, (calls.get(resource) ?? 0) + 1);
        if (hanging) {
          await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new VaultBackendError('unavailable', 'aborted')), { once: true }));
        }
        if (failing) throw new VaultBackendError(failing, `${resource}: ${failing}`);
        const versions = secrets.get(resource);
        if (!versions) throw new VaultBackendError('not_found', `${resource} does not exist`);
        const index = version === null ? versions.length - 1 : Number(version) - 1;
        const value = versions[index];
        if (value === undefined) throw new VaultBackendError('not_found', `${resource} has no version ${version}`);
        return { value, version: String(index + 1) };
      },
    }),
  };
  return {
    factory,
    set: (resource, value) => secrets.set(resource, [...(secrets.get(resource) ?? []), value]),
    delete: (resource) => secrets.delete(resource),
    fail: (kind) => (failing = kind),
    hang: (on) => (hanging = on),
    calls,
    totalCalls: () => [...calls.values()].reduce((a, b) => a + b, 0),
  };
}
