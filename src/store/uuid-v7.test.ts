import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uuidV7 } from './uuid-v7.js';
import { isUuid } from '../entities/common-schemas.js';

test('uuidV7 has the version 7 and RFC variant bits and the time in its first 48 bits', () => {
  for (const now of [0, 1, 1_764_460_800_000, 2 ** 48 - 1]) {
    const id = uuidV7(now);
    assert.ok(isUuid(id), id);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16), now);
  }
});

test('uuidV7 ids of later milliseconds sort after earlier ones, and ids of one millisecond differ', () => {
  const ids = Array.from({ length: 2000 }, (_, i) => uuidV7(1_764_460_800_000 + Math.floor(i / 10)));
  for (let i = 10; i < ids.length; i++) assert.ok(ids[i - 10]! < ids[i]!, `${ids[i - 10]} < ${ids[i]}`);
  assert.equal(new Set(ids).size, ids.length);
});

test('uuidV7 refuses a time outside 48 bits', () => {
  for (const bad of [-1, 2 ** 48, 1.5, Number.NaN]) assert.throws(() => uuidV7(bad), RangeError);
});
