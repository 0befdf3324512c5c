import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AdminClientError } from './admin-client.js';
import { CliFailure, EXIT } from './exit-codes.js';
import { runCommand, type CliIo } from './run-command.js';
import { PortcullisError } from '../errors/portcullis-error.js';

function terminal() {
  const out = { stdout: '', stderr: '', code: 0 };
  const io: CliIo = {
    stdout: { write: (t: string) => void (out.stdout += t) } as CliIo['stdout'],
    stderr: { write: (t: string) => void (out.stderr += t) } as CliIo['stderr'],
    env: {},
    setExitCode: (c) => void (out.code = c),
    sleep: async () => {},
    now: () => 0,
  };
  return { io, out };
}

describe('runCommand', () => {
  const failures: [string, unknown, number, RegExp][] = [
    ['a usage failure', new CliFailure('give exactly one of --service or --consumer'), EXIT.USAGE, /^portcullis: give exactly one/],
    ['an unknown key', new PortcullisError('PC_NOT_FOUND', { message: 'No API key named "k"' }), EXIT.NOT_FOUND, /^portcullis: PC_NOT_FOUND: No API key/],
    ['a node that does not answer', new AdminClientError('cannot reach the Admin API at http://127.0.0.1:9'), EXIT.UNAVAILABLE, /cannot reach the Admin API/],
    ['pending migrations', new CliFailure('the database is not migrated', EXIT.PENDING_MIGRATIONS), EXIT.PENDING_MIGRATIONS, /not migrated/],
  ];
  for (const [name, err, code, message] of failures) {
    it(`reports ${name} as one line on stderr, nothing on stdout, exit ${code}, and closes what was opened, last first`, async () => {
      const { io, out } = terminal();
      const closed: string[] = [];
      await runCommand(io, async (defer) => {
        defer(async () => void closed.push('store'));
        defer(async () => void closed.push('client'));
        throw err;
      });
      assert.equal(out.code, code);
      assert.match(out.stderr, message);
      assert.equal(out.stderr.trimEnd().split('\n').length, 1);
      assert.equal(out.stdout, '');
      assert.deepEqual(closed, ['client', 'store']);
    });
  }

  it('sets the exit code the work returns, and none for success', async () => {
    for (const [returned, expected] of [
      [undefined, 0],
      [EXIT.PENDING_MIGRATIONS, 5],
      [EXIT.REFUSED, 4],
    ] as const) {
      const { io, out } = terminal();
      await runCommand(io, async () => returned);
      assert.equal(out.code, expected);
    }
  });

  it('lets a bug through (main reports it as an internal error, exit 70), after closing', async () => {
    const { io } = terminal();
    let closed = false;
    await assert.rejects(
      runCommand(io, async (defer) => {
        defer(async () => void (closed = true));
        throw new TypeError('x is undefined');
      }),
      TypeError,
    );
    assert.ok(closed);
  });
});
