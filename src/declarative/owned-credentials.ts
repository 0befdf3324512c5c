/**
 * What stands between a service or consumer and its deletion by an apply: the API keys and
 * basic-auth credentials it owns, which the database would delete with it (foreign keys cascade).
 * Checked when the diff is planned (to list every refusal at once) and again in the transaction,
 * after locking the owner row as key creation does, so a key made meanwhile is never deleted.
 */
import type { EntityName } from '../entities/entity.js';
import type { Store } from '../store/store.js';

/** What a service or consumer owns that the file cannot hold (`API keys "a", "b"`), or null. */
export async function ownedCredentials(store: Pick<Store, 'apiKeys' | 'basicAuthCredentials'>, kind: EntityName, id: string): Promise<string | null> {
  if (kind !== 'services' && kind !== 'consumers') return null;
  const keys = await store.apiKeys.list(kind === 'services' ? { service_id: id, size: 5 } : { consumer_id: id, size: 5 });
  const owned: string[] = [];
  if (keys.data.length > 0) owned.push(`API keys ${keys.data.map((k) => JSON.stringify(k.name)).join(', ')}${keys.offset ? ' …' : ''}`);
  if (kind === 'consumers') {
    const credentials = await store.basicAuthCredentials.list({ where: { consumer: id }, size: 5 });
    if (credentials.data.length > 0)
      owned.push(`basic-auth credentials ${credentials.data.map((c) => JSON.stringify(c.username)).join(', ')}${credentials.offset ? ' …' : ''}`);
  }
  return owned.length > 0 ? owned.join(' and ') : null;
}
