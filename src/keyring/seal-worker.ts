/**
 * The worker thread of worker-sealer.ts: seals batches of fields with the key each message carries,
 * through the same `encryptWith` as the main thread (one ciphertext format, one implementation).
 * It keeps no key between messages and never sends a plaintext back.
 */
import { parentPort } from 'node:worker_threads';
import { encryptWith } from './keyring-cipher.js';
import type { SealReply, SealRequest } from './worker-sealer.js';

const port = parentPort;
if (port === null) throw new Error('seal-worker runs as a worker thread');

port.on('message', (request: SealRequest) => {
  let reply: SealReply;
  try {
    const key = { id: request.keyId, key: Buffer.from(request.key.buffer, request.key.byteOffset, request.key.byteLength) };
    const sealed = new Array<string>(request.items.length);
    for (let i = 0; i < request.items.length; i++) {
      const [plaintext, aad] = request.items[i]!;
      sealed[i] = encryptWith(key, plaintext, aad);
    }
    reply = { id: request.id, sealed };
  } catch (err) {
    // The message of an encryption failure names no value (see keyring-cipher.ts).
    reply = { id: request.id, error: err instanceof Error ? err.message : String(err) };
  }
  request.key.fill(0);
  port.postMessage(reply);
});
