import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { parseBasicAuthorization, type BasicCredentials } from './parse-authorization.js';

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
const basic = (text: string | Buffer) => `Basic ${b64(text)}`;

/** The parse result with the password revealed, for deepEqual. */
function plain(result: BasicCredentials) {
  return result.ok ? { ok: true, username: result.username, password: result.password.reveal() } : result;
}

describe('parseBasicAuthorization', () => {
  describe('accepts', () => {
    it('the RFC 7617 example (Aladdin / open sesame)', () => {
      assert.deepEqual(plain(parseBasicAuthorization('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==')), {
        ok: true,
        username: 'Aladdin',
        password: 'open sesame',
      });
    });

    it('UTF-8 credentials, as in RFC 7617 §2.1 (test / 123£)', () => {
      assert.deepEqual(plain(parseBasicAuthorization('Basic dGVzdDoxMjPCow==')), { ok: true, username: 'test', password: '123£' });
    });

    it('the scheme in any case', () => {
      for (const scheme of ['basic', 'BASIC', 'bAsIc']) {
        assert.equal(plain(parseBasicAuthorization(`${scheme} ${b64('u:p')}`)).ok, true, scheme);
      }
    });

    it('several spaces between scheme and credentials (1*SP)', () => {
      assert.deepEqual(plain(parseBasicAuthorization(`Basic   ${b64('u:p')}`)), { ok: true, username: 'u', password: 'p' });
    });

    it('a password with colons, splitting at the first colon', () => {
      assert.deepEqual(plain(parseBasicAuthorization(basic('user:pa:ss:'))), { ok: true, username: 'user', password: 'pa:ss:' });
    });

    it('an empty password', () => {
      assert.deepEqual(plain(parseBasicAuthorization(basic('user:'))), { ok: true, username: 'user', password: '' });
    });

    it('without showing the password when the result is logged', () => {
      const result = parseBasicAuthorization(basic('user:hunter2'));
      assert.doesNotMatch(JSON.stringify(result), /hunter2/);
      assert.doesNotMatch(inspect(result), /hunter2/);
    });
  });

  describe('rejects', () => {
    const cases: Array<[string, string | undefined, string]> = [
      ['no header', undefined, 'missing'],
      ['an empty header', '', 'missing'],
      ['another scheme', `Bearer ${b64('u:p')}`, 'not_basic'],
      ['a scheme glued to the credentials', `Basic${b64('u:p')}`, 'not_basic'],
      ['a tab instead of a space', `Basic\t${b64('u:p')}`, 'not_basic'],
      ['the scheme alone', 'Basic', 'invalid_base64'],
      ['a missing colon', basic('userpass'), 'missing_colon'],
      ['an empty user-id', basic(':password'), 'empty_username'],
      ['characters outside base64', 'Basic dXNlcjpwYXNz*', 'invalid_base64'],
      ['base64url characters, unpadded', 'Basic dTr7_w', 'invalid_base64'],
      ['base64url characters, padded', 'Basic dTr-_w==', 'invalid_base64'],
      ['missing padding', 'Basic dTpwYQ', 'invalid_base64'],
      ['too much padding', 'Basic dTpwYQ===', 'invalid_base64'],
      ['padding in the middle', 'Basic dT==cGE=', 'invalid_base64'],
      ['a length not a multiple of 4', 'Basic dTpwY', 'invalid_base64'],
      ['non-zero padding bits (non-canonical base64)', 'Basic dTpwYR==', 'invalid_base64'],
      ['whitespace inside the credentials', 'Basic dTpw YQ==', 'invalid_base64'],
      ['a line break inside the credentials', 'Basic dTpw\nYQ==', 'invalid_base64'],
      ['invalid UTF-8', basic(Buffer.from([0x75, 0x3a, 0xc3, 0x28])), 'invalid_utf8'],
      ['an overlong UTF-8 encoding of the colon', basic(Buffer.from([0x75, 0xc0, 0xba, 0x70])), 'invalid_utf8'],
      ['a NUL in the user-id', basic('us\0er:p'), 'control_character'],
      ['a newline in the password', basic('user:pa\nss'), 'control_character'],
      ['DEL in the password', basic('user:pass\x7f'), 'control_character'],
      ['an escape character in the user-id', basic('\x1b[31muser:p'), 'control_character'],
      ['a header over 4096 chars, before decoding', basic(`user:${'p'.repeat(3100)}`), 'too_long'],
    ];
    for (const [name, header, reason] of cases) {
      it(name, () => assert.deepEqual(parseBasicAuthorization(header), { ok: false, reason }));
    }
  });

  it('accepts a header of exactly 4096 chars', () => {
    const header = `Basic   ${b64(`user:${'p'.repeat(3061)}`)}`;
    assert.equal(header.length, 4096);
    assert.equal(parseBasicAuthorization(header).ok, true);
  });
});
