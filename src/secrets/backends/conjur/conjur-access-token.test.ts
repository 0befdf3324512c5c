/**
 * Conjur v5 access tokens: what makes one (conjur-api-go's rules), the header it is sent in, and
 * its life on our clock (85 % to renewal, 1 s off for the rounded-down iat, 8 minutes without exp).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { parseConjurAccessToken } from './conjur-access-token.js';

const AT = 1_800_000_000_000;
const b64 = (value: unknown, encoding: 'base64' | 'base64url' = 'base64') => Buffer.from(JSON.stringify(value)).toString(encoding);
const tokenJson = (claims: unknown, payload: string = b64(claims)) =>
  JSON.stringify({ protected: b64({ alg: 'conjur.org/slosilo/v2', kid: 'abc' }), payload, signature: 'c2lnbmF0dXJl_-' });
const parse = (text: string) => parseConjurAccessToken(Buffer.from(text), AT);

describe('parseConjurAccessToken', () => {
  it('sends the token whole as Token token="<base64 of the bytes received>", hidden from logs', () => {
    const text = tokenJson({ sub: 'host/app', iat: 1000, exp: 1480 });
    const token = parse(text)!;
    assert.equal(token.header.reveal(), `Token token="${Buffer.from(text).toString('base64')}"`);
    assert.equal(String(token.header), '[redacted]');
    assert.equal(JSON.stringify(token), JSON.stringify({ header: '[redacted]', refreshAt: token.refreshAt, expiresAt: token.expiresAt }));
    assert.doesNotMatch(inspect(token), /Token token/);
  });

  it('measures the life from the request on our clock: (exp − iat − 1 s), renewal at 85 % of it', () => {
    for (const [claims, usableSeconds] of [
      [{ sub: 'a', iat: 1000, exp: 1480 }, 479],
      // iat far from our clock (skew) changes nothing: only exp − iat counts.
      [{ sub: 'a', iat: 5, exp: 65 }, 59],
      [{ sub: 'a', iat: 1000 }, 479],
      [{ sub: 'a', iat: 1000.7, exp: 1002.7 }, 1],
      // One second or less: usable only by the reads that asked for it.
      [{ sub: 'a', iat: 1000, exp: 1001 }, 0],
    ] as const) {
      const token = parse(tokenJson(claims))!;
      assert.equal(token.expiresAt, AT + usableSeconds * 1000, JSON.stringify(claims));
      assert.equal(token.refreshAt, AT + usableSeconds * 1000 * 0.85, JSON.stringify(claims));
    }
  });

  it('accepts a payload in base64url as well as base64', () => {
    const claims = { sub: 'host/ü??>', iat: 1000, exp: 1100 };
    assert.ok(b64(claims, 'base64url').match(/[-_]/), 'the fixture exercises the url-safe alphabet');
    assert.equal(parse(tokenJson(claims, b64(claims, 'base64url')))!.expiresAt, AT + 99_000);
  });

  it('refuses what is not a v5 token', () => {
    const protectedHeader = b64({ alg: 'x' });
    for (const [name, text] of [
      ['empty', ''],
      ['not JSON', 'token'],
      ['JSON null', 'null'],
      ['an array', '[]'],
      ['a v4 token', JSON.stringify({ data: 'admin', timestamp: '2026-12-01 10:00:00 UTC', signature: 's', key: 'k' })],
      ['no payload', JSON.stringify({ protected: protectedHeader, signature: 's' })],
      ['no signature', JSON.stringify({ protected: protectedHeader, payload: b64({ iat: 1 }) })],
      ['empty protected', JSON.stringify({ protected: '', payload: b64({ iat: 1 }), signature: 's' })],
      ['payload not base64', tokenJson(null, '{"iat":1}')],
      ['payload base64 of no JSON', tokenJson(null, Buffer.from('iat=1').toString('base64'))],
      ['no iat', tokenJson({ sub: 'a', exp: 100 })],
      ['iat a string', tokenJson({ sub: 'a', iat: '1000' })],
      ['exp a string', tokenJson({ sub: 'a', iat: 1000, exp: '1480' })],
      ['exp before iat', tokenJson({ sub: 'a', iat: 1000, exp: 999 })],
      ['exp equal to iat', tokenJson({ sub: 'a', iat: 1000, exp: 1000 })],
    ] as const) {
      assert.equal(parse(text), null, name);
    }
  });
});
