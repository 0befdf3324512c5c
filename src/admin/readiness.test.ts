/**
 * The readiness verdict: ready only with configuration, database, keyring and event stream in
 * place; otherwise the first failing input's public cause.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PortcullisError } from '../errors/portcullis-error.js';
import { notReadyCause, type ReadinessInputs } from './readiness.js';

const READY: ReadinessInputs = { loaded: true, storage: null, keyring: null, events: { connected: true, caughtUp: true } };
const storage = (code: 'PC_STORE_UNAVAILABLE' | 'PC_STORE_FULL' | 'PC_STORE_READ_ONLY') =>
  new PortcullisError(code, { message: `secret-host:5432 /var/lib/portcullis/data.db ${code}` });

describe('notReadyCause', () => {
  const CASES: { name: string; inputs: Partial<ReadinessInputs>; cause: RegExp | null }[] = [
    { name: 'everything in place', inputs: {}, cause: null },
    { name: 'no event bus wired (the Admin API alone)', inputs: { events: null }, cause: null },
    { name: 'configuration not loaded', inputs: { loaded: false }, cause: /not loaded its configuration/ },
    { name: 'database unreachable', inputs: { storage: storage('PC_STORE_UNAVAILABLE') }, cause: /not reachable.*PC_STORE_UNAVAILABLE/ },
    { name: 'database full', inputs: { storage: storage('PC_STORE_FULL') }, cause: /full \(PC_STORE_FULL\)/ },
    { name: 'database read-only', inputs: { storage: storage('PC_STORE_READ_ONLY') }, cause: /read-only \(PC_STORE_READ_ONLY\)/ },
    {
      name: 'keyring key missing',
      inputs: { keyring: new PortcullisError('PC_KEYRING_KEY_MISSING') },
      cause: /keyring is incomplete \(PC_KEYRING_KEY_MISSING\)/,
    },
    { name: 'keyring not shared yet', inputs: { keyring: new PortcullisError('PC_KEYRING_NOT_SHARED') }, cause: /PC_KEYRING_NOT_SHARED/ },
    { name: 'event stream disconnected', inputs: { events: { connected: false, caughtUp: false } }, cause: /event stream is not connected/ },
    { name: 'event stream connected, catching up', inputs: { events: { connected: true, caughtUp: false } }, cause: /catching up on cluster events/ },
    {
      name: 'not loaded beats everything else',
      inputs: { loaded: false, storage: storage('PC_STORE_FULL'), events: { connected: false, caughtUp: false } },
      cause: /configuration/,
    },
    {
      name: 'the database beats the event stream it also breaks',
      inputs: { storage: storage('PC_STORE_UNAVAILABLE'), events: { connected: false, caughtUp: false } },
      cause: /PC_STORE_UNAVAILABLE/,
    },
  ];
  for (const c of CASES) {
    it(`${c.cause ? 'is not ready' : 'is ready'} when ${c.name}`, () => {
      const cause = notReadyCause({ ...READY, ...c.inputs });
      if (c.cause === null) return assert.equal(cause, null);
      assert.match(cause ?? '', c.cause);
      assert.ok(!/secret-host|\/var\/lib/.test(cause!), 'never the host or file of the underlying error');
    });
  }
});
