/**
 * The keyring's RSA keys as configured (PEM text or a path) and the embedded default's pair:
 * made once with safe modes, checked when found, and one pair when several processes start at once.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PortcullisError } from '../errors/portcullis-error.js';
import { GENERATED_RSA_BITS, ensureKeyPair, readPem } from './rsa-key-pair.js';

const root = mkdtempSync(join(tmpdir(), 'portcullis-rsa-pair-'));
let folders = 0;
const newFolder = () => join(root, `case-${++folders}`);
const mode = (path: string) => statSync(path).mode & 0o777;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

function assertNotConfigured(fn: () => unknown, says: RegExp, label: string, secret?: string): void {
  assert.throws(
    fn,
    (err: unknown) => {
      assert.ok(err instanceof PortcullisError, `${label}: ${String(err)}`);
      assert.equal(err.code, 'PC_KEYRING_NOT_CONFIGURED', label);
      assert.match(err.message, says, label);
      if (secret !== undefined) assert.ok(!err.message.includes(secret), `${label}: the message shows the value`);
      return true;
    },
    label,
  );
}

function pemPair(type: 'rsa' | 'ec' = 'rsa') {
  const pair = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    privateKeyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

after(() => rmSync(root, { recursive: true, force: true }));

describe('readPem', () => {
  const folder = newFolder();
  mkdirSync(folder);
  const { publicKeyPem } = pemPair();
  const file = join(folder, 'public.pem');
  writeFileSync(file, publicKeyPem);

  it('returns PEM text as given, and the content of a file given by its path', () => {
    assert.equal(readPem(publicKeyPem, 'keyring_public_key'), publicKeyPem);
    assert.equal(readPem(`\n  ${publicKeyPem}`, 'keyring_public_key'), `\n  ${publicKeyPem}`);
    assert.equal(readPem(file, 'keyring_public_key'), publicKeyPem);
  });

  it('refuses a value it cannot read, naming the setting and the path but never the content', () => {
    const notPem = join(folder, 'notes.txt');
    writeFileSync(notPem, 'hunter2-the-content');
    const large = join(folder, 'large.pem');
    writeFileSync(large, `-----BEGIN PUBLIC KEY-----\n${'A'.repeat(70_000)}`);
    const cases: [value: string, says: RegExp][] = [
      [join(folder, 'absent.pem'), /^Cannot read the keyring_public_key from \/.*\/absent\.pem \(ENOENT\)$/],
      [folder, /^Cannot read the keyring_public_key from \/.*case-\d+: it is not a file$/],
      [notPem, /^The keyring_public_key file \/.*notes\.txt does not hold a PEM key \(no -----BEGIN line\)$/],
      [large, /large\.pem: 70027 bytes is too large for a PEM key$/],
      ['', /^The keyring_public_key is empty: give PEM text or the path of a PEM file$/],
      ['   ', /is empty/],
    ];
    for (const [value, says] of cases) assertNotConfigured(() => readPem(value, 'keyring_public_key'), says, value, 'hunter2-the-content');
  });

  it('does not echo a value that looks like key material pasted without its armour', () => {
    const body = publicKeyPem.split('\n').slice(1, -2).join('');
    for (const value of [body, body.slice(0, 80), publicKeyPem.split('\n').slice(1, -2).join('\n')]) {
      assertNotConfigured(
        () => readPem(value, 'keyring_public_key'),
        /from the configured path \(not shown: the value is neither PEM text nor a plausible path\)/,
        'bare base64',
        value,
      );
    }
  });
});

describe('ensureKeyPair', () => {
  it(`makes an RSA ${GENERATED_RSA_BITS} pair when there is none: both files 0600, the new folders 0700`, () => {
    const folder = join(newFolder(), 'data', 'keys');
    const [pub, priv] = [join(folder, 'keyring-public.pem'), join(folder, 'keyring-private.pem')];
    const made = ensureKeyPair(pub, priv);
    assert.equal(made.created, true);
    assert.equal(readFileSync(pub, 'utf8'), made.publicKeyPem);
    assert.equal(readFileSync(priv, 'utf8'), made.privateKeyPem);
    assert.equal(createPublicKey(made.privateKeyPem).asymmetricKeyDetails?.modulusLength, GENERATED_RSA_BITS);
    assert.equal(createPublicKey(made.privateKeyPem).export({ type: 'spki', format: 'pem' }), made.publicKeyPem);
    assert.equal(mode(pub), 0o600);
    assert.equal(mode(priv), 0o600);
    assert.equal(mode(folder), 0o700);
    assert.equal(mode(join(folder, '..')), 0o700);
    assert.deepEqual(readdirSync(folder).sort(), ['keyring-private.pem', 'keyring-public.pem'], 'no temp file left');

    const again = ensureKeyPair(pub, priv);
    assert.deepEqual(again, { ...made, created: false });
  });

  it('leaves an existing folder its mode', () => {
    const folder = newFolder();
    mkdirSync(folder, { mode: 0o750 });
    chmodSync(folder, 0o750);
    ensureKeyPair(join(folder, 'pub.pem'), join(folder, 'priv.pem'));
    assert.equal(mode(folder), 0o750);
  });

  it('reads a pair already there and does not change it', () => {
    const folder = newFolder();
    mkdirSync(folder);
    const pair = pemPair();
    writeFileSync(join(folder, 'pub.pem'), pair.publicKeyPem, { mode: 0o644 });
    writeFileSync(join(folder, 'priv.pem'), pair.privateKeyPem, { mode: 0o600 });
    assert.deepEqual(ensureKeyPair(join(folder, 'pub.pem'), join(folder, 'priv.pem')), { ...pair, created: false });
    assert.equal(mode(join(folder, 'pub.pem')), 0o644);
  });

  it('writes the public key derived from a private key found alone (a start that stopped between the two files)', () => {
    const folder = newFolder();
    mkdirSync(folder);
    const pair = pemPair();
    writeFileSync(join(folder, 'priv.pem'), pair.privateKeyPem, { mode: 0o600 });
    assert.deepEqual(ensureKeyPair(join(folder, 'pub.pem'), join(folder, 'priv.pem')), { ...pair, created: false });
    assert.equal(readFileSync(join(folder, 'pub.pem'), 'utf8'), pair.publicKeyPem);
    assert.equal(mode(join(folder, 'pub.pem')), 0o600);
  });

  it('refuses a public key found without its private key, and makes no new pair', () => {
    const folder = newFolder();
    mkdirSync(folder);
    writeFileSync(join(folder, 'pub.pem'), pemPair().publicKeyPem);
    assertNotConfigured(
      () => ensureKeyPair(join(folder, 'pub.pem'), join(folder, 'priv.pem')),
      /public key \/.*pub\.pem exists but its private key \/.*priv\.pem does not: put the private key back.*none is made$/,
      'public alone',
    );
    assert.equal(existsSync(join(folder, 'priv.pem')), false);
  });

  it('refuses files that are not a matching RSA pair of at least 2048 bits, never showing their content', () => {
    const [a, b, ec] = [pemPair(), pemPair(), pemPair('ec')];
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const cases: { name: string; publicPem: string; privatePem: string; says: RegExp }[] = [
      {
        name: 'two different pairs',
        publicPem: a.publicKeyPem,
        privatePem: b.privateKeyPem,
        says: /public key \/.*pub\.pem does not belong to the private key/,
      },
      { name: 'an EC pair', publicPem: ec.publicKeyPem, privatePem: ec.privateKeyPem, says: /private key \/.*priv\.pem cannot be used: it is not an RSA key/ },
      { name: 'a 1024-bit private key', publicPem: a.publicKeyPem, privatePem: weak, says: /cannot be used: it is a 1024-bit RSA key/ },
      {
        name: 'a garbled private key',
        publicPem: a.publicKeyPem,
        privatePem: '-----BEGIN PRIVATE KEY-----\nhunter2\n-----END PRIVATE KEY-----\n',
        says: /cannot be used: it is not a PEM private key/,
      },
      { name: 'a public key that is not PEM', publicPem: 'hunter2', privatePem: a.privateKeyPem, says: /pub\.pem does not hold a PEM key/ },
      {
        name: 'a public EC key',
        publicPem: ec.publicKeyPem,
        privatePem: a.privateKeyPem,
        says: /public key \/.*pub\.pem cannot be used: it is not an RSA key/,
      },
    ];
    for (const c of cases) {
      const folder = newFolder();
      mkdirSync(folder);
      writeFileSync(join(folder, 'pub.pem'), c.publicPem);
      writeFileSync(join(folder, 'priv.pem'), c.privatePem);
      assertNotConfigured(() => ensureKeyPair(join(folder, 'pub.pem'), join(folder, 'priv.pem')), c.says, c.name, 'hunter2');
      assert.equal(readFileSync(join(folder, 'priv.pem'), 'utf8'), c.privatePem, `${c.name}: left as it was`);
    }
  });

  it('refuses, naming the path, when the folder cannot be made', () => {
    const blocker = join(newFolder());
    writeFileSync(blocker, 'a file where a folder should be');
    assertNotConfigured(
      () => ensureKeyPair(join(blocker, 'pub.pem'), join(blocker, 'priv.pem')),
      /^Cannot create the keyring key file \/.*priv\.pem \((ENOTDIR|EEXIST)\)/,
      'blocked',
    );
  });

  it('gives every one of several processes starting at once on one empty data folder the same pair, made by one of them', async () => {
    const folder = newFolder();
    const [pub, priv] = [join(folder, 'keyring-public.pem'), join(folder, 'keyring-private.pem')];
    const results = await raceEnsureKeyPair(5, pub, priv);
    assert.equal(results.filter((r) => r.created).length, 1, 'exactly one process made the pair');
    for (const r of results) assert.deepEqual(r, { created: r.created, public: sha(readFileSync(pub, 'utf8')), private: sha(readFileSync(priv, 'utf8')) });
    assert.deepEqual(readdirSync(folder).sort(), ['keyring-private.pem', 'keyring-public.pem'], 'no temp file left');
  });
});

interface RaceResult {
  readonly created: boolean;
  readonly public: string;
  readonly private: string;
}

/**
 * Starts `count` processes that each load this module, say they are ready, and call
 * `ensureKeyPair` when released together; returns what each got (hashed).
 */
