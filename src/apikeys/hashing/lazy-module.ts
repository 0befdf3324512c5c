/**
 * A package loaded on first use instead of at start: the native hash libraries (`@node-rs/argon2`,
 * `@node-rs/bcrypt`) are only needed by a node that stores or verifies keys or passwords with
 * them, and a node with sha256 keys and no basic-auth credentials never does. They are CommonJS
 * packages, loaded with `require`, so the hashers keep their synchronous parts (`needsRehash`).
 * A package that cannot be loaded throws, at each use, an error that names it (fail closed).
 */
import { createRequire } from 'node:module';

/** Returns a getter that requires `specifier` once, on its first call; `purpose` names what needs it in the error. */
export function lazyModule<T>(specifier: string, purpose: string, require: (id: string) => unknown = createRequire(import.meta.url)): () => T {
  let loaded: T | undefined;
  return () => {
    if (loaded !== undefined) return loaded;
    try {
      loaded = require(specifier) as T;
    } catch (err) {
      throw new Error(`${purpose} needs the package ${specifier}, which cannot be loaded (${(err as Error)?.message ?? String(err)})`, { cause: err });
    }
    return loaded;
  };
}
