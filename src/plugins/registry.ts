/**
 * The plugin registry: the explicit list of plugins this build knows, looked up by name, and the
 * one place a plugin configuration is validated (its schema's defaults applied first). The Admin
 * API validates with it on write; the proxy's runtime state applies it again on build.
 */
import Value from 'typebox/value';
import type { PluginDefinition } from './plugin.js';
import type { FieldError } from '../errors/portcullis-error.js';
import { createValidator, type Validator } from '../schema/validator.js';
import { flaggedPaths } from '../schema/flagged-paths.js';
import { referenceErrors } from '../secrets/reference-paths.js';
import { requestTerminationPlugin } from './request-termination/handler.js';
import { keyAuthPlugin } from './key-auth/handler.js';
import { basicAuthPlugin } from './basic-auth/handler.js';
import { upstreamAuthPlugin } from './upstream-auth/handler.js';

/**
 * The plugins shipped with Portcullis, listed explicitly (no loading by name). The casts widen each
 * plugin's config type: `runsOnPreflight` is a function property, so TypeScript checks it
 * contravariantly (a method signature in `plugin.ts` would make them unnecessary).
 */
export const BUILTIN_PLUGINS: readonly PluginDefinition[] = [
  keyAuthPlugin as PluginDefinition,
  basicAuthPlugin as PluginDefinition,
  requestTerminationPlugin as PluginDefinition,
  upstreamAuthPlugin as PluginDefinition,
];

/** The result of validating one plugin configuration. */
export interface ValidatedPluginConfig {
  /** The configuration with the schema's defaults applied (a copy: the input is not changed). */
  readonly config: Record<string, unknown>;
  /** Empty when valid; paths are prefixed `config.` (`config.status_code`), or `name`. */
  readonly errors: FieldError[];
}

/** The plugins this build knows, by name. */
export interface PluginRegistry {
  get(name: string): PluginDefinition | undefined;
  list(): readonly PluginDefinition[];
  validateConfig(name: string, config: unknown): ValidatedPluginConfig;
  /** The config paths the plugin's schema marks `encrypted` (stored through the keyring); none for an unknown plugin. */
  encryptedPaths(name: string): readonly (readonly string[])[];
  /** The config paths the plugin's schema marks `referenceable` (may hold `{vault://…}`); none for an unknown plugin. */
  referenceablePaths(name: string): readonly (readonly string[])[];
}

/** Builds a registry over `definitions`; two definitions with one name are a programming error. */
export function createPluginRegistry(definitions: readonly PluginDefinition[]): PluginRegistry {
  const byName = new Map<string, { definition: PluginDefinition; validator: Validator<unknown>; encrypted: string[][]; referenceable: string[][] }>();
  for (const definition of definitions) {
    if (byName.has(definition.name)) throw new Error(`plugin "${definition.name}" is registered twice`);
    byName.set(definition.name, {
      definition,
      validator: createValidator(definition.configSchema),
      encrypted: flaggedPaths(definition.configSchema, 'encrypted'),
      referenceable: flaggedPaths(definition.configSchema, 'referenceable'),
    });
  }
  const list = Object.freeze([...definitions]);

  return {
    get: (name) => byName.get(name)?.definition,
    encryptedPaths: (name) => byName.get(name)?.encrypted ?? [],
    referenceablePaths: (name) => byName.get(name)?.referenceable ?? [],
    list: () => list,
    validateConfig(name, config) {
      const known = byName.get(name);
      if (!known) return { config: {}, errors: [{ path: 'name', message: `no plugin named "${name}" is installed` }] };
      const input = config ?? {};
      if (typeof input !== 'object' || Array.isArray(input)) {
        return { config: {}, errors: [{ path: 'config', message: 'must be an object' }] };
      }
      const withDefaults = Value.Default(known.definition.configSchema, structuredClone(input)) as Record<string, unknown>;
      // A reference is checked for its shape and place here; whether it resolves is the Admin API's check.
      const errors = [...known.validator.errors(withDefaults, 'config'), ...referenceErrors(withDefaults, known.referenceable, 'config')];
      return { config: withDefaults, errors };
    },
  };
}
