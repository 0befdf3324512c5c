import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { MAX_PART_HEADERS, MultipartBody, MultipartGuard, multipartBoundary, partNames } from './multipart-guard.js';
import { RequestBodyRefused } from './body-refusal.js';
import { createKeyNames } from '../plugins/key-auth/key-names.js';

const BOUNDARY = '----form7MA4YWxkTrZu0gW';
const keys = createKeyNames(['apikey', 'x-api-key']);

function part(disposition: string, value: string, eol = '\r\n', extra = ''): string {
  return `--${BOUNDARY}${eol}${disposition}${eol}${extra}${eol}${value}${eol}`;
}
const close = `--${BOUNDARY}--\r\n`;

/** Runs `body` through a guard in chunks of `size` bytes; resolves with what passed, or the refusal. */
async function guard(body: string, size: number): Promise<{ passed: string; refused: RequestBodyRefused | null }> {
  const bytes = Buffer.from(body, 'latin1');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  const out: Buffer[] = [];
  const stream = Readable.from(chunks).pipe(new MultipartGuard(BOUNDARY, keys.isKeyParam));
  try {
    for await (const chunk of stream) out.push(chunk as Buffer);
    return { passed: Buffer.concat(out).toString('latin1'), refused: null };
  } catch (err) {
    assert.ok(err instanceof RequestBodyRefused, String(err));
    return { passed: Buffer.concat(out).toString('latin1'), refused: err };
  }
}

const SIZES = [1, 2, 7, 64, 100_000];

describe('MultipartGuard', () => {
  it('passes a body without a removed field byte for byte, however it is chunked', async () => {
    const body =
      'preamble\r\n' +
      part('Content-Disposition: form-data; name="title"', 'apikey=not-a-field') +
      part(
        'Content-Disposition: form-data; name="file"; filename="apikey.txt"',
        `--${BOUNDARY}x is not a delimiter line start\r\ndata`,
        '\r\n',
        'Content-Type: text/plain\r\n',
      ) +
      close +
      'epilogue';
    for (const size of SIZES) assert.deepEqual(await guard(body, size), { passed: body, refused: null }, `chunks of ${size}`);
  });

  it('refuses a part named as a key under every spelling, before any byte of that part passes', async () => {
    const secret = 'pcg_secret_value';
    const variants: [string, string][] = [
      ['quoted', part('Content-Disposition: form-data; name="apikey"', secret)],
      ['unquoted', part('Content-Disposition: form-data; name=apikey', secret)],
      ['upper case', part('CONTENT-DISPOSITION: FORM-DATA; NAME="ApiKey"', secret)],
      ['spaces around =', part('Content-Disposition: form-data; name = "x-api-key"', secret)],
      ['percent-encoded', part('Content-Disposition: form-data; name="api%6Bey"', secret)],
      ['RFC 5987', part("Content-Disposition: form-data; name*=utf-8''api%6Bey", secret)],
      ['array', part('Content-Disposition: form-data; name="apikey[]"', secret)],
      ['second name parameter', part('Content-Disposition: form-data; name="a"; name="apikey"', secret)],
      ['folded header', part('Content-Disposition: form-data;\r\n name="apikey"', secret)],
      ['name in Content-Type', part('Content-Disposition: form-data', secret, '\r\n', 'Content-Type: text/plain; name="apikey"\r\n')],
      ['LF line endings', part('Content-Disposition: form-data; name="apikey"', secret, '\n')],
      ['first part', part('Content-Disposition: form-data; name="apikey"', secret)],
      [
        'after the closing delimiter',
        part('Content-Disposition: form-data; name="a"', '1') + close + part('Content-Disposition: form-data; name="apikey"', secret),
      ],
      ['no closing delimiter', `--${BOUNDARY}\r\nContent-Disposition: form-data; name="apikey"`],
    ];
    for (const [label, body] of variants) {
      const lead = label === 'first part' ? '' : part('Content-Disposition: form-data; name="a"', 'before');
      for (const size of SIZES) {
        const { passed, refused } = await guard(lead + body, size);
        assert.ok(refused, `${label} (chunks of ${size})`);
        assert.equal(refused.status, 400);
        assert.ok(!passed.includes(secret) && !/apikey|api%6Bey|x-api-key/i.test(passed), `${label}: nothing of the part passed (chunks of ${size})`);
      }
    }
  });

  it('refuses part headers that never end', async () => {
    const { refused } = await guard(`--${BOUNDARY}\r\nX-Pad: ${'a'.repeat(MAX_PART_HEADERS)}`, 1024);
    assert.equal(refused?.status, 400);
  });
});

describe('MultipartBody', () => {
  it('streams the source itself when no plugin removed a field', () => {
    const source = Readable.from([]);
    assert.equal(new MultipartBody(BOUNDARY).stream(source), source);
  });

  it('fails the guarded stream when its source fails (the body limit)', async () => {
    const body = new MultipartBody(BOUNDARY);
    body.remove(keys.isKeyParam);
    const source = new Readable({ read() {} });
    const guarded = body.stream(source);
    const failed = new Promise((resolve) => guarded.once('error', resolve));
    source.destroy(new Error('limit'));
    assert.equal(((await failed) as Error).message, 'limit');
  });
});

describe('multipartBoundary', () => {
  it('reads one plain boundary and refuses missing, repeated or ambiguous ones', () => {
    const cases: [string, string | null][] = [
      ['multipart/form-data; boundary=abc', 'abc'],
      ['multipart/form-data; boundary=BOUNDARY', 'BOUNDARY'],
      ['multipart/form-data;boundary="boundary; boundary=x"', null],
      ['multipart/form-data; BOUNDARY="a b:c"; charset=utf-8', 'a b:c'],
      ['multipart/form-data; boundary=abc,x', 'abc'],
      ['multipart/form-data', null],
      ['multipart/form-data; boundary=', null],
      ['multipart/form-data; boundary=a; boundary=b', null],
      ['multipart/form-data; x="boundary=a"; boundary=b', null],
      ['multipart/form-data; xboundary=a', null],
      ['multipart/form-data; boundary =abc', null],
      ['multipart/form-data; boundary=abc ', null],
      ['multipart/form-data; boundary="abc "', null],
      [`multipart/form-data; boundary=${'a'.repeat(71)}`, null],
    ];
    for (const [header, boundary] of cases) assert.equal(multipartBoundary(header), boundary, header);
  });
});

describe('partNames', () => {
  it('reads every name parameter, not filename', () => {
    assert.deepEqual(partNames('Content-Disposition: form-data; name="a\\"b"; filename="apikey"'), ['a"b', 'a"b']);
  });
});
