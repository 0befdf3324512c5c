import { it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { createLogger } from './logger.js';
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
