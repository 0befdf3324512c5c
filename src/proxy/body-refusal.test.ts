import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BodyTooLargeError } from './body-limit.js';
import { RequestBodyRefused, bodyRefusal } from './body-refusal.js';

describe('bodyRefusal', () => {
  it('answers a refused body with its own error, whether undici passes it on or wraps it', () => {
    const refused = new RequestBodyRefused(400, 'PC_BAD_REQUEST', 'no');
    const expected = { status: 400, code: 'PC_BAD_REQUEST', message: 'no', close: true };
    assert.deepEqual(bodyRefusal(refused), expected);
    assert.deepEqual(bodyRefusal(new Error('aborted', { cause: refused })), expected);
    assert.deepEqual(bodyRefusal(new BodyTooLargeError(10)), { status: 413, code: 'PC_BODY_TOO_LARGE', close: true });
  });

  it('leaves every other error to the upstream error mapping', () => {
    for (const err of [new Error('ECONNRESET'), null, 'x', Object.assign(new Error('x'), { code: 'PC_BAD_REQUEST' })]) assert.equal(bodyRefusal(err), null);
  });
});