async function raceEnsureKeyPair(count: number, publicPath: string, privatePath: string): Promise<RaceResult[]> {
  const moduleUrl = new URL('./rsa-key-pair.ts', import.meta.url).href;
  const script = `
    const { createHash } = await import('node:crypto');
    const { ensureKeyPair } = await import(${JSON.stringify(moduleUrl)});
    const sha = (text) => createHash('sha256').update(text).digest('hex');
    process.stdin.once('data', () => {
      const pair = ensureKeyPair(${JSON.stringify(publicPath)}, ${JSON.stringify(privatePath)});
      process.stdout.write(JSON.stringify({ created: pair.created, public: sha(pair.publicKeyPem), private: sha(pair.privateKeyPem) }));
      process.exit(0);
    });
    process.stdout.write('ready\\n');
  `;
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  const outputs = children.map((child) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const ready = new Promise<void>((resolve) => {
      const check = () => (out.includes('ready\n') ? resolve() : child.stdout.once('data', check));
      check();
    });
    const done = new Promise<string>((resolve, reject) =>
      child.on('exit', (code) => (code === 0 ? resolve(out.slice(out.indexOf('ready\n') + 6)) : reject(new Error(`child exited with ${code}`)))),
    );
    return { child, ready, done };
  });
  await Promise.all(outputs.map((o) => o.ready));
  for (const o of outputs) o.child.stdin.end('go\n');
  return (await Promise.all(outputs.map((o) => o.done))).map((text) => JSON.parse(text) as RaceResult);
}
