import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import { CliFailure, EXIT } from './exit-codes.js';
import { databaseLocation, openDatabase, requireExistingDatabase } from './open-database.js';
import { testPgUrl } from '../../test/support/databases.js';

const defaults = loadConfig({ env: {} });
const root = mkdtempSync(join(tmpdir(), 'portcullis-open-db-'));
after(() => rmSync(root, { recursive: true, force: true }));
const silent = pino({ level: 'silent' });
const PASSWORD = 'pg-Secret-9f3c1e';

function failure(fn: () => unknown): CliFailure {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CliFailure, String(err));
    return err;
  }
  assert.fail('did not fail');
}

async function asyncFailure(promise: Promise<unknown>): Promise<CliFailure> {
  const err = await promise.then(
    () => assert.fail('did not fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CliFailure, String(err));
  return err;
}

describe('opening the database from the CLI', () => {
  const fresh: [string, (dir: string) => string][] = [
    ['an absolute path', (dir) => join(dir, 'data', 'portcullis.db')],
    ['a path relative to the working directory', (dir) => relative(process.cwd(), join(dir, 'data', 'nested', 'portcullis.db'))],
    ['a file in a folder that exists', (dir) => join(dir, 'portcullis.db')],
  ];
  for (const [name, path] of fresh) {
    it(`refuses a missing SQLite database at ${name} with exit 3, naming its absolute path and how to point elsewhere, creating nothing`, async () => {
      const dir = mkdtempSync(join(root, 'fresh-'));
      const config: Config = { ...defaults, sqlite_path: path(dir) };
      const err = await asyncFailure(openDatabase({ config, env: {}, logger: silent, migrations: 'require' }));
      assert.equal(err.exitCode, EXIT.UNAVAILABLE);
      assert.ok(err.message.includes(`no database at ${resolve(config.sqlite_path)} `), err.message);
      assert.match(err.message, /--config <file>.*PORTCULLIS_SQLITE_PATH/);
      assert.ok(!existsSync(config.sqlite_path), 'no database file');
      assert.ok(!existsSync(join(dir, 'data')), 'no data folder');
    });
  }

  it('refuses a SQLite database whose migrations are pending with exit 5 (an empty file is one)', async () => {
    const file = join(mkdtempSync(join(root, 'empty-')), 'portcullis.db');
    writeFileSync(file, '');
    const err = await asyncFailure(openDatabase({ config: { ...defaults, sqlite_path: file }, env: {}, logger: silent, migrations: 'require' }));
    assert.equal(err.exitCode, EXIT.PENDING_MIGRATIONS);
    assert.match(err.message, /0001_core.*pending.*portcullis migrate up/);
  });

  it('creates the database for `migrate up` only', async () => {
    const dir = mkdtempSync(join(root, 'create-'));
    const config: Config = { ...defaults, sqlite_path: join(dir, 'data', 'portcullis.db') };
    const parts = await openDatabase({ config, env: {}, logger: silent, migrations: 'skip', openKeyring: false, create: true });
    await parts.close();
    assert.ok(existsSync(config.sqlite_path));
  });

  it('names PostgreSQL by host, port, database and user, never by its password', () => {
    const config: Config = {
      ...defaults,
      database: 'postgres',
      pg_host: 'db.internal',
      pg_port: 6543,
      pg_database: 'gw',
      pg_user: 'ops',
      pg_password: PASSWORD,
    };
    assert.equal(databaseLocation(config), 'the PostgreSQL database "gw" on db.internal:6543 (user ops)');
  });

  it('refuses an unreachable PostgreSQL with exit 3, naming it without its password', async () => {
    const url = new URL(testPgUrl());
    const config: Config = {
      ...defaults,
      database: 'postgres',
      pg_host: url.hostname,
      pg_port: 1,
      pg_user: 'nobody',
      pg_password: PASSWORD,
      pg_connect_timeout: 500,
      sqlite_path: join(mkdtempSync(join(root, 'pg-')), 'unused.db'),
    };
    const err = await asyncFailure(openDatabase({ config, env: {}, logger: silent, migrations: 'require', openKeyring: false }));
    assert.equal(err.exitCode, EXIT.UNAVAILABLE);
    assert.ok(err.message.includes(`on ${url.hostname}:1 (user nobody)`), err.message);
    assert.match(err.message, /PORTCULLIS_PG_HOST/);
    assert.ok(!err.message.includes(PASSWORD));
  });

  it("refuses, with PostgreSQL, a missing data folder when the keyring would be opened (it would create the keyring's files)", () => {
    const dir = join(mkdtempSync(join(root, 'pgdata-')), 'data');
    const config: Config = { ...defaults, database: 'postgres', sqlite_path: join(dir, 'unused.db') };
    const err = failure(() => requireExistingDatabase(config, true));
    assert.equal(err.exitCode, EXIT.UNAVAILABLE);
    assert.ok(err.message.includes(dir));
    assert.doesNotThrow(() => requireExistingDatabase(config, false));
    assert.ok(!existsSync(dir));
  });
});
