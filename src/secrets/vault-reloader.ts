/**
 * Keeps a node's vaults current: a `vaults` cluster event (any node's write) or a resync reads the
 * vault definitions again; when one was added, changed or removed, `onChanged` runs (the node
 * rebuilds its proxy state, so configurations using it resolve through the new definition). A
 * `vault_secrets` event (a write to the built-in store) refreshes the references reading that key
 * at once, on every node. Work runs one piece at a time, in order.
 */
import type { Logger } from 'pino';
import type { EventSubscriber } from '../cluster/event-bus.js';

export interface VaultReloader extends EventSubscriber {
  /** Resolves when every reload asked for so far has finished (the Admin API's read-your-writes). */
  settled(): Promise<void>;
}

export interface VaultReloaderDeps {
  /** Reads the vaults again; true when one was added, changed or removed. */
  reload(): Promise<boolean>;
  /** A secret of the built-in store was written or deleted: refresh what reads it. */
  secretWritten(vaultId: string, key: string): Promise<void>;
  /** Called after a reload that changed the vaults. */
  onChanged(): void;
  readonly logger: Logger;
}

export function vaultReloader(deps: VaultReloaderDeps): VaultReloader {
  const { logger } = deps;
  let running: Promise<void> | undefined;
  let reloadAgain = false;
  const written: { vaultId: string; key: string }[] = [];
  const run = () => {
    running ??= (async () => {
      while (reloadAgain || written.length > 0) {
        try {
          if (reloadAgain) {
            reloadAgain = false;
            if (await deps.reload()) deps.onChanged();
          } else {
            const next = written.shift()!;
            await deps.secretWritten(next.vaultId, next.key);
          }
        } catch (err) {
          logger.error({ err: (err as Error).message }, 'could not apply a vault change; keeping what is loaded');
        }
      }
    })().finally(() => {
      running = undefined;
      if (reloadAgain || written.length > 0) run();
    });
  };
  return {
    onEvents(events) {
      for (const e of events) {
        if (e.entity === 'vaults') reloadAgain = true;
        else if (e.entity === 'vault_secrets' && typeof e.data?.['key'] === 'string') written.push({ vaultId: e.entity_id, key: e.data['key'] });
      }
      run();
    },
    onResync() {
      reloadAgain = true;
      run();
    },
    async settled() {
      while (running) await running;
    },
  };
}
