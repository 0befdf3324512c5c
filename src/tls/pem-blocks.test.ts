/** Splitting PEM text into blocks: labels, text between blocks, unterminated and mismatched blocks, the bound. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readPemBlocks } from './pem-blocks.js';

const block = (label: string, body = 'QUJD') => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----`;

describe('readPemBlocks', () => {
  it('reads blocks in order with their labels, ignoring text around and between them', () => {
    const text = `Bag Attributes\n  localKeyID: 01\n${block('CERTIFICATE')}\nsubject=CN=x\n${block('PRIVATE KEY', 'REVG')}\ntrailing`;
    const read = readPemBlocks(text, 10);
    assert.ok(read.ok);
    assert.deepEqual(
      read.blocks.map((b) => b.label),
      ['CERTIFICATE', 'PRIVATE KEY'],
    );
    assert.equal(read.blocks[1]!.text, `${block('PRIVATE KEY', 'REVG')}\n`);
  });

  it('finds no block in text without a BEGIN line', () => {
    for (const text of ['', 'garbage', 'MIIBszCCAVmgAwIBAgIU', '-----END CERTIFICATE-----']) {
      const read = readPemBlocks(text, 10);
      assert.ok(read.ok);
      assert.equal(read.blocks.length, 0, text);
    }
  });

  const broken: [string, string, RegExp][] = [
    ['a block without its END line', '-----BEGIN CERTIFICATE-----\nQUJD\n', /without its END line/],
    ['an END naming another label', '-----BEGIN CERTIFICATE-----\nQUJD\n-----END PRIVATE KEY-----', /without its END line/],
    ['a BEGIN inside an open block', `-----BEGIN CERTIFICATE-----\nQUJD\n${block('CERTIFICATE')}`, /without its END line/],
    ['a header without closing dashes', '-----BEGIN CERTIFICATE\nQUJD', /malformed PEM header/],
    ['a lowercase label', block('certificate'), /malformed PEM header/],
    ['an overlong label', block('A'.repeat(80)), /malformed PEM header/],
  ];
  for (const [what, text, problem] of broken) {
    it(`refuses ${what}`, () => {
      const read = readPemBlocks(text, 10);
      assert.ok(!read.ok);
      assert.match(read.problem, problem);
    });
  }

  it('reads at most maxBlocks + 1 blocks, so a caller can tell "too many"', () => {
    const read = readPemBlocks(Array.from({ length: 50 }, () => block('CERTIFICATE')).join('\n'), 3);
    assert.ok(read.ok);
    assert.equal(read.blocks.length, 4);
  });
});
