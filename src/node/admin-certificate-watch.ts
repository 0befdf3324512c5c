/**
 * Small pieces of the composition root (node.ts): the Admin API certificate's rotation from a
 * vault, the entities whose fields may hold references, and merging reference-use maps.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import type { SecretResolver } from '../secrets/secret-resolver.js';
import type { ReferenceableEntity } from '../admin/reference-check.js';

/** Two maps of reference → where it is used, as one. */
export function mergeUses(a: ReadonlyMap<string, string[]>, b: ReadonlyMap<string, string[]>): Map<string, string[]> {
  const merged = new Map(a);
  for (const [reference, where] of b) merged.set(reference, [...(merged.get(reference) ?? []), ...where]);
  return merged;
}

/**
 * When `admin_tls_cert`/`admin_tls_key` hold vault references, a rotated value reaches the Admin
 * API's HTTPS listener: both are resolved again and the new pair served to new connections (a
 * pair that cannot be used is refused by the listener, which keeps the old one and logs why).
 */
export function watchAdminCertificate(
  config: Config,
  secrets: SecretResolver,
  fields: ReadonlyMap<string, string>,
  references: ReadonlyMap<string, readonly string[]> | undefined,
  admin: { setTlsCertificate(pair: { cert: string; key: string }): boolean },
  logger: Logger,
): () => void {
  // A field without a reference is not in `fields`: its configured value is then final.
  const certField = fields.get('config:admin_tls_cert') ?? config.admin_tls_cert;
  const keyField = fields.get('config:admin_tls_key') ?? config.admin_tls_key;
  const watched = new Set(
    [...(references ?? new Map<string, readonly string[]>()).entries()]
      .filter(([, keys]) => keys.some((k) => /^config:admin_tls_(cert|key)$/.test(k)))
      .map(([r]) => r),
  );
  if (certField === undefined || keyField === undefined || watched.size === 0) return () => {};
  return secrets.onChange((changed) => {
    if (![...changed].some((r) => watched.has(r))) return;
    Promise.all([secrets.resolveField(certField), secrets.resolveField(keyField)])
      .then(([cert, key]) => {
        if (admin.setTlsCertificate({ cert, key })) logger.info('admin_tls_cert: a rotated certificate is served to new Admin API connections');
      })
      .catch((err: unknown) =>
        logger.error({ code: (err as { code?: string }).code }, 'admin_tls_cert: the rotated certificate could not be resolved; the previous one is kept'),
      );
  });
}

/** Entities with top-level `referenceable` fields (certificates' PEMs), from their definitions. */
export function referenceableEntities(store: Store): ReferenceableEntity[] {
  return (['certificates', 'ca_certificates', 'services', 'routes', 'consumers', 'plugins', 'snis'] as const).flatMap((name) => {
    const def = store.dao(name)?.definition;
    const fields = Object.entries(def?.fields ?? {})
      .filter(([, f]) => f.referenceable && f.kind !== 'json')
      .map(([field]) => field);
    return def && fields.length > 0 ? [{ segment: def.path ?? def.name.replaceAll('_', '-'), fields }] : [];
  });
}
