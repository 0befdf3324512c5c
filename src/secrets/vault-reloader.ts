/**
 * Keeps a node's vaults current: a `vaults` cluster event (any node's write) or a resync reads the
 * vault definitions again; when one was added, changed or removed, `onChanged` runs (the node
 * rebuilds its proxy state, so configurations using it resolve through the new definition).
 */
import type { Logger } from 'pino';
import type { EventSubscriber } from '../cluster/event-bus.js';

export interface VaultReloader extends EventSubscriber {
  /** Resolves when every reload asked for so far has finished (the Admin API's read-your-writes). */
  settled(): Promise<void>;
}

export function vaultReloader(reload: () => Promise<boolean>, logger: Logger, onChanged: () => void): VaultReloader {
  let running: Promise<void> | undefined;
  let again = false;
  const run = () => {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          if (await reload()) onChanged();
        } catch (err) {
          logger.error({ err: (err as Error).message }, 'could not read the vaults; keeping the ones loaded');
        }
      } while (again);
    })().finally(() => (running = undefined));
  };
  return {
    onEvents(events) {
      if (events.some((e) => e.entity === 'vaults')) run();
    },
    onResync: run,
    async settled() {
      while (running) await running;
    },
  };
}
