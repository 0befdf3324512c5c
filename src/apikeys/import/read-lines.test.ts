import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countLines, readLines, type SourceLine } from './read-lines.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-read-lines-'));
let n = 0;
async function lines(content: string | Buffer, max = 10): Promise<{ read: SourceLine[]; counted: number }> {
  const path = join(dir, `f${++n}`);
  writeFileSync(path, content);
  const read: SourceLine[] = [];
  for await (const line of readLines(path, max)) read.push(line);
  return { read, counted: await countLines(path) };
}

describe('readLines and countLines', () => {
  const CASES: readonly { name: string; content: string; expect: readonly (string | null)[] }[] = [
    { name: 'lines ending in \\n', content: 'a\nbb\n', expect: ['a', 'bb'] },
    { name: 'a last line without a newline', content: 'a\nbb', expect: ['a', 'bb'] },
    { name: 'CRLF endings', content: 'a\r\nbb\r\n', expect: ['a', 'bb'] },
    { name: 'blank lines, kept with their numbers', content: '\n\na\n', expect: ['', '', 'a'] },
    { name: 'an empty file', content: '', expect: [] },
    { name: 'a line over the bound, skipped to its end', content: 'ok\n0123456789abc\nok2\n', expect: ['ok', null, 'ok2'] },
    { name: 'a last line over the bound without a newline', content: 'ok\n0123456789abc', expect: ['ok', null] },
    { name: 'multi-byte characters', content: 'é€\n', expect: ['é€'] },
  ];
  for (const c of CASES) {
    it(`reads ${c.name}, numbered from 1, and counts them alike`, async () => {
      const { read, counted } = await lines(c.content);
      assert.deepEqual(
        read.map((l) => ('tooLong' in l ? null : l.text)),
        c.expect,
      );
      assert.deepEqual(
        read.map((l) => l.number),
        c.expect.map((_, i) => i + 1),
      );
      assert.equal(counted, c.expect.length);
    });
  }

  it('reads lines that span the 1 MiB read chunks, and a file of one huge line without holding it', async () => {
    const long = 'x'.repeat(1_500_000);
    const spanning = await lines(`a\n${long}\nb\n`, 2_000_000);
    assert.deepEqual(
      spanning.read.map((l) => ('tooLong' in l ? null : l.text.length)),
      [1, long.length, 1],
    );
    const huge = await lines(Buffer.alloc(3_000_000, 0x61), 16 * 1024);
    assert.deepEqual(huge.read, [{ number: 1, tooLong: true }]);
  });
});
