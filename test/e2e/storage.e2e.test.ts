/**
 * The real `portcullis` CLI and a SQLite database that fails under it or disappears between two
 * starts: the marker beside the database makes `start` (and every other command that opens the
 * store) refuse a missing database instead of creating an empty one, and says how to start fresh
 * on purpose; a running node answers 503 with the cause's code, logs the cause, turns not ready.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse } from 'yaml';
import { BIN, admin, startCliNode, writeConfig, type CliNode, type CliResult } from './support/cli.js';

/** Runs a command that should exit by itself; kills it (failing the test) if it runs on. */
function runToExit(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const sqlitePath = (configFile: string): string => (parse(readFileSync(configFile, 'utf8')) as { sqlite_path: string }).sqlite_path;

describe('portcullis start with a database marker', () => {
  let configFile: string;
  let db: string;
  let marker: string;

  before(() => {
    configFile = writeConfig();
    db = sqlitePath(configFile);
    marker = `${db}.marker`;
  });
  after(() => rmSync(dirname(configFile), { recursive: true, force: true }));

  it('writes a 0600 marker beside the database it creates', async () => {
    const node = await startCliNode(configFile);
    try {
      assert.equal((await admin(node, 'POST', '/services', { name: 'kept', url: 'http://kept.test' })).status, 201);
    } finally {
      await node.stop();
    }
    assert.equal(statSync(marker).mode & 0o777, 0o600);
    const content = JSON.parse(readFileSync(marker, 'utf8'));
    assert.match(content.database_id, /^[0-9a-f-]{36}$/);
    assert.match(content.created_at, /^\d{4}-\d\d-\d\dT/);
  });

  it('refuses to start, migrate or manage keys when the database is gone but its marker remains, and creates no empty database', async () => {
    const { database_id, created_at } = JSON.parse(readFileSync(marker, 'utf8'));
    for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
    for (const args of [
      ['start', '--config', configFile],
      ['migrate', 'up', '--config', configFile],
      ['migrate', 'status', '--config', configFile],
    ]) {
      const result = await runToExit(args);
      assert.equal(result.code, 3, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
      for (const part of [`The database file ${db} is missing`, marker, database_id, created_at, 'Restore the file from a backup', `delete ${marker}`]) {
        assert.ok(result.stderr.includes(part), `${args.join(' ')} says ${part}: ${result.stderr}`);
      }
      assert.equal(existsSync(db), false, `${args.join(' ')} created no database`);
    }
    const start = await runToExit(['start', '--config', configFile]);
    assert.match(start.stderr, /^portcullis: could not start: /);
  });

  it('starts fresh on an empty database once the marker is deleted on purpose, with a new marker', async () => {
    const oldId = JSON.parse(readFileSync(marker, 'utf8')).database_id;
    unlinkSync(marker);
    const node = await startCliNode(configFile);
    try {
      const services = await admin(node, 'GET', '/services');
      assert.equal(services.status, 200);
      assert.deepEqual(services.body.data, []);
    } finally {
      await node.stop();
    }
    assert.notEqual(JSON.parse(readFileSync(marker, 'utf8')).database_id, oldId);
  });

  it('marks a database that predates markers at its next start, without a creation time', async () => {
    unlinkSync(marker);
    const node = await startCliNode(configFile);
    await node.stop();
    const content = JSON.parse(readFileSync(marker, 'utf8'));
    assert.equal(content.created_at, null);
    assert.match(content.marked_at, /^\d{4}-/);
  });
});

const RUNNING: readonly { name: string; act: (db: string) => void; code: string; dbCode: string; repair?: (db: string) => void }[] = [
  { name: 'deleted', act: (db) => unlinkSync(db), code: 'PC_STORE_UNAVAILABLE', dbCode: 'DB_FILE_DELETED' },
  {
    name: 'made read-only',
    act: (db) => chmodSync(db, 0o444),
    code: 'PC_STORE_READ_ONLY',
    dbCode: 'DB_FILE_READ_ONLY',
    repair: (db) => chmodSync(db, 0o600),
  },
];

for (const variant of RUNNING) {
  describe(`a CLI node whose database file is ${variant.name} while it runs`, () => {
    let configFile: string;
    let node: CliNode;

    before(async () => {
      configFile = writeConfig();
      node = await startCliNode(configFile);
    });
    after(async () => {
      await node.stop();
      rmSync(dirname(configFile), { recursive: true, force: true });
    });

    it(`answers writes with 503 ${variant.code}, logs ${variant.dbCode} with the request id, turns not ready${variant.repair ? ', and recovers' : ''}`, async () => {
      assert.equal((await admin(node, 'POST', '/services', { name: 'before', url: 'http://before.test' })).status, 201);
      const db = sqlitePath(configFile);
      variant.act(db);
      const write = await admin(node, 'POST', '/services', { name: 'refused', url: 'http://refused.test' });
      assert.equal(write.status, 503);
      assert.equal(write.body.code, variant.code);
      assert.ok(write.body.message.includes(db), 'the message names the file');
      const ready = await admin(node, 'GET', '/status/ready');
      assert.equal(ready.status, 503);
      assert.ok(ready.body.message.includes(variant.code));
      // stdout is read asynchronously: give the log line a moment.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const line = node.logs.map((l) => (l.startsWith('{') ? JSON.parse(l) : {})).find((l) => l.msg === 'admin request failed: storage failure');
      assert.ok(line, node.logs.join('\n'));
      assert.equal(line.level, 'warn');
      assert.equal(line.code, variant.code);
      assert.equal(line.db_code, variant.dbCode);
      assert.ok(line.request_id);
      if (!variant.repair) return;
      variant.repair(db);
      assert.equal((await admin(node, 'GET', '/status/ready')).status, 200);
      assert.equal((await admin(node, 'POST', '/services', { name: 'after', url: 'http://after.test' })).status, 201);
      assert.equal((await admin(node, 'GET', '/services/refused')).status, 404);
    });
  });
}
