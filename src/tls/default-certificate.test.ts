import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ConfigError } from '../config/load-config.js';
import { DEFAULT_CERT_FILE, DEFAULT_KEY_FILE, loadDefaultCertificate, type DefaultCertificateConfig } from './default-certificate.js';
import { createSelfSignedTestCertificate, DAY, type TestCertificate } from '../../test/support/certificates.js';

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void (raw.push(line), lines.push(JSON.parse(line))) });
  return { logger, lines, raw };
}

let root: string;
before(() => void (root = mkdtempSync(join(tmpdir(), 'portcullis-default-cert-'))));
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A data folder that does not exist yet (the node creates it), and the config pointing at it. */
function freshFolder(): { folder: string; config: DefaultCertificateConfig } {
  const folder = join(root, `data-${++n}`);
  return { folder, config: { sqlite_path: join(folder, 'portcullis.db') } };
}

/** The configuration error a load fails with. */
async function refusal(config: DefaultCertificateConfig): Promise<string> {
  const err = await loadDefaultCertificate(config, { logger: pino({ level: 'silent' }) }).then(
    () => assert.fail('expected a ConfigError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ConfigError, String(err));
  return err.message;
}

describe('loadDefaultCertificate: the generated default', () => {
  it('generates a self-signed pair at the first start, key 0600 in a 0700 folder, and logs its fingerprint but not the key', async () => {
    const { folder, config } = freshFolder();
    const { logger, lines, raw } = capturingLogger();
    const loaded = await loadDefaultCertificate(config, { logger });
    assert.equal(loaded.generated, true);
    assert.equal(readFileSync(join(folder, DEFAULT_CERT_FILE), 'utf8'), loaded.cert);
    assert.equal(readFileSync(join(folder, DEFAULT_KEY_FILE), 'utf8'), loaded.key);
    assert.equal(statSync(join(folder, DEFAULT_KEY_FILE)).mode & 0o777, 0o600);
    assert.equal(statSync(folder).mode & 0o777, 0o700);
    const x509 = new X509Certificate(loaded.cert);
    assert.equal(x509.subject, 'CN=portcullis default');
    assert.equal(x509.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    assert.ok(Date.parse(x509.validTo) > Date.now() + 9 * 365 * DAY);
    const info = lines.filter((l) => l['msg'] === 'generated a self-signed default TLS certificate');
    assert.equal(info.length, 1);
    assert.equal(info[0]!['fingerprint'], x509.fingerprint256);
    assert.equal(info[0]!['path'], join(folder, DEFAULT_CERT_FILE));
    assert.ok(!raw.join('').includes(loaded.key.split('\n')[1]!), 'no key material in the log');
  });

  it('reuses the pair on later starts without generating or logging a new one', async () => {
    const { config } = freshFolder();
    const first = await loadDefaultCertificate(config, { logger: pino({ level: 'silent' }) });
    const { logger, lines } = capturingLogger();
    const second = await loadDefaultCertificate(config, { logger });
    assert.deepEqual([second.cert, second.key, second.generated], [first.cert, first.key, false]);
    assert.deepEqual(lines, []);
  });

  it('ends with one pair when several starts race on one data folder', async () => {
    const { config } = freshFolder();
    const loads = await Promise.all(Array.from({ length: 5 }, () => loadDefaultCertificate(config, { logger: pino({ level: 'silent' }) })));
    assert.equal(new Set(loads.map((l) => l.cert)).size, 1);
    assert.equal(new Set(loads.map((l) => l.key)).size, 1);
    assert.equal(loads.filter((l) => l.generated).length, 1);
  });

  it('warns when the key file is readable by other users', async () => {
    const { folder, config } = freshFolder();
    await loadDefaultCertificate(config, { logger: pino({ level: 'silent' }) });
    chmodSync(join(folder, DEFAULT_KEY_FILE), 0o644);
    const { logger, lines } = capturingLogger();
    await loadDefaultCertificate(config, { logger });
    assert.ok(lines.some((l) => /readable by other users/.test(String(l['msg']))));
  });
});

describe('loadDefaultCertificate: a broken pair in the data folder is a start error, never replaced', () => {
  let other: TestCertificate;
  before(async () => void (other = await createSelfSignedTestCertificate({ names: ['other.test'] })));

  const breakages: [string, (folder: string) => void, RegExp][] = [
    ['a key that is not the certificate’s', (f) => writeFileSync(join(f, DEFAULT_KEY_FILE), other.key), /does not belong to the certificate/],
    ['a certificate that is not the key’s', (f) => writeFileSync(join(f, DEFAULT_CERT_FILE), other.cert), /does not belong to the certificate/],
    ['a certificate file without PEM', (f) => writeFileSync(join(f, DEFAULT_CERT_FILE), 'garbage'), /does not hold a PEM/],
    ['a truncated certificate', (f) => writeFileSync(join(f, DEFAULT_CERT_FILE), other.cert.slice(0, 300)), /not a PEM X\.509 certificate/],
    [
      'a key that is not a key',
      (f) => writeFileSync(join(f, DEFAULT_KEY_FILE), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'),
      /not a PEM private key/,
    ],
    ['a missing key', (f) => unlinkSync(join(f, DEFAULT_KEY_FILE)), /tls-default\.crt is there without tls-default\.key/],
    ['a missing certificate', (f) => unlinkSync(join(f, DEFAULT_CERT_FILE)), /tls-default\.key is there without tls-default\.crt/],
    ['a key path that is a folder', (f) => (unlinkSync(join(f, DEFAULT_KEY_FILE)), mkdirSync(join(f, DEFAULT_KEY_FILE))), /not a file/],
  ];
  for (const [what, breakIt, reason] of breakages) {
    it(`refuses ${what}, naming the folder and the way out, and leaves the files as they were`, async () => {
      const { folder, config } = freshFolder();
      await loadDefaultCertificate(config, { logger: pino({ level: 'silent' }) });
      breakIt(folder);
      const before = [DEFAULT_CERT_FILE, DEFAULT_KEY_FILE].map((f) => snapshotOf(join(folder, f)));
      const message = await refusal(config);
      assert.match(message, reason);
      assert.ok(message.includes(folder));
      assert.match(message, /remove both to generate a new pair, or set tls_default_cert and tls_default_key/);
      assert.ok(!message.includes(other.key.split('\n')[1]!));
      assert.deepEqual(
        [DEFAULT_CERT_FILE, DEFAULT_KEY_FILE].map((f) => snapshotOf(join(folder, f))),
        before,
      );
    });
  }
});

describe('loadDefaultCertificate: a configured pair', () => {
  let pair: TestCertificate;
  let other: TestCertificate;
  before(async () => {
    pair = await createSelfSignedTestCertificate({ names: ['gw.example.test'] });
    other = await createSelfSignedTestCertificate({ names: ['other.test'] });
  });

  it('uses PEM text as given, and writes nothing to the data folder', async () => {
    const { folder, config } = freshFolder();
    const loaded = await loadDefaultCertificate({ ...config, tls_default_cert: pair.cert, tls_default_key: pair.key }, { logger: pino({ level: 'silent' }) });
    assert.deepEqual(loaded, { cert: pair.cert, key: pair.key, generated: false });
    assert.equal(existsSync(folder), false);
  });

  it('reads file paths', async () => {
    const { config } = freshFolder();
    const dir = mkdtempSync(join(root, 'files-'));
    writeFileSync(join(dir, 'gw.crt'), pair.cert);
    writeFileSync(join(dir, 'gw.key'), pair.key, { mode: 0o600 });
    const loaded = await loadDefaultCertificate(
      { ...config, tls_default_cert: join(dir, 'gw.crt'), tls_default_key: join(dir, 'gw.key') },
      { logger: pino({ level: 'silent' }) },
    );
    assert.deepEqual(loaded, { cert: pair.cert, key: pair.key, generated: false });
  });

  const encrypted = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pass' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
  const refused: [string, () => Partial<DefaultCertificateConfig>, RegExp][] = [
    [
      'a certificate without its key',
      () => ({ tls_default_cert: pair.cert }),
      /^invalid configuration:\n {2}- tls_default_key: must be set when tls_default_cert is/,
    ],
    ['a key without its certificate', () => ({ tls_default_key: pair.key }), /tls_default_cert: must be set when tls_default_key is/],
    ['a key that is not the certificate’s', () => ({ tls_default_cert: pair.cert, tls_default_key: other.key }), /does not belong to the certificate/],
    ['an encrypted key', () => ({ tls_default_cert: pair.cert, tls_default_key: encrypted }), /encrypted/],
    [
      'a certificate file that does not exist',
      () => ({ tls_default_cert: join(root, 'nope.crt'), tls_default_key: pair.key }),
      /tls_default_cert: .*nope\.crt \(ENOENT\)/,
    ],
    [
      'a key file that does not exist',
      () => ({ tls_default_cert: pair.cert, tls_default_key: join(root, 'nope.key') }),
      /tls_default_key: .*nope\.key \(ENOENT\)/,
    ],
    [
      'a certificate that is not PEM',
      () => ({ tls_default_cert: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', tls_default_key: pair.key }),
      /not a PEM X\.509/,
    ],
  ];
  for (const [what, settings, reason] of refused) {
    it(`refuses ${what} with a configuration error that shows no key`, async () => {
      const message = await refusal({ ...freshFolder().config, ...settings() });
      assert.match(message, reason);
      for (const key of [pair.key, other.key, encrypted]) assert.ok(!message.includes(key.split('\n')[1]!));
    });
  }

  it('warns when the configured certificate has expired or expires within 30 days', async () => {
    for (const [notAfter, message] of [
      [Date.now() - DAY, 'the default TLS certificate has expired'],
      [Date.now() + 10 * DAY, 'the default TLS certificate expires within 30 days'],
    ] as const) {
      const cert = await createSelfSignedTestCertificate({ names: ['gw.example.test'], notBefore: Date.now() - 100 * DAY, notAfter });
      const { logger, lines } = capturingLogger();
      await loadDefaultCertificate({ ...freshFolder().config, tls_default_cert: cert.cert, tls_default_key: cert.key }, { logger });
      assert.deepEqual(
        lines.map((l) => [l['msg'], l['source']]),
        [[message, 'tls_default_cert']],
      );
    }
  });
});

function snapshotOf(path: string): string | null {
  if (!existsSync(path)) return null;
  return statSync(path).isFile() ? readFileSync(path, 'utf8') : 'folder';
}
