/**
 * A package loaded on first use instead of at start, for what most nodes never need: the native
 * hash libraries (`@node-rs/argon2`, `@node-rs/bcrypt`), the PostgreSQL driver (`pg`) on an
 * SQLite node, AWS's SigV4 signer (`@smithy/*`) on a node without an aws_sigv4 credential. These
 * are CommonJS packages, loaded with `require`, so their callers stay synchronous (a hasher's
 * `needsRehash`). A package that cannot be loaded throws, at each use, an error that names it and
 * what needed it (fail closed). The bundle keeps these packages external (scripts/bundle.mjs).
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
