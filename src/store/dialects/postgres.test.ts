/**
 * PostgreSQL ending the node's connection (an administrator, a failover, a restart) fails the
 * write that was using it with 503 PC_STORE_UNAVAILABLE; it never crashes the process, even
 * when the connection dies between two statements of a transaction.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PortcullisError } from '../../errors/portcullis-error.js';
import { createTestDatabase, testPgUrl, type TestDatabase } from '../../../test/support/databases.js';
import { createStore, type Store } from '../store.js';
import { TEST_CIPHER } from '../testing/test-cipher.js';

describe('PostgreSQL connections ended by the server', () => {
  let database: TestDatabase;
  let store: Store;

  const terminateSessions = async () => {
    const client = new pg.Client({ connectionString: testPgUrl() });
    await client.connect();
    try {
      await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
        database.config.pg_database,
      ]);
    } finally {
      await client.end();
    }
    // Let the termination notice reach the node's socket.
    await new Promise((resolve) => setTimeout(resolve, 200));
  };

  before(async () => {
    database = await createTestDatabase('postgres');
    store = createStore({ cipher: TEST_CIPHER, config: { ...database.config, pg_max_connections: 1 } });
    await store.migrate();
  });
  after(async () => {
    await store.close();
    await database.drop();
  });

  for (const round of [1, 2, 3]) {
    it(`fails a transaction whose connection ends between statements with PC_STORE_UNAVAILABLE, and the next write works (round ${round})`, async () => {
      await assert.rejects(
        store.transaction(async () => {
          await store.consumers.insert({ username: `first-${round}` });
          await terminateSessions();
          await store.consumers.insert({ username: `second-${round}` });
        }),
        (err: unknown) => err instanceof PortcullisError && err.code === 'PC_STORE_UNAVAILABLE',
      );
      assert.equal(await store.consumers.get(`first-${round}`), null, 'the transaction was not committed');
      await store.consumers.insert({ username: `after-${round}` });
    });
  }
});
