/**
 * Sealing on a worker thread (worker-sealer.ts) and the keyring cipher's `encryptMany` that uses it
 * for large batches: every value it returns opens with the same key and AAD on the main thread
 * (one format, one implementation), each under a fresh nonce, in order; a key rotation between
 * batches is followed; a worker that dies fails the batches it held and the next batch gets a new
 * worker; an empty keyring refuses, as `encrypt` does.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createKeyringHolder, generateKey, withKeys } from './keyring.js';
import { WORKER_BATCH_MIN, createKeyringCipher, decryptWith, parseCiphertext } from './keyring-cipher.js';
import { createWorkerSealer } from './worker-sealer.js';

const items = (n: number, tag = 'x') => Array.from({ length: n }, (_, i) => [`${tag}-secret-${i}-\u00e9`, `api_keys|hash|row-${i}`] as const);

describe('worker sealer', () => {
  it('seals a batch on the worker: each value opens on this thread with its key and AAD, in order, each with its own nonce', async () => {
    const sealer = createWorkerSealer();
    try {
      const key = generateKey(0);
      const batch = items(500);
      const sealed = await sealer.seal(key, batch);
      assert.equal(sealed.length, batch.length);
      const nonces = new Set<string>();
      sealed.forEach((stored, i) => {
        const parsed = parseCiphertext(stored);
        assert.ok(parsed, stored);
        assert.equal(parsed.keyId, key.id);
        nonces.add(parsed.nonce.toString('hex'));
        assert.equal(decryptWith(key, parsed, batch[i]![1]), batch[i]![0]);
        // Bound to its AAD: the value of row i does not open as row i + 1's.
        assert.throws(() => decryptWith(key, parsed, `api_keys|hash|row-${i + 1}`), { code: 'PC_KEYRING_DECRYPT_FAILED' });
      });
      assert.equal(nonces.size, sealed.length);
    } finally {
      await sealer.close();
    }
  });

  it('seals each batch under the key it is given (a rotation between batches), batches in flight together', async () => {
    const sealer = createWorkerSealer();
    try {
      const [a, b] = [generateKey(0), generateKey(0)];
      const [sa, sb] = await Promise.all([sealer.seal(a, items(300, 'a')), sealer.seal(b, items(300, 'b'))]);
      assert.ok(sa.every((v) => parseCiphertext(v)?.keyId === a.id));
      assert.ok(sb.every((v) => parseCiphertext(v)?.keyId === b.id));
      assert.equal(decryptWith(b, parseCiphertext(sb[7]!)!, 'api_keys|hash|row-7'), 'b-secret-7-\u00e9');
    } finally {
      await sealer.close();
    }
  });

  it('fails the batches of a worker that is stopped, and starts a new worker for the next batch', async () => {
    const sealer = createWorkerSealer();
    const key = generateKey(0);
    const outstanding = sealer.seal(key, items(20_000));
    await sealer.close();
    await assert.rejects(outstanding, /sealing worker/);
    const again = await sealer.seal(key, items(3));
    assert.equal(decryptWith(key, parseCiphertext(again[2]!)!, 'api_keys|hash|row-2'), 'x-secret-2-\u00e9');
    await sealer.close();
  });

  it('reports a failure inside the worker as a rejected batch, naming no value', async () => {
    const sealer = createWorkerSealer();
    try {
      // A key of the wrong length fails in createCipheriv on the worker.
      await assert.rejects(sealer.seal({ id: 'badkey00', key: Buffer.alloc(5) }, items(3, 'never-shown')), (err: Error) => {
        assert.match(err.message, /sealing on the worker thread failed/);
        assert.doesNotMatch(err.message, /never-shown/);
        return true;
      });
      const key = generateKey(0);
      assert.equal((await sealer.seal(key, items(1))).length, 1, 'the worker still serves');
    } finally {
      await sealer.close();
    }
  });

  it('lets the worker go when idle', async () => {
    const sealer = createWorkerSealer({ idleMs: 50 });
    const key = generateKey(0);
    await sealer.seal(key, items(1));
    await new Promise((r) => setTimeout(r, 300));
    // A new worker serves after the idle one stopped.
    assert.equal((await sealer.seal(key, items(2))).length, 2);
    await sealer.close();
  });
});

describe('keyring cipher encryptMany', () => {
  for (const n of [1, WORKER_BATCH_MIN - 1, WORKER_BATCH_MIN, 2_000]) {
    it(`seals ${n} fields under the active key, each opening with decrypt, and counts each encryption`, async () => {
      const holder = createKeyringHolder();
      const [old, active] = [generateKey(0), generateKey(0)];
      holder.replace(withKeys(holder.current(), [old, active], active.id));
      const counted: string[] = [];
      const cipher = createKeyringCipher(holder, { onEncrypt: (id) => counted.push(id) });
      const batch = items(n);
      const sealed = await cipher.encryptMany!(batch);
      assert.equal(sealed.length, n);
      assert.ok(sealed.every((v) => parseCiphertext(v)?.keyId === active.id));
      for (const i of [0, n - 1]) assert.equal(cipher.decrypt(sealed[i]!, batch[i]![1]), batch[i]![0]);
      assert.deepEqual(counted, Array(n).fill(active.id));
    });
  }

  it('refuses without an active key, as encrypt does', async () => {
    const cipher = createKeyringCipher(createKeyringHolder());
    await assert.rejects(cipher.encryptMany!(items(WORKER_BATCH_MIN)), { code: 'PC_KEYRING_EMPTY' });
    await assert.rejects(cipher.encryptMany!(items(1)), { code: 'PC_KEYRING_EMPTY' });
  });
});
