/**
 * What of a planned item is already in the database: the entity with Kong's id, else the one with
 * the same name (username, SNI, certificate text; a plugin of the same name on the same scope).
 * This is what makes a second import of one file create nothing new.
 */
import type { Store } from '../store/store.js';
import type { EntityDao } from '../store/entity-dao.js';
import type { PlannedEntity } from './import-plan.js';

export function daoOf(store: Store, kind: PlannedEntity['kind']): EntityDao<any> {
  const daos = {
    service: store.services,
    route: store.routes,
    consumer: store.consumers,
    plugin: store.plugins,
    certificate: store.certificates,
    ca_certificate: store.caCertificates,
  } as const;
  return daos[kind];
}

/** The id of the entity `item` would duplicate, or null. `foreign`: its resolved references (ids). */
export async function findExisting(store: Store, item: PlannedEntity, foreign: Readonly<Record<string, string>>): Promise<string | null> {
  const dao = daoOf(store, item.kind);
  if (item.id) {
    const byId = await dao.get(item.id);
    if (byId) return byId.id;
  }
  const input = item.input;
  switch (item.kind) {
    case 'service':
    case 'route':
      return typeof input['name'] === 'string' ? ((await dao.get(input['name']))?.id ?? null) : null;
    case 'consumer': {
      if (typeof input['username'] === 'string') {
        const found = await dao.get(input['username']);
        if (found) return found.id;
      }
      if (typeof input['custom_id'] !== 'string') return null;
      return (await dao.list({ where: { custom_id: input['custom_id'] }, size: 1 })).data[0]?.id ?? null;
    }
    case 'plugin': {
      const where = {
        name: input['name'] as string,
        service: foreign['service'] ?? null,
        route: foreign['route'] ?? null,
        consumer: foreign['consumer'] ?? null,
      };
      return (await dao.list({ where, size: 1 })).data[0]?.id ?? null;
    }
    case 'certificate': {
      // Without Kong's id, one of its SNIs already served by a certificate means it was imported.
      for (const sni of (input['snis'] as string[] | undefined) ?? []) {
        const found = await store.snis.get(sni);
        if (found) return found.certificate.id;
      }
      return null;
    }
    case 'ca_certificate': {
      const cert = String(input['cert']).trim();
      const all = await store.caCertificates.listAll();
      return all.find((c) => c.cert.trim() === cert)?.id ?? null;
    }
  }
}
