import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CommanderError } from 'commander';
import { CliFailure, describeFailure, EXIT, exitCodeOfStatus } from './exit-codes.js';
import { ConfigError } from '../config/load-config.js';
import { PortcullisError } from '../errors/portcullis-error.js';

describe('exit codes', () => {
  it('are distinct, and 0 only for success', () => {
    const codes = Object.values(EXIT);
    assert.equal(new Set(codes).size, codes.length);
    assert.deepEqual(
      Object.entries(EXIT).filter(([, c]) => c === 0),
      [['OK', 0]],
    );
  });

  const statuses: [number, number][] = [
    [400, EXIT.USAGE],
    [413, EXIT.USAGE],
    [415, EXIT.USAGE],
    [404, EXIT.NOT_FOUND],
    [401, EXIT.REFUSED],
    [403, EXIT.REFUSED],
    [409, EXIT.REFUSED],
    [429, EXIT.REFUSED],
    [500, EXIT.UNAVAILABLE],
    [502, EXIT.UNAVAILABLE],
    [503, EXIT.UNAVAILABLE],
  ];
  for (const [status, code] of statuses) {
    it(`maps an HTTP ${status} (local or from the node) to exit ${code}`, () => assert.equal(exitCodeOfStatus(status), code));
  }

  const failures: [string, unknown, number, RegExp | null][] = [
    ['a usage failure of the command', new CliFailure('give exactly one of --service or --consumer'), EXIT.USAGE, /exactly one/],
    ['a missing database', new CliFailure('no database at /x', EXIT.UNAVAILABLE), EXIT.UNAVAILABLE, /no database at \/x/],
    ['an invalid configuration', new ConfigError(['pg_port: must be <= 65535']), EXIT.USAGE, /pg_port: must be <= 65535/],
    ['an unknown key', new PortcullisError('PC_NOT_FOUND', { message: 'No API key named "k"' }), EXIT.NOT_FOUND, /^PC_NOT_FOUND: No API key named "k"$/],
    ['a taken name', new PortcullisError('PC_STORE_UNIQUE_VIOLATION'), EXIT.REFUSED, /^PC_STORE_UNIQUE_VIOLATION: /],
    ['an unreachable database', new PortcullisError('PC_STORE_UNAVAILABLE'), EXIT.UNAVAILABLE, /^PC_STORE_UNAVAILABLE: /],
    [
      'a validation error, with its fields',
      new PortcullisError('PC_VALIDATION_FAILED', { fields: [{ path: '/name', message: 'must match' }] }),
      EXIT.USAGE,
      /\n {2}\/name: must match$/,
    ],
    ['an unknown option (commander printed it)', new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"), EXIT.USAGE, null],
    ['a value outside the choices', new CommanderError(1, 'commander.invalidArgument', 'error: … Allowed choices are a, b.'), EXIT.USAGE, null],
    ['help asked for', new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), EXIT.OK, null],
  ];
  for (const [name, err, code, message] of failures) {
    it(`reports ${name} with exit ${code}`, () => {
      const failure = describeFailure(err);
      assert.equal(failure?.code, code);
      if (message) assert.match(failure!.message!, message);
      else assert.equal(failure!.message, null);
    });
  }

  it('leaves an unexpected error to the caller (an internal error, not a usage one)', () => {
    for (const err of [new Error('boom'), new TypeError('x is undefined'), 'a string']) assert.equal(describeFailure(err), null);
  });
});
