import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Store } from '../../store/store.js';
import { loadConfig } from '../../config/load-config.js';
import { createKeyHashers } from '../hashing/key-hashers.js';
import { createIssuerDirectory } from '../lifecycle/issuers.js';
import { createApiKeyService } from '../lifecycle/api-key-service.js';
import { createLastUsedRecorder } from './last-used-recorder.js';
import { createTestStore, type TestStore } from '../../../test/support/databases.js';

describe('last_used_at recorder', () => {
  let test: TestStore;
  let store: Store;

  before(async () => {
    test = await createTestStore('sqlite');
    store = test.store;
  });
  after(() => test.close());

  it('writes many uses of a key as one update per flush, with the latest time, and no cluster event', async () => {
    const config = loadConfig({ env: {} }).api_keys;
    const keys = createApiKeyService({ store, config, issuers: createIssuerDirectory(config.issuers), hashers: createKeyHashers('sha256') });
    await store.services.insert({ name: 's', url: 'http://s.test' });
    const { record } = await keys.create({ service: 's' }, { name: 'k' }, { protectedConnection: true });
    let now = 1_800_000_000_000;
    const recorder = createLastUsedRecorder({ dao: store.apiKeys, logger: pino({ level: 'silent' }), now: () => now }, 3_600_000);
    const events = await store.events.latestId();
    for (let i = 0; i < 1000; i++) {
      recorder.record(record.key_id);
      now += 1000;
    }
    assert.equal((await store.apiKeys.getById(record.id))!.last_used_at, null, 'nothing is written per use');
    await recorder.stop();
    assert.equal((await store.apiKeys.getById(record.id))!.last_used_at, Math.floor((now - 1000) / 1000));
    assert.equal(await store.events.latestId(), events);
  });
});
