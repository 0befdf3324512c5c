/** The pure parts of `portcullis keyring`: argument and file parsing, text output, rewrap outcomes. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from 'commander';
import type { KeyringStatus, RewrapProgress } from '../../keyring/keyring-service.js';
import { CliFailure } from '../run-keyring-command.js';
import { formatStatus, formatUsage, parseExportFile, parseKeyId, parseRawKeyFile, rewrapOutcome } from './keyring.js';

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => 250 - i));

describe('input parsing', () => {
  it('accepts 8-character alphanumeric key ids and refuses every other form before any work', () => {
    for (const id of ['AbCd1234', '00000000', 'zzzzzzzz']) assert.equal(parseKeyId(id), id);
    for (const id of ['AbCd123', 'AbCd12345', 'AbCd-234', 'AbCd 234', 'ÄbCd1234', '', ' AbCd1234', 'AbCd1234\n']) {
      assert.throws(() => parseKeyId(id), InvalidArgumentError, JSON.stringify(id));
    }
  });

  it('reads a key file holding 32 raw bytes or their base64 (a trailing newline allowed), as base64', () => {
    const b64 = KEY.toString('base64');
    assert.ok(/[+/]/.test(b64), 'the sample exercises the base64 alphabet beyond alphanumerics');
    const cases: [string, Buffer][] = [
      ['raw bytes', KEY],
      ['base64', Buffer.from(b64)],
      ['base64 and a newline', Buffer.from(`${b64}\n`)],
      ['base64 between blanks', Buffer.from(`  ${b64}\r\n`)],
    ];
    for (const [label, contents] of cases) assert.equal(parseRawKeyFile(contents), b64, label);
  });

  it('refuses a key file that is not exactly 32 bytes of material, without quoting it', () => {
    const cases: [string, Buffer][] = [
      ['31 raw bytes', KEY.subarray(1)],
      ['33 raw bytes', Buffer.concat([KEY, Buffer.from([1])])],
      ['base64 of 31 bytes', Buffer.from(KEY.subarray(1).toString('base64'))],
      ['base64 of 33 bytes', Buffer.from(Buffer.concat([KEY, KEY]).subarray(0, 33).toString('base64'))],
      ['hex', Buffer.from(KEY.toString('hex'))],
      ['base64url', Buffer.from(KEY.toString('base64url'))],
      ['base64 without padding', Buffer.from(KEY.toString('base64').replace(/=$/, ''))],
      ['base64 with junk inside', Buffer.from(`${KEY.toString('base64').slice(0, 20)}!${KEY.toString('base64').slice(20)}`)],
      ['empty', Buffer.alloc(0)],
      ['32 hex characters', Buffer.from('0123456789abcdef0123456789abcdef')],
      ['a 32-character passphrase', Buffer.from('correct horse battery staple!!!!')],
    ];
    for (const [label, contents] of cases) {
      assert.throws(
        () => parseRawKeyFile(contents),
        (err: unknown) => err instanceof CliFailure && !err.message.includes(KEY.toString('base64').slice(0, 12)),
        label,
      );
    }
  });

  it('reads an export file as the bare blob or the Admin API’s {"data": …} JSON', () => {
    const cases: [string, string][] = [
      ['blob.v1.abc', 'blob.v1.abc'],
      ['blob.v1.abc\n', 'blob.v1.abc'],
      ['{"data":"blob.v1.abc"}', 'blob.v1.abc'],
      ['  {\n  "data": "blob.v1.abc"\n}\n', 'blob.v1.abc'],
    ];
    for (const [contents, data] of cases) assert.equal(parseExportFile(Buffer.from(contents)), data, contents);
  });

  it('refuses an empty export file and JSON without a data string', () => {
    for (const contents of ['', '\n  \n', '{}', '{"data":""}', '{"data":42}', '{"data":', '{"blob":"x"}']) {
      assert.throws(() => parseExportFile(Buffer.from(contents)), CliFailure, JSON.stringify(contents));
    }
  });
});

describe('text output', () => {
  const status = (over: Partial<KeyringStatus> = {}): KeyringStatus => ({
    strategy: 'cluster',
    ids: ['AbCd1234', 'Old00001'],
    active: 'AbCd1234',
    keys: [
      { id: 'AbCd1234', kcv: '1a2b3c4d', created_at: 1_700_000_000, active: true, encryptions: 12, held: true },
      { id: 'Old00001', kcv: 'ffee0011', created_at: 1_600_000_000, active: false, encryptions: 3, held: true },
    ],
    missing: [],
    complete: true,
    ...over,
  });

  it('shows the strategy, the active key, completeness and one line per key', () => {
    assert.equal(
      formatStatus(status()),
      [
        'strategy:  cluster',
        'active:    AbCd1234',
        'complete:  yes',
        'ID\tKCV\tACTIVE\tHELD\tENCRYPTIONS\tCREATED',
        'AbCd1234\t1a2b3c4d\tyes\tyes\t12\t2023-11-14T22:13:20.000Z',
        'Old00001\tffee0011\t-\tyes\t3\t2020-09-13T12:26:40.000Z',
      ].join('\n'),
    );
  });

  it('says why the keyring is incomplete: the keys this node lacks, or no active key', () => {
    assert.match(formatStatus(status({ missing: ['Lost0001', 'Lost0002'], complete: false })), /^complete: {2}no: this node lacks Lost0001, Lost0002$/m);
    const empty = formatStatus(status({ ids: [], keys: [], active: null, complete: false }));
    assert.match(empty, /^active: {4}none$/m);
    assert.match(empty, /^complete: {2}no: no active key$/m);
    assert.match(empty, /^no keys$/m);
  });

  it('shows values per key by entity and the plaintext count', () => {
    const text = formatUsage({
      keys: { AbCd1234: { total: 7, by_entity: { basicauth_credentials: 5, plugins: 2 } }, Old00001: { total: 0, by_entity: {} } },
      plaintext: 4,
    });
    assert.deepEqual(text.split('\n'), [
      'KEY\tVALUES\tBY ENTITY',
      'AbCd1234\t7\tbasicauth_credentials=5, plugins=2',
      'Old00001\t0\t-',
      'plaintext values (written before encryption, encrypted on their next write): 4',
    ]);
  });
});

describe('rewrap outcome', () => {
  const progress = (over: Partial<RewrapProgress>): RewrapProgress => ({
    status: 'done',
    target_key: 'AbCd1234',
    total: 100,
    done: 100,
    failed: 0,
    rate: 50,
    eta_seconds: 0,
    started_at: 1,
    updated_at: 3,
    finished_at: 3,
    ...over,
  });

  it('exits 0 when every value was re-encrypted, and with nothing to do', () => {
    for (const p of [progress({}), progress({ total: 0, done: 0 }), progress({ status: 'idle', total: 0, done: 0, target_key: null })]) {
      const outcome = rewrapOutcome(p, []);
      assert.equal(outcome.exitCode, 0);
      assert.equal(outcome.problem, undefined);
    }
    assert.equal(rewrapOutcome(progress({}), []).summary, 'rewrap done: 100 of 100 values re-encrypted with AbCd1234, 0 failed');
  });

  it('exits 4 (refused) when values failed, saying how many and why: the keys this node lacks, else their integrity check', () => {
    const missing = rewrapOutcome(progress({ done: 97, failed: 3 }), ['Lost0001']);
    assert.equal(missing.exitCode, 4);
    assert.match(missing.problem!, /^3 values could not be re-encrypted/);
    assert.match(missing.problem!, /keys this node does not hold \(Lost0001\): import or recover/);
    const tampered = rewrapOutcome(progress({ done: 99, failed: 1 }), []);
    assert.equal(tampered.exitCode, 4);
    assert.match(tampered.problem!, /^1 values could not be re-encrypted.*integrity check/);
  });

  it('exits 4 (refused) when the rewrap stopped before the end, saying to run it again to resume', () => {
    const stopped = rewrapOutcome(progress({ status: 'failed', done: 40, finished_at: null }), []);
    assert.equal(stopped.exitCode, 4);
    assert.match(stopped.summary, /^rewrap failed: 40 of 100/);
    assert.match(stopped.problem!, /run it again to resume$/);
    const withFailures = rewrapOutcome(progress({ status: 'failed', done: 40, failed: 2 }), ['Lost0001']);
    assert.match(withFailures.problem!, /2 values failed: they use keys this node does not hold \(Lost0001\)/);
  });
});
