/** Every migration, in order. Append only: a released migration is never edited. */
import type { Migration } from './migration.js';
import { migration0001Core } from './0001-core.js';
import { migration0002Credentials } from './0002-credentials.js';
import { migration0003Keyring } from './0003-keyring.js';
import { migration0004Vaults } from './0004-vaults.js';
import { migration0005Tls } from './0005-tls.js';
import { migration0006ClusterNodes } from './0006-cluster-nodes.js';
import { migration0007KeyringExchange } from './0007-keyring-exchange.js';

export const MIGRATIONS: readonly Migration[] = [
  migration0001Core,
  migration0002Credentials,
  migration0003Keyring,
  migration0004Vaults,
  migration0005Tls,
  migration0006ClusterNodes,
  migration0007KeyringExchange,
];
