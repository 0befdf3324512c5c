import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_DECK_FILE_BYTES, parseDeckText, readDeckFile } from './read-deck-file.js';

/** A billion-laughs document: `levels` levels of `width` aliases each. */
function aliasBomb(levels: number, width: number): string {
  const lines = ['l0: &l0 [x, x, x]'];
  for (let i = 1; i <= levels; i++) lines.push(`l${i}: &l${i} [${Array.from({ length: width }, () => `*l${i - 1}`).join(', ')}]`);
  return lines.join('\n');
}

describe('readDeckFile', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'deck-read-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads YAML and JSON decK files alike', async () => {
    const yaml = join(dir, 'kong.yaml');
    const json = join(dir, 'kong.json');
    writeFileSync(yaml, '_format_version: "3.0"\nservices:\n  - name: a\n    url: http://a.test\n');
    writeFileSync(json, JSON.stringify({ _format_version: '3.0', services: [{ name: 'a', url: 'http://a.test' }] }));
    for (const file of [yaml, json]) {
      const read = await readDeckFile(file);
      assert.deepEqual(read, { ok: true, document: { _format_version: '3.0', services: [{ name: 'a', url: 'http://a.test' }] } });
    }
  });

  it('refuses a file larger than the bound without reading it, and bounds at 50 MB by default', async () => {
    assert.equal(MAX_DECK_FILE_BYTES, 50 * 1024 * 1024);
    const file = join(dir, 'big.yaml');
    writeFileSync(file, `_format_version: "3.0"\n# ${'x'.repeat(2000)}\n`);
    const read = await readDeckFile(file, 1000);
    assert.equal(read.ok, false);
    assert.equal(!read.ok && read.reason, 'too_large');
    assert.match(!read.ok ? read.message : '', /at most 1000 are accepted/);
  });

  it('says "not found" for a missing path and for a folder', async () => {
    mkdirSync(join(dir, 'folder'));
    for (const file of [join(dir, 'missing.yaml'), join(dir, 'folder')]) {
      const read = await readDeckFile(file);
      assert.equal(!read.ok && read.reason, 'not_found', file);
    }
  });
});

describe('parseDeckText refuses hostile or broken input with a short message', () => {
  const cases: { name: string; text: string; message: RegExp }[] = [
    { name: 'an alias bomb (billion laughs)', text: aliasBomb(9, 9), message: /alias/i },
    { name: 'a wide alias bomb', text: aliasBomb(2, 200), message: /alias/i },
    { name: 'nesting deep enough to overflow the stack', text: '['.repeat(5_000), message: /not valid YAML or JSON/ },
    { name: 'a duplicate key', text: 'services: []\nservices: []\n', message: /unique/i },
    { name: 'an unclosed quote', text: 'a: "abc\n  b: [', message: /not valid YAML or JSON/ },
    { name: 'two documents', text: 'a: 1\n---\nb: 2\n', message: /not valid YAML or JSON/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const read = parseDeckText(c.text);
      assert.equal(read.ok, false);
      assert.equal(!read.ok && read.reason, 'invalid');
      assert.match(!read.ok ? read.message : '', c.message);
      assert.ok(!read.ok && !read.message.includes('\n'), 'one line');
    });
  }

  it('never echoes the text around the error (it may hold a key)', () => {
    const read = parseDeckText('consumers:\n  - keyauth_credentials:\n      - key: "secret-value-0123456789\n');
    assert.equal(read.ok, false);
    assert.ok(!read.ok && !read.message.includes('secret-value'), !read.ok ? read.message : '');
  });
});
