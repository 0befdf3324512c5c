import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { attemptMessage, isAttempt, isToPrimary, isToWorker } from './worker-messages.js';

describe('worker messages: basic-auth outcomes between workers', () => {
  it('passes on a well-formed outcome with nothing else in it', () => {
    const received = { pc: 'attempt', outcome: 'failure', subject: 'a'.repeat(64), clientAddress: '2001:db8::1', extra: 'dropped' } as const;
    assert.ok(isToPrimary(received) && isToWorker(received));
    assert.ok(isAttempt(received));
    assert.deepEqual(attemptMessage(received), { pc: 'attempt', outcome: 'failure', subject: 'a'.repeat(64), clientAddress: '2001:db8::1' });
  });

  it('drops malformed ones: unknown outcome, missing or non-string fields, oversized strings', () => {
    const good = { pc: 'attempt', outcome: 'success', subject: 's', clientAddress: '192.0.2.1' };
    const bad: Record<string, unknown>[] = [
      { ...good, outcome: 'none' },
      { ...good, outcome: undefined },
      { ...good, subject: 42 },
      { ...good, subject: 'x'.repeat(257) },
      { ...good, clientAddress: null },
      { ...good, clientAddress: 'x'.repeat(257) },
      { ...good, pc: 'attempts' },
    ];
    for (const message of bad) assert.equal(isAttempt(message as { pc: string }), false, JSON.stringify(message).slice(0, 80));
    assert.ok(isAttempt(good));
  });
});
