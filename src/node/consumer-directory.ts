/** An in-memory index of the consumers in one state build, for plugins (see PluginDeps.consumers). */
import type { Consumer } from '../entities/consumers.js';
import type { ConsumerDirectory } from '../plugins/plugin.js';

export function createConsumerDirectory(consumers: readonly Consumer[]): ConsumerDirectory {
  const byId = new Map<string, Consumer>();
  const byName = new Map<string, Consumer>();
  for (const c of consumers) {
    byId.set(c.id, c);
    if (c.username) byName.set(c.username, c);
    if (c.custom_id && !byName.has(c.custom_id)) byName.set(c.custom_id, c);
  }
  const view = (c: Consumer | undefined) => (c ? { id: c.id, username: c.username, custom_id: c.custom_id } : undefined);
  return {
    byId: (id) => view(byId.get(id)),
    find: (ref) => view(byId.get(ref.toLowerCase()) ?? byName.get(ref)),
  };
}
