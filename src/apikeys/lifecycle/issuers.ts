/**
 * The issuers of a node, from `api_keys.issuers`: the prefix of a key picks its issuer, and the
 * issuer's type says how its keys are validated (`local`, `push` or `remote`).
 */
import type { IssuerConfig } from '../../config/schema.js';

export interface IssuerDirectory {
  byPrefix(prefix: string): IssuerConfig | undefined;
  byName(name: string): IssuerConfig | undefined;
  /** The issuer of keys this gateway generates: the first `local` one. */
  readonly defaultLocal: IssuerConfig | undefined;
  readonly all: readonly IssuerConfig[];
}

export function createIssuerDirectory(issuers: readonly IssuerConfig[]): IssuerDirectory {
  const prefixes = new Map(issuers.map((i) => [i.prefix, i]));
  const names = new Map(issuers.map((i) => [i.name, i]));
  return {
    byPrefix: (prefix) => prefixes.get(prefix),
    byName: (name) => names.get(name),
    defaultLocal: issuers.find((i) => i.type === 'local'),
    all: issuers,
  };
}
