/** The rewrap progress display: TTY line vs plain lines, and its rate, ETA and bar text. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createProgressReporter,
  formatDuration,
  formatRate,
  percent,
  plainLine,
  renderBar,
  ttyLine,
  PLAIN_LINE_INTERVAL_MS,
  type ProgressSnapshot,
} from './progress-bar.js';

const at = (done: number, total: number, extra: Partial<ProgressSnapshot> = {}): ProgressSnapshot => ({
  done,
  total,
  failed: 0,
  rate: null,
  eta_seconds: null,
  ...extra,
});

/** A stream that records what is written. */
function recorder(tty: { isTTY?: boolean; columns?: number } = {}) {
  const writes: string[] = [];
  return { writes, stream: { ...tty, write: (text: string) => writes.push(text) } };
}

describe('progress text', () => {
  it('formats durations as s, m+s and h+m, and unknown or invalid ones as --', () => {
    const cases: [number | null, string][] = [
      [0, '0s'],
      [0.2, '1s'],
      [59, '59s'],
      [60, '1m00s'],
      [185, '3m05s'],
      [3599, '59m59s'],
      [3600, '1h00m'],
      [7620, '2h07m'],
      [null, '--'],
      [Number.NaN, '--'],
      [Number.POSITIVE_INFINITY, '--'],
      [-3, '--'],
    ];
    for (const [seconds, text] of cases) assert.equal(formatDuration(seconds), text, String(seconds));
  });

  it('formats rates with one decimal below 10/s, whole up to 10k/s, then k and M', () => {
    const cases: [number | null, string][] = [
      [0, '0.0/s'],
      [2.345, '2.3/s'],
      [10, '10/s'],
      [850.4, '850/s'],
      [9999, '9999/s'],
      [12_345, '12.3k/s'],
      [1_250_000, '1.3M/s'],
      [null, '--/s'],
      [Number.NaN, '--/s'],
      [-1, '--/s'],
    ];
    for (const [rate, text] of cases) assert.equal(formatRate(rate), text, String(rate));
  });

  it('counts failed values as handled, never above 100%, and an empty job as complete', () => {
    assert.equal(percent(at(0, 1000)), 0);
    assert.equal(percent(at(399, 1000, { failed: 1 })), 40);
    assert.equal(percent(at(999, 1000)), 99, 'rounds down: 100% only when everything is handled');
    assert.equal(percent(at(1000, 1000, { failed: 5 })), 100);
    assert.equal(percent(at(0, 0)), 100);
  });

  it('draws a bar of the given width', () => {
    assert.equal(renderBar(at(0, 10), 10), '[----------]');
    assert.equal(renderBar(at(4, 10), 10), '[####------]');
    assert.equal(renderBar(at(10, 10), 10), '[##########]');
    assert.equal(renderBar(at(0, 0), 4), '[####]');
  });

  it('writes done/total, failed, rate and ETA on the TTY line and the plain line', () => {
    const p = at(398, 1000, { failed: 2, rate: 120.4, eta_seconds: 5 });
    assert.equal(ttyLine(p, 10), '[####------]  40%  400/1000  failed 2  120/s  ETA 5s');
    assert.equal(plainLine('rewrap', p), 'rewrap: 400/1000 (40%), 2 failed, 120/s, ETA 5s');
    assert.equal(plainLine('rewrap', at(0, 50)), 'rewrap: 0/50 (0%), 0 failed, --/s, ETA --');
  });
});

describe('progress reporter', () => {
  it('on a TTY rewrites one line with \\r, erasing leftovers, and ends it with a newline', () => {
    const { writes, stream } = recorder({ isTTY: true, columns: 80 });
    const reporter = createProgressReporter({ stream, label: 'rewrap', now: () => 0 });
    reporter.update(at(10, 100));
    reporter.update(at(20, 100));
    reporter.finish(at(100, 100, { eta_seconds: 0 }));
    assert.equal(writes.length, 4);
    for (const w of writes.slice(0, 3)) {
      assert.ok(w.startsWith('\rrewrap ['), JSON.stringify(w));
      assert.ok(w.endsWith('\x1b[K'));
      assert.ok(!w.includes('\n'));
    }
    assert.match(writes[1]!, / 20%  20\/100 /);
    assert.match(writes[2]!, /100%  100\/100 .*ETA 0s/);
    assert.equal(writes[3], '\n');
  });

  it('fits the bar to the terminal width, within 10 and 30 characters', () => {
    const widths: [number | undefined, number][] = [
      [200, 30],
      [72, 20],
      [40, 10],
      [undefined, 28],
    ];
    for (const [columns, width] of widths) {
      const { writes, stream } = recorder({ isTTY: true, ...(columns ? { columns } : {}) });
      createProgressReporter({ stream, label: 'r', now: () => 0 }).update(at(0, 1));
      assert.equal(/\[(-*)\]/.exec(writes[0]!)![1]!.length, width, String(columns));
    }
  });

  it('when not a TTY writes plain lines: the first at once, then one per interval, and one at the end', () => {
    const { writes, stream } = recorder({ isTTY: false });
    let now = 1_000;
    const reporter = createProgressReporter({ stream, label: 'rewrap', now: () => now });
    for (let done = 0; done <= 60; done += 5) {
      reporter.update(at(done, 100, { rate: 10 }));
      now += 500;
    }
    reporter.finish(at(100, 100, { rate: 10, eta_seconds: 0 }));
    // 13 updates over 6.5 s: at 0 s and 5 s, then the final line.
    assert.deepEqual(writes, [
      'rewrap: 0/100 (0%), 0 failed, 10/s, ETA --\n',
      `rewrap: ${(PLAIN_LINE_INTERVAL_MS / 500) * 5}/100 (50%), 0 failed, 10/s, ETA --\n`,
      'rewrap: 100/100 (100%), 0 failed, 10/s, ETA 0s\n',
    ]);
    for (const w of writes) assert.ok(!w.includes('\r') && !w.includes('\x1b'), 'no control characters in a log');
  });
});
