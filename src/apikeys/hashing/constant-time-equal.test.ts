import { afterEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { constantTimeEqual } from './constant-time-equal.js';

describe('constantTimeEqual', () => {
  afterEach(() => mock.restoreAll());

  it('is true for equal bytes and false for any difference', () => {
    assert.equal(constantTimeEqual(Buffer.from('abc'), Buffer.from('abc')), true);
    assert.equal(constantTimeEqual(Buffer.from('abc'), Buffer.from('abd')), false);
    assert.equal(constantTimeEqual(Buffer.alloc(0), Buffer.alloc(0)), true);
  });

  it('returns false for different lengths instead of throwing, still running the timing-safe compare', () => {
    const spy = mock.method(crypto, 'timingSafeEqual');
    assert.equal(constantTimeEqual(Buffer.from('abc'), Buffer.from('abcd')), false);
    assert.equal(spy.mock.callCount(), 1);
  });
});
