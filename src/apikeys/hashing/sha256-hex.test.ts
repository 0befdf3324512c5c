import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sha256Hex } from './sha256-hex.js';

describe('sha256Hex', () => {
  it('is the unsalted lowercase hex SHA-256 (FIPS 180-2 vector "abc")', () => {
    assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes the UTF-8 bytes of the value', () => {
    assert.equal(sha256Hex('é'), sha256Hex(Buffer.from([0xc3, 0xa9]).toString('utf8')));
    assert.notEqual(sha256Hex('é'), sha256Hex('e\u0301'));
  });
});
