/**
 * A vault backend whose implementation is imported on its first read. The cloud backends pull in
 * their vendors' SDKs (AWS, Google Cloud, Azure: thousands of modules, tens of MB of heap); a node
 * that configures no vault of that kind never loads them. The descriptor (name, config schema,
 * versions, reference options) is known without the import, so validation and the Admin API's
 * schema listing work as before. A module that cannot be loaded fails every read of that vault
 * with an `unavailable` error naming the backend (fail closed); other vaults are not affected.
 */
import { VaultBackendError, type VaultBackend, type VaultBackendFactory } from './vault-backend.js';

/** What a backend declares without its implementation. */
export type BackendDescriptor<C extends Record<string, unknown>> = Omit<VaultBackendFactory<C>, 'create'>;

/** `descriptor` with a `create` that imports the real factory (`load`) once, on the first read of any vault of this kind. */
export function lazyBackend<C extends Record<string, unknown>>(
  descriptor: BackendDescriptor<C>,
  load: () => Promise<VaultBackendFactory<C>>,
): VaultBackendFactory<C> {
  let loading: Promise<VaultBackendFactory<C>> | undefined;
  const factory = () =>
    (loading ??= load().catch((err: unknown) => {
      throw new VaultBackendError('unavailable', `the ${descriptor.name} backend cannot be loaded (${(err as Error)?.message ?? String(err)})`, { cause: err });
    }));
  return {
    ...descriptor,
    create(config, deps) {
      let backend: Promise<VaultBackend> | undefined;
      const real = () => (backend ??= factory().then((f) => f.create(config, deps)));
      return {
        async read(resource, version, options, signal) {
          return (await real()).read(resource, version, options, signal);
        },
        async close() {
          const created = await backend?.catch(() => undefined);
          await created?.close?.();
        },
      };
    },
  };
}
