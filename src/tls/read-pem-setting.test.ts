import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPemSetting } from './read-pem-setting.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('readPemSetting', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-pem-setting-'));
    writeFileSync(join(dir, 'cert.pem'), PEM);
    writeFileSync(join(dir, 'notes.txt'), 'not a certificate');
    writeFileSync(join(dir, 'huge.pem'), `${PEM}${'x'.repeat(64 * 1024)}`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('takes PEM text as it is (leading whitespace allowed) and reads a file path', () => {
    assert.deepEqual(readPemSetting(PEM, 'admin_tls_cert'), { pem: PEM });
    assert.deepEqual(readPemSetting(`\n  ${PEM}`, 'admin_tls_cert'), { pem: `\n  ${PEM}` });
    assert.deepEqual(readPemSetting(join(dir, 'cert.pem'), 'admin_tls_cert'), { pem: PEM });
  });

  describe('answers a problem naming the setting, never the content', () => {
    const pastedKey = 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg'.repeat(2);
    const cases: [string, () => string, RegExp][] = [
      ['an empty value', () => ' ', /^admin_tls_key: is empty: give PEM text or the path of a PEM file$/],
      ['a file that does not exist', () => join(dir, 'absent.pem'), /^admin_tls_key: cannot read \/.*absent\.pem \(ENOENT\)$/],
      ['a folder', () => dir, /^admin_tls_key: cannot read \/.*: it is not a file$/],
      ['a file over 64 KiB', () => join(dir, 'huge.pem'), /^admin_tls_key: cannot read \/.*huge\.pem: \d+ bytes is more than 65536$/],
      ['a file without PEM', () => join(dir, 'notes.txt'), /^admin_tls_key: \/.*notes\.txt does not hold PEM text \(no -----BEGIN line\)$/],
      ['key material pasted without its armour', () => pastedKey, /^admin_tls_key: cannot read the configured path \(not shown: .*\) \(ENOENT\)$/],
      ['a value spanning lines', () => 'abc\ndef', /^admin_tls_key: cannot read the configured path \(not shown: .*\)/],
    ];
    for (const [name, value, problem] of cases) {
      it(name, () => {
        const read = readPemSetting(value(), 'admin_tls_key');
        assert.ok('problem' in read);
        assert.match(read.problem, problem);
        assert.ok(!read.problem.includes(pastedKey));
      });
    }
  });
});
