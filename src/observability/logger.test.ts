import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { createLogger, loadPinoPretty, type LogFormat } from './logger.js';
import { Secret } from './secret.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination: destination as never }) };
}

it('censors credentials and secrets wherever the usual paths put them', () => {
  const { lines, logger } = capture();
  logger.info(
    {
      headers: { authorization: 'Bearer t0ken', 'x-api-key': 'pcg_secret', cookie: 'session=abc' },
      req: { headers: { 'proxy-authorization': 'Basic xyz' } },
      config: { pg_password: 'hunter2', admin_token: 'admintoken' },
      api_key: 'pcg_plain',
      password: 'pw',
      token: 'tok',
      key_id: '0123456789abcdef',
    },
    'request',
  );
  const line = lines.join('');
  for (const secret of ['t0ken', 'pcg_secret', 'session=abc', 'xyz', 'hunter2', 'admintoken', 'pcg_plain', '"pw"', '"tok"']) {
    assert.ok(!line.includes(secret), `${secret} leaked: ${line}`);
  }
  assert.ok(line.includes('0123456789abcdef'), 'public ids stay');
  assert.ok(line.includes('[redacted]'));
});

it('prints a Secret as [redacted] in JSON, strings and inspection; reveal() gives the value', () => {
  const secret = new Secret('s3cr3t');
  assert.equal(JSON.stringify({ secret }), '{"secret":"[redacted]"}');
  assert.equal(`${secret}`, '[redacted]');
  assert.ok(!inspect({ secret }).includes('s3cr3t'));
  assert.equal(secret.reveal(), 's3cr3t');
  const { lines, logger } = capture();
  logger.info({ value: secret }, 'x');
  assert.ok(!lines.join('').includes('s3cr3t'));
});

describe('the log format', () => {
  const SECRETS = { password: 'pw-Hunter2', headers: { authorization: 'Bearer t0ken-abc' }, config: { pg_password: 'pg-Secret' }, api_key: 'pcg_plain9' };
  function sink(isTTY: boolean) {
    let text = '';
    const stream = new Writable({
      write(chunk, _enc, done) {
        text += chunk.toString();
        done();
      },
    });
    return { stream: Object.assign(stream, { isTTY }), text: () => text };
  }
  const formats: [string, LogFormat, boolean, boolean][] = [
    ['pretty when asked', 'pretty', false, true],
    ['pretty on a terminal by default', 'auto', true, true],
    ['JSON by default when not a terminal (a pipe, a file, journald)', 'auto', false, false],
    ['JSON when asked, even on a terminal', 'json', true, false],
  ];
  for (const [name, format, isTTY, pretty] of formats) {
    it(`is ${name}, and redacts secrets either way`, () => {
      const out = sink(isTTY);
      createLogger({ level: 'info', format, destination: out.stream as never }).warn({ ...SECRETS, service: 'billing' }, 'upstream refused');
      const text = out.text();
      assert.match(text, /upstream refused/);
      assert.match(text, /billing/);
      if (pretty) {
        assert.throws(() => JSON.parse(text));
        assert.match(text, /WARN/);
      } else assert.equal(JSON.parse(text).msg, 'upstream refused');
      for (const secret of ['pw-Hunter2', 't0ken-abc', 'pg-Secret', 'pcg_plain9']) assert.ok(!text.includes(secret), `${secret} in ${text}`);
      assert.ok(text.includes('[redacted]'));
    });
  }

  it('falls back to JSON when pino-pretty is not installed', () => {
    for (const format of ['pretty', 'auto'] as const) {
      const out = sink(true);
      createLogger({ level: 'info', format, destination: out.stream as never, loadPretty: () => null }).info(SECRETS, 'started');
      assert.equal(JSON.parse(out.text()).msg, 'started');
      assert.ok(!out.text().includes('pw-Hunter2'));
    }
  });

  it('finds pino-pretty when it is installed (a devDependency here)', () => assert.equal(typeof loadPinoPretty(), 'function'));
});
