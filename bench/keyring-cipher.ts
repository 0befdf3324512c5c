/**
 * The keyring's field cipher (`$ke$1$` values, src/keyring/keyring-cipher.ts) against a reference
 * in the same run: bare `createCipheriv`/`createDecipheriv` AES-256-GCM on the same strings, with
 * a fresh random nonce and the same AAD, returning buffers (no key lookup, no hex, no parsing).
 * The ratio is what the format and the keyring cost on top of the cipher itself. Values: 64 bytes
 * (an API-key hash in hex) and 1 KiB. Run: `npm run bench:keyring`.
 *
 * Each round runs every case for about `--seconds` (default 0.5) in rotating order; the table
 * shows the medians of `--rounds` (default 7). Figures depend on the machine and on what else
 * runs on it: compare them within one run.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createKeyringHolder, generateKey, withKeys } from '../src/keyring/keyring.js';
import { createKeyringCipher } from '../src/keyring/keyring-cipher.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '0.5' }, rounds: { type: 'string', default: '7' } } });
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);

const key = generateKey(Math.floor(Date.now() / 1000));
const holder = createKeyringHolder();
holder.replace(withKeys(holder.current(), [key], key.id));
const cipher = createKeyringCipher(holder);
const aad = 'api_keys|hash|7d1f0c2b-5a4e-4b3c-9e8d-1a2b3c4d5e6f';

interface Sealed {
  readonly nonce: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

function referenceEncrypt(plaintext: string): Sealed {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key.key, nonce, { authTagLength: 16 });
  c.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return { nonce, ciphertext, tag: c.getAuthTag() };
}

function referenceDecrypt(sealed: Sealed): string {
  const d = createDecipheriv('aes-256-gcm', key.key, sealed.nonce, { authTagLength: 16 });
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(sealed.tag);
  return Buffer.concat([d.update(sealed.ciphertext), d.final()]).toString('utf8');
}

interface Case {
  readonly size: string;
  readonly op: 'encrypt' | 'decrypt';
  readonly ours: () => unknown;
  readonly reference: () => unknown;
}

const cases: Case[] = [];
for (const [size, plaintext] of [
  ['64 B', randomBytes(32).toString('hex')],
  ['1 KiB', randomBytes(512).toString('hex')],
] as const) {
  const stored = cipher.encrypt(plaintext, aad);
  const sealed = referenceEncrypt(plaintext);
  if (cipher.decrypt(stored, aad) !== plaintext || referenceDecrypt(sealed) !== plaintext) throw new Error('bench setup: round trip failed');
  cases.push(
    { size, op: 'encrypt', ours: () => cipher.encrypt(plaintext, aad), reference: () => referenceEncrypt(plaintext) },
    { size, op: 'decrypt', ours: () => cipher.decrypt(stored, aad), reference: () => referenceDecrypt(sealed) },
  );
}

/** Operations per second of `op`, run in batches of 200 for about `seconds`. */
function opsPerSecond(op: () => unknown): number {
  const start = performance.now();
  const end = start + seconds * 1000;
  let done = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) op();
    done += 200;
  }
  return done / ((performance.now() - start) / 1000);
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// Every case is measured once as warm-up, then `rounds` times in rotating order.
const runs = cases.flatMap((c) => [c.ours, c.reference]);
for (const run of runs) opsPerSecond(run);
const samples = runs.map(() => [] as number[]);
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < runs.length; i++) {
    const at = (i + round) % runs.length;
    samples[at]!.push(opsPerSecond(runs[at]!));
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');
console.log(`keyring cipher, medians of ${rounds} rounds of ${seconds} s per case, one thread, node ${process.version}\n`);
console.log('| value | operation | $ke$1$ cipher ops/s | µs/op | bare AES-256-GCM ops/s | µs/op | cipher ÷ bare |\n|---|---|---:|---:|---:|---:|---:|');
for (const [i, c] of cases.entries()) {
  const ours = median(samples[2 * i]!);
  const reference = median(samples[2 * i + 1]!);
  console.log(
    `| ${c.size} | ${c.op} | ${fmt(ours)} | ${(1e6 / ours).toFixed(2)} | ${fmt(reference)} | ${(1e6 / reference).toFixed(2)} | ${((ours / reference) * 100).toFixed(0)} % |`,
  );
}
